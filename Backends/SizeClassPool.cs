// The free lists behind HostAllocator: fine size classes (so a 2.1 MB request does not take 4 MiB) and a trim policy
// that keeps what recent work needed and gives the rest back to the operating system.
using System.Numerics;
using System.Runtime.InteropServices;

namespace DotGrad.Backends;

/// <summary>
/// A pool of 64-byte-aligned native blocks kept by size class.
/// <para><b>Classes.</b> Up to 512 bytes every multiple of 64 is a class; above, each power-of-two range
/// (2^e, 2^(e+1)] is cut into 8 classes of width 2^(e-3). A request is rounded up to its class, so a block wastes less
/// than 12.5% of what was asked (a power-of-two pool wastes up to 50%: 2.1 MB took 4 MiB).</para>
/// <para><b>Trim.</b> Time is counted in allocations and cut into epochs of <see cref="EpochLength"/>. Each class
/// remembers its high-water mark of live blocks in this epoch and the last one; a freed block is pooled only while
/// live + pooled stays within that mark, and at every epoch boundary each class frees what it pools beyond it. A
/// training loop that allocates the same shapes every step (a step is far fewer than an epoch's allocations) so
/// reuses every block and calls the OS for nothing once warm; a size that stops being used is given back within two
/// epochs. This is the caching allocator's trade (PyTorch keeps every block; we keep what the last epochs needed).</para>
/// </summary>
internal sealed unsafe class SizeClassPool
{
    public const int Alignment = 64;
    private const int FineLimitShift = 9;                // up to 512 bytes: multiples of 64
    private const int SubClassShift = 3;                 // 8 classes per power of two above
    private const int SubClasses = 1 << SubClassShift;
    private const int FineClasses = (1 << FineLimitShift) / Alignment; // 8
    public const int MaxPooledShift = 30;
    public const long MaxPooledBytes = 1L << MaxPooledShift;

    private readonly SizeClass[] _classes = new SizeClass[IndexOf(MaxPooledBytes) + 1];
    private readonly long _epochLength;
    private long _allocations, _systemAllocations, _liveBytes, _liveBuffers, _pooledBytes, _peakLiveBytes;

    /// <param name="epochLength">Allocations per epoch (a power of two): how long a size's high-water mark is remembered.</param>
    public SizeClassPool(long epochLength = 1 << 15)
    {
        if (epochLength < 1 || !BitOperations.IsPow2(epochLength))
            throw new ArgumentOutOfRangeException(nameof(epochLength), epochLength, "SizeClassPool: the epoch length must be a power of two");
        _epochLength = epochLength;
        for (int i = 0; i < _classes.Length; i++) _classes[i] = new SizeClass();
    }

    public long EpochLength => _epochLength;
    public long LiveBytes => Interlocked.Read(ref _liveBytes);
    public long LiveBuffers => Interlocked.Read(ref _liveBuffers);
    public long PooledBytes => Interlocked.Read(ref _pooledBytes);
    public long PeakLiveBytes => Interlocked.Read(ref _peakLiveBytes);

    /// <summary>How many blocks were obtained from the operating system (not from the pool): the churn a test watches.</summary>
    public long SystemAllocations => Interlocked.Read(ref _systemAllocations);

    /// <summary>The class a request of <paramref name="bytes"/> falls in: 0 for 1..64 bytes, then one per class size.</summary>
    internal static int IndexOf(long bytes)
    {
        if (bytes <= 1L << FineLimitShift) return (int)Math.Max(0, (bytes - 1) / Alignment);
        int e = 63 - BitOperations.LeadingZeroCount((ulong)(bytes - 1)); // 2^e < bytes <= 2^(e+1)
        long step = 1L << (e - SubClassShift);
        long j = (bytes - (1L << e) + step - 1) / step;                    // 1..8
        return FineClasses + (e - FineLimitShift) * SubClasses + (int)(j - 1);
    }

    /// <summary>The bytes a block of class <paramref name="index"/> holds (a multiple of 64).</summary>
    internal static long SizeOf(int index)
    {
        if (index < FineClasses) return (index + 1L) * Alignment;
        int e = FineLimitShift + (index - FineClasses) / SubClasses;
        int j = (index - FineClasses) % SubClasses + 1;
        return (1L << e) + j * (1L << (e - SubClassShift));
    }

