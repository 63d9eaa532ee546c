// The reference training steps on one OpenCL device and, for comparison, on the CPU: median step time, the
// matrix multiplies' GFLOP/s and their share of each device's measured fp32 FMA peak.
using DotGrad.Backends;
using DotGrad.Backends.Cpu;
using DotGrad.Backends.OpenCL;
using static DotGrad.Benchmarks.OnDevice.DeviceRunner;

namespace DotGrad.Benchmarks.OnDevice;

internal static class DeviceSteps
{
    public static void Run(OpenCLBackend backend, RunnerOptions options, Lazy<double> devicePeak, TextWriter output)
    {
        output.WriteLine(F($"== steps: {options.StepCount} timed after {options.Warmup} warm-up; GFLOP/s counts the matrix multiplies only (ReferenceSteps)"));
        output.WriteLine(F($"{backend.Device} {backend.Info.Name}: measured fp32 FMA peak {devicePeak.Value:F0} GFLOP/s"));
        foreach (var name in options.Steps) Time(name, backend.Device, devicePeak.Value, options, output);
        if (!options.Cpu) return;
        CpuBackend.MaxThreads = Environment.ProcessorCount;
        // Each thread runs the register-resident FMA loop at once: the CPU's peak at this thread count.
        double cpuPeak = FmaPeak.MeasureGflops(Environment.ProcessorCount, iterations: 10_000_000);
        output.WriteLine(F($"cpu, {Environment.ProcessorCount} threads: measured fp32 FMA peak {cpuPeak:F0} GFLOP/s ({FmaPeak.Isa})"));
        foreach (var name in options.Steps) Time(name, Device.Cpu, cpuPeak, options, output);
    }

    /// <summary>One reference step: warm-up, then <see cref="RunnerOptions.StepCount"/> timed steps; each reads its loss, so each waits for the device.</summary>
    private static void Time(string name, Device device, double peak, RunnerOptions options, TextWriter output)
    {
        using var step = ReferenceSteps.Create(name, device);
        var t = step.Time(options.Warmup, options.StepCount);
        double median = t.Median, gflops = step.Flops.PerStep / median / 1e9;
        output.WriteLine(F($"{name} on {device}: median {median * 1e3:F2} ms (min {t.Min * 1e3:F2}, max {t.Max * 1e3:F2}), {gflops:F1} GFLOP/s = {100 * gflops / peak:F1}% of peak; loss {t.LastLoss:F4}"));
    }
}
