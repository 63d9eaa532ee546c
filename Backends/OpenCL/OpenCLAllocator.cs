// A caching allocator for device buffers: freed buffers are kept by size class and handed out again, because
// creating OpenCL buffers costs a driver call and the .NET GC does not see device memory at all.
using System.Numerics;
using Silk.NET.OpenCL;

namespace DotGrad.Backends.OpenCL;

/// <summary>
/// One per device. Requests are rounded up to a power of two (at least 256 bytes), so a training step that
/// allocates the same intermediates every time reuses the same buffers. When the device runs out of memory the
/// pool is emptied and the request retried, then the garbage collector is asked to finalize lost tensors.
/// </summary>
public sealed unsafe class OpenCLAllocator
{
    private const int MinClassShift = 8;
    private readonly CL _api;
    private readonly nint _context;
    private readonly Stack<nint>[] _free = Enumerable.Range(0, 64).Select(_ => new Stack<nint>()).ToArray();
    private readonly Lock _lock = new();
    private long _liveBuffers, _liveBytes, _pooledBuffers, _pooledBytes, _peakLiveBytes;

    internal OpenCLAllocator(CL api, nint context)
    {
        _api = api;
        _context = context;
    }

    /// <summary>What the device holds now, with the peak of live bytes (see <see cref="MemoryStats"/>).</summary>
    public MemoryStats Stats
    {
        get
        {
            lock (_lock) return new MemoryStats(_liveBuffers, _liveBytes, _pooledBytes, _peakLiveBytes);
        }
    }

    /// <summary>Starts the peak again from the bytes live now, as <c>torch.cuda.reset_peak_memory_stats</c> does.</summary>
    public void ResetPeak()
    {
        lock (_lock) _peakLiveBytes = _liveBytes;
    }

    private static int SizeClass(long bytes) =>
        Math.Max(MinClassShift, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, bytes) - 1));

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes and its capacity.</summary>
    internal (nint Buffer, long Capacity) Rent(long bytes)
    {
        int cls = SizeClass(bytes);
        long capacity = 1L << cls;
        lock (_lock)
        {
            if (_free[cls].TryPop(out var pooled))
            {
                _pooledBuffers--;
                _pooledBytes -= capacity;
                _liveBuffers++;
                _liveBytes += capacity;
                _peakLiveBytes = Math.Max(_peakLiveBytes, _liveBytes);
                return (pooled, capacity);
            }
        }
        var buffer = Create(capacity);
        lock (_lock)
        {
            _liveBuffers++;
            _liveBytes += capacity;
            _peakLiveBytes = Math.Max(_peakLiveBytes, _liveBytes);
        }
        return (buffer, capacity);
    }

    /// <summary>Takes a buffer back into the pool (called when a storage is released, possibly by the finalizer thread).</summary>
    internal void Return(nint buffer, long capacity)
    {
        lock (_lock)
        {
            _liveBuffers--;
            _liveBytes -= capacity;
            _pooledBuffers++;
            _pooledBytes += capacity;
            _free[SizeClass(capacity)].Push(buffer);
        }
    }

    /// <summary>Gives every pooled buffer back to the driver.</summary>
    public void Trim()
    {
        var release = new List<nint>();
        lock (_lock)
        {
            foreach (var stack in _free)
                while (stack.TryPop(out var b)) release.Add(b);
            _pooledBuffers = 0;
            _pooledBytes = 0;
        }
        foreach (var b in release) _api.ReleaseMemObject(b);
    }

    private nint Create(long capacity)
    {
        for (int attempt = 0; ; attempt++)
        {
            int status;
            nint buffer = _api.CreateBuffer(_context, MemFlags.ReadWrite, (nuint)capacity, null, &status);
            if (status == 0) return buffer;
            bool outOfMemory = status is -4 or -5 or -6 or -61; // allocation failure, out of resources / host memory, buffer size
            if (!outOfMemory || attempt == 2)
                throw new OpenCLException($"OpenCL: allocating a buffer of {capacity} bytes failed with {OpenCLException.Name(status)} ({status}); live: {Stats}", status);
            Trim();
            if (attempt == 1)
            {
                // Tensors nobody disposed still hold buffers until their finalizers run.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Trim();
            }
        }
    }
}
