// The SIMD, multi-core CPU backend: storage, threading policy and the matmul entry point. The kernels live in
// the other partial files, one per concept; the Reference backend is their oracle and semantic spec.
using DotGrad.Backends.Reference;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// Kernels over host memory that hand contiguous runs to vectorized span code (TensorPrimitives and the
/// operator structs' span forms), fall back to strided scalar loops otherwise, and split large loops across cores.
/// Results match <see cref="ReferenceBackend"/> exactly for copies, indexing and random fills, and to rounding
/// for arithmetic (float sums here accumulate in float, the reference in double).
/// </summary>
public sealed partial class CpuBackend : IBackend, IFusedKernels
{
    /// <summary>
    /// Below this much work (in elements of a simple elementwise op) a kernel runs on the calling thread. Measured with
    /// <c>Benchmarks -- threshold</c> (2-vCPU Zen 4, medians of 15 runs): an empty two-chunk job costs 0.3 us on the
    /// persistent <see cref="WorkerPool"/> against 14-38 us for a Parallel.For, and a worker that takes part adds about a
    /// microsecond of handoff, while 32K float adds take 4-5 us on one core. The 1-vs-2-thread sweep of an add from 8K
    /// to 1M elements was dominated by other processes on that run (speed-ups from 0.2 to 3 at the same size), so the
    /// threshold stays at the 32K that is safely above the handoff cost; rerun the probe on a quiet machine to lower it.
    /// </summary>
    public const int ParallelThreshold = 32 * 1024;

    /// <summary>The least work one parallel chunk gets, so chunk overhead stays small against the work.</summary>
    private const int MinChunkWork = 8 * 1024;

    private static int _maxThreads = Environment.ProcessorCount;

    private CpuBackend()
    {
    }

    public static CpuBackend Instance { get; } = new();

    /// <summary>Most threads one kernel uses (default: the processor count). 1 makes every kernel single-threaded.</summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref _maxThreads);
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "CpuBackend.MaxThreads must be >= 1");
            Volatile.Write(ref _maxThreads, value);
        }
    }

    public Device Device => Device.Cpu;

    public MemoryStats Memory => new(HostAllocator.LiveBuffers, HostAllocator.LiveBytes, HostAllocator.PooledBytes, HostAllocator.PeakLiveBytes);

    /// <summary>Resets the host allocator's peak, which Cpu and Reference share: resetting one resets both.</summary>
    public void ResetPeakMemoryStats() => HostAllocator.ResetPeak();

    /// <summary>Kernels run on the calling thread, so there is nothing to wait for.</summary>
    public void Synchronize()
    {
    }

    public Storage Allocate(DType dtype, int length, bool zero = false) => new HostStorage(dtype, length, Device, zero);

    public void Write(Storage destination, ReadOnlySpan<byte> source) => source.CopyTo(((HostStorage)destination).AsBytes());

    public void Read(Storage source, Span<byte> destination) => ((HostStorage)source).AsBytes()[..destination.Length].CopyTo(destination);

    /// <summary>
    /// How many chunks to split <paramref name="work"/> into: 1 (run inline) below <see cref="ParallelThreshold"/>,
    /// otherwise a few per thread so a busy core does not hold the others up, each with at least
    /// <see cref="MinChunkWork"/>, and never more than <paramref name="items"/>.
    /// </summary>
    internal static int ChunkCount(long work, long items)
    {
        int threads = MaxThreads;
        if (threads <= 1 || work < ParallelThreshold || items < 2) return 1;
        long chunks = Math.Min(threads * 4L, work / MinChunkWork);
        return (int)Math.Clamp(chunks, 1, Math.Min(items, int.MaxValue));
    }

    /// <summary>
    /// Runs body(0 .. chunks-1) on up to <see cref="MaxThreads"/> threads of the persistent <see cref="WorkerPool"/>; the
    /// first failure is rethrown as itself (kernels throw the same exceptions as the reference, unwrapped).
    /// </summary>
    internal static void ParallelFor(int chunks, Action<int> body) => WorkerPool.Run(chunks, MaxThreads, body);

    private static NotSupportedException Unsupported(string op, DType dtype) =>
        new($"{op}: dtype {dtype} is not supported by the CPU backend kernels; cast to Float32 (or Float64/Int32) first");
}
