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
    private static long _liveBytes, _liveBuffers, _pooledBytes;

    /// <summary>Bytes held by storages that are alive (by size class, so slightly above what was asked).</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Number of blocks held by storages that are alive.</summary>
    public static long LiveBuffers => Interlocked.Read(ref _liveBuffers);

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
        Interlocked.Add(ref _liveBytes, capacity);
        Interlocked.Increment(ref _liveBuffers);
        if (cls <= MaxClassShift && Pools[cls].TryTake(out var block))
        {
            Interlocked.Add(ref _pooledBytes, -capacity);
            return (block, capacity);
        }
        return ((nint)NativeMemory.AlignedAlloc((nuint)capacity, Alignment), capacity);
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
