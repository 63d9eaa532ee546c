// Pooled, 64-byte-aligned native memory for host storage: one free list per power-of-two size class.
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace DotGrad.Backends;

/// <summary>
/// Hands out 64-byte-aligned native blocks (the alignment the AVX-512 kernels like) and keeps freed blocks
/// by size class, so a training step that allocates the same intermediates every time reuses them
/// instead of churning the large-object heap. Blocks above <see cref="MaxPooledBytes"/> are not pooled.
/// </summary>
public static unsafe class HostAllocator
{
    public const int Alignment = 64;
    private const int MinClassShift = 6; // 64 bytes
    private const int MaxClassShift = 30;
    public const long MaxPooledBytes = 1L << MaxClassShift;

    private static readonly ConcurrentBag<nint>[] Pools = CreatePools();
    private static long _liveBytes, _liveBuffers, _pooledBytes, _peakLiveBytes;

    /// <summary>Bytes held by storages that are alive (by size class, so slightly above what was asked).</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Number of blocks held by storages that are alive.</summary>
    public static long LiveBuffers => Interlocked.Read(ref _liveBuffers);

    /// <summary>
    /// The most <see cref="LiveBytes"/> has been since the process started or since <see cref="ResetPeak"/>: the host's
    /// <c>torch.cuda.max_memory_allocated</c>.
    /// </summary>
    public static long PeakLiveBytes => Interlocked.Read(ref _peakLiveBytes);

    /// <summary>Starts the peak again from the bytes live now, as <c>torch.cuda.reset_peak_memory_stats</c> does.</summary>
    public static void ResetPeak()
    {
        Interlocked.Exchange(ref _peakLiveBytes, LiveBytes);
        RaisePeak(LiveBytes); // a block allocated between the read and the exchange still counts
    }

    /// <summary>Bytes kept in the free lists for reuse.</summary>
    public static long PooledBytes => Interlocked.Read(ref _pooledBytes);

    private static ConcurrentBag<nint>[] CreatePools()
    {
        var pools = new ConcurrentBag<nint>[MaxClassShift + 1];
        for (int i = 0; i < pools.Length; i++) pools[i] = new ConcurrentBag<nint>();
        return pools;
    }

    private static int SizeClass(long bytes) =>
        Math.Max(MinClassShift, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, bytes) - 1));

    /// <summary>Allocates at least <paramref name="bytes"/> bytes; returns the block and its capacity.</summary>
    public static (nint Pointer, long Capacity) Allocate(long bytes)
    {
        int cls = SizeClass(bytes);
        long capacity = 1L << cls;
        RaisePeak(Interlocked.Add(ref _liveBytes, capacity));
        Interlocked.Increment(ref _liveBuffers);
        if (cls <= MaxClassShift && Pools[cls].TryTake(out var block))
        {
            Interlocked.Add(ref _pooledBytes, -capacity);
            return (block, capacity);
        }
        return ((nint)NativeMemory.AlignedAlloc((nuint)capacity, Alignment), capacity);
    }

    /// <summary>Lifts the peak to <paramref name="live"/> unless another thread already lifted it higher.</summary>
    private static void RaisePeak(long live)
    {
        long peak = Interlocked.Read(ref _peakLiveBytes);
        while (live > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakLiveBytes, live, peak);
            if (seen == peak) return;
            peak = seen;
        }
    }

    /// <summary>Returns a block obtained from <see cref="Allocate"/>.</summary>
    public static void Free(nint pointer, long capacity)
    {
        Interlocked.Add(ref _liveBytes, -capacity);
        Interlocked.Decrement(ref _liveBuffers);
        int cls = SizeClass(capacity);
        if (cls <= MaxClassShift)
        {
            Pools[cls].Add(pointer);
            Interlocked.Add(ref _pooledBytes, capacity);
        }
        else NativeMemory.AlignedFree((void*)pointer);
    }

    /// <summary>Frees every pooled block back to the operating system.</summary>
    public static void Trim()
    {
        foreach (var pool in Pools)
            while (pool.TryTake(out var block))
            {
                NativeMemory.AlignedFree((void*)block);
            }
        Interlocked.Exchange(ref _pooledBytes, 0);
    }
}
