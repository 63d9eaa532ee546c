// Pooled, 64-byte-aligned native memory for host storage: fine size classes, and blocks no recent work needed go back
// to the operating system (the policy is SizeClassPool's).
namespace DotGrad.Backends;

/// <summary>
/// Hands out 64-byte-aligned native blocks (the alignment the AVX-512 kernels like) and keeps freed blocks by size
/// class, so a training step that allocates the same intermediates every time reuses them instead of asking the OS
/// again. A request is rounded up to its class (less than 12.5% more), and the pool keeps only what the last tens of
/// thousands of allocations needed at their peak: see <see cref="SizeClassPool"/>. Blocks above
/// <see cref="MaxPooledBytes"/> are not pooled.
/// </summary>
public static class HostAllocator
{
    public const int Alignment = SizeClassPool.Alignment;
    public const long MaxPooledBytes = SizeClassPool.MaxPooledBytes;

    private static readonly SizeClassPool Pool = new();

    /// <summary>Bytes held by storages that are alive, counted by size class (what was asked, rounded up by less than 12.5%).</summary>
    public static long LiveBytes => Pool.LiveBytes;

    /// <summary>Number of blocks held by storages that are alive.</summary>
    public static long LiveBuffers => Pool.LiveBuffers;

    /// <summary>
    /// The most <see cref="LiveBytes"/> has been since the process started or since <see cref="ResetPeak"/>: the host's
    /// <c>torch.cuda.max_memory_allocated</c>. Like LiveBytes it counts whole size classes, so it sits at most 12.5%
    /// above the bytes requested, and it never counts pooled (reserved) bytes.
    /// </summary>
    public static long PeakLiveBytes => Pool.PeakLiveBytes;

    /// <summary>Starts the peak again from the bytes live now, as <c>torch.cuda.reset_peak_memory_stats</c> does.</summary>
    public static void ResetPeak() => Pool.ResetPeak();

    /// <summary>Bytes kept in the free lists for reuse (PyTorch's reserved minus allocated).</summary>
    public static long PooledBytes => Pool.PooledBytes;

    /// <summary>How many blocks came from the operating system rather than the pool, since the process started.</summary>
    public static long SystemAllocations => Pool.SystemAllocations;

    /// <summary>Allocates at least <paramref name="bytes"/> bytes; returns the block and its capacity.</summary>
    public static (nint Pointer, long Capacity) Allocate(long bytes) => Pool.Allocate(bytes);

    /// <summary>Returns a block obtained from <see cref="Allocate"/>.</summary>
    public static void Free(nint pointer, long capacity) => Pool.Free(pointer, capacity);

    /// <summary>Frees every pooled block back to the operating system.</summary>
    public static void Trim() => Pool.Trim();
}