    /// <summary>The capacity a request of <paramref name="bytes"/> gets.</summary>
    public static long CapacityFor(long bytes) => SizeOf(IndexOf(Math.Max(1, bytes)));

    public void ResetPeak()
    {
        Interlocked.Exchange(ref _peakLiveBytes, LiveBytes);
        RaisePeak(LiveBytes); // a block allocated between the read and the exchange still counts
    }

    public (nint Pointer, long Capacity) Allocate(long bytes)
    {
        int index = IndexOf(Math.Max(1, bytes));
        long capacity = SizeOf(index);
        RaisePeak(Interlocked.Add(ref _liveBytes, capacity));
        Interlocked.Increment(ref _liveBuffers);
        long count = Interlocked.Increment(ref _allocations);
        if ((count & (_epochLength - 1)) == 0) Sweep();
        if (index < _classes.Length)
        {
            var sc = _classes[index];
            lock (sc)
            {
                sc.Roll(Epoch);
                sc.Live++;
                sc.PeakNow = Math.Max(sc.PeakNow, sc.Live);
                if (sc.Free.TryPop(out var block))
                {
                    Interlocked.Add(ref _pooledBytes, -capacity);
                    return (block, capacity);
                }
            }
        }
        Interlocked.Increment(ref _systemAllocations);
        return ((nint)NativeMemory.AlignedAlloc((nuint)capacity, Alignment), capacity);
    }

    public void Free(nint pointer, long capacity)
    {
        Interlocked.Add(ref _liveBytes, -capacity);
        Interlocked.Decrement(ref _liveBuffers);
        int index = IndexOf(capacity);
        if (index < _classes.Length)
        {
            var sc = _classes[index];
            lock (sc)
            {
                sc.Roll(Epoch);
                sc.Live--;
                if (sc.Free.Count < sc.Allowance)
                {
                    sc.Free.Push(pointer);
                    Interlocked.Add(ref _pooledBytes, capacity);
                    return;
                }
            }
        }
        NativeMemory.AlignedFree((void*)pointer);
    }

    /// <summary>Frees every pooled block (the high-water marks stay, so the next blocks are pooled again).</summary>
    public void Trim() => TrimTo(keepAllowance: false);

    private long Epoch => Interlocked.Read(ref _allocations) / _epochLength;

    /// <summary>At an epoch boundary: every class frees what it pools beyond its remembered high-water mark.</summary>
    private void Sweep() => TrimTo(keepAllowance: true);

    private void TrimTo(bool keepAllowance)
    {
        long epoch = Epoch;
        for (int i = 0; i < _classes.Length; i++)
        {
            var sc = _classes[i];
            long capacity = SizeOf(i);
            List<nint>? doomed = null;
            lock (sc)
            {
                sc.Roll(epoch);
                int keep = keepAllowance ? sc.Allowance : 0;
                while (sc.Free.Count > keep) (doomed ??= []).Add(sc.Free.Pop());
            }
            if (doomed is null) continue;
            Interlocked.Add(ref _pooledBytes, -capacity * doomed.Count);
            foreach (var block in doomed) NativeMemory.AlignedFree((void*)block);
        }
    }

    /// <summary>Lifts the peak to <paramref name="live"/> unless another thread already lifted it higher.</summary>
    private void RaisePeak(long live)
    {
        long peak = Interlocked.Read(ref _peakLiveBytes);
        while (live > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakLiveBytes, live, peak);
            if (seen == peak) return;
            peak = seen;
        }
    }

    /// <summary>One class's free list and its live-block high-water marks (this epoch and the one before). Guarded by its own lock.</summary>
    private sealed class SizeClass
    {
        public readonly Stack<nint> Free = new();
        public int Live, PeakNow, PeakBefore;
        public long Epoch;

        /// <summary>Blocks this class may pool: enough to reach its recent high-water mark again without the OS.</summary>
        public int Allowance => Math.Max(PeakNow, PeakBefore) - Live;

        /// <summary>Starts a new epoch's mark; a class untouched for a whole epoch forgets the older mark.</summary>
        public void Roll(long epoch)
        {
            if (epoch == Epoch) return;
            PeakBefore = epoch == Epoch + 1 ? PeakNow : Live;
            PeakNow = Live;
            Epoch = epoch;
        }
    }
}
