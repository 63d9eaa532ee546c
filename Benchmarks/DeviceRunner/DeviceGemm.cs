// Square SGEMM through the tensor API on one OpenCL device, against the device's measured fp32 FMA peak.
using System.Diagnostics;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;
using static DotGrad.Benchmarks.OnDevice.DeviceRunner;

namespace DotGrad.Benchmarks.OnDevice;

internal static class DeviceGemm
{
    /// <summary>Prints the measured peak, then one line per size: median time, GFLOP/s (2 n^3 / time) and its share of the peak.</summary>
    public static void Run(OpenCLBackend backend, RunnerOptions options, Lazy<double> peak, TextWriter output)
    {
        var device = backend.Device;
        output.WriteLine(F($"== gemm on {device} {backend.Info.Name}: measured fp32 FMA peak {peak.Value:F0} GFLOP/s; tiling {backend.MatMulTiling(DType.Float32)?.ToString() ?? "none (naive)"}"));
        foreach (int n in options.Sizes)
        {
            using var scope = Tensor.NewDisposeScope();
            // Drawn on the CPU and moved, so every device multiplies the same numbers.
            var a = Tensor.Randn([n, n], new Generator(1)).To(device);
            var b = Tensor.Randn([n, n], new Generator(2)).To(device);
            var times = new double[options.Runs];
            for (int i = -options.Warmup; i < options.Runs; i++)
            {
                backend.Synchronize();
                long t0 = Stopwatch.GetTimestamp();
                using (a.MatMul(b))
                    // Kernels are queued, not run: wait for them so the device's time is measured.
                    backend.Synchronize();
                if (i >= 0) times[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
            double median = Median(times), gflops = 2.0 * n * n * n / median / 1e9;
            output.WriteLine(F($"sgemm n={n}: median {median * 1e3:F3} ms of {options.Runs} (min {times.Min() * 1e3:F3}), {gflops:F1} GFLOP/s = {100 * gflops / peak.Value:F1}% of peak"));
        }
    }
}
