// The device's measured fp32 FMA peak (fma_peak.cl): the ceiling that GEMM and training-step speeds on this device
// are stated against, measured rather than taken from a data sheet.
using System.Diagnostics;

namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>Independent FMA chains per work item: eight float4 accumulators in fma_peak.cl.</summary>
    private const int FmaChains = 32;

    /// <summary>
    /// Measures the device's fp32 fused-multiply-add throughput in GFLOP/s (each FMA counts as 2 FLOPs), the way the
    /// CPU benchmarks measure the CPU's: a kernel of independent FMA chains held in registers, over enough work items
    /// to fill every compute unit (2048 per unit), timed from enqueue to <c>clFinish</c>. The iteration count is
    /// doubled until one run takes at least <paramref name="minSeconds"/>, so launch overhead does not count; the
    /// best of three such runs is returned. A diagnostic: it takes a fraction of a second on a GPU, longer on a CPU
    /// runtime such as POCL.
    /// </summary>
    public double MeasureFmaPeakGflops(double minSeconds = 0.05)
    {
        if (!(minSeconds > 0))
            throw new ArgumentOutOfRangeException(nameof(minSeconds), minSeconds, "MeasureFmaPeakGflops: expected a positive time in seconds");
        long items = (long)Math.Max(1, Info.ComputeUnits) * 2048;
        nint kernel = Kernels.Kernel("fma_peak.cl", "", "fma_peak");
        var output = Allocate(DType.Float32, checked((int)items));
        try
        {
            double Time(int iterations)
            {
                long t0 = Stopwatch.GetTimestamp();
                Launch1D(kernel, items, KernelArg.Buffer(output), iterations, 0.999999f, 1e-6f);
                Synchronize();
                return Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }

            int iterations = 64;
            Time(iterations);                                  // compile and load the kernel before timing it
            while (Time(iterations) < minSeconds && iterations < (1 << 24)) iterations *= 2;
            double best = double.MaxValue;
            for (int run = 0; run < 3; run++) best = Math.Min(best, Time(iterations));
            return items * (double)iterations * FmaChains * 2 / best / 1e9;
        }
        finally
        {
            output.Release();
        }
    }
}
