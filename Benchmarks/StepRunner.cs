// A plain timed run of one reference step, outside BenchmarkDotNet: the median step time and its share of the FMA peak,
// the process's peak resident memory (VmHWM) after N steps, and with --profile the profiler's table of one step.
// For quick looks while working and for the peak-memory figure (a fresh process per run); the README's speed figures
// come from the BenchmarkDotNet suites.
//
//   dotnet run -c Release --project Benchmarks -- steps gpt --threads 2 --steps 50 [--profile]
using System.Globalization;
using DotGrad.Backends.Cpu;

namespace DotGrad.Benchmarks;

internal static class StepRunner
{
    private const string Usage = "usage: steps gpt|mlp|vit [--threads N] [--steps N] [--warmup N] [--profile]";

    public static int Run(string[] args)
    {
        if (args.Length < 1 || !ReferenceSteps.Names.Contains(args[0]))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string name = args[0];
        int threads = Environment.ProcessorCount, steps = 50, warmup = 5;
        bool profile = false;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length: threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps" when i + 1 < args.Length: steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup" when i + 1 < args.Length: warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--profile": profile = true; break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        CpuBackend.MaxThreads = threads;
        using var step = ReferenceSteps.Create(name);
        for (int i = 0; i < warmup; i++) step.Step();
        long systemBefore = DotGrad.Backends.HostAllocator.SystemAllocations;   // blocks the pool takes from the OS once warm
        var t = step.Time(0, steps);
        double median = t.Median * 1e3;
        double gflops = step.Flops.PerStep / (median * 1e6);
        double peak = FmaPeak.CachedGflops(threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {threads} thread(s), {steps} steps after {warmup} warm-up: median {median:F2} ms (min {t.Min * 1e3:F2}, max {t.Max * 1e3:F2}), " +
            $"{gflops:F1} GFLOP/s = {100 * gflops / peak:F1}% of the {peak:F1} GFLOP/s FMA peak; last loss {t.LastLoss:F4}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"peak resident memory (VmHWM) {PeakRssMiB():F0} MiB; host pool: {DotGrad.Backends.HostAllocator.PeakLiveBytes / 1048576.0:F0} MiB peak live, " +
            $"{DotGrad.Backends.HostAllocator.PooledBytes / 1048576.0:F0} MiB pooled now, " +
            $"{DotGrad.Backends.HostAllocator.SystemAllocations - systemBefore} blocks from the OS during the timed steps"));
        if (profile)
        {
            using var prof = Profiler.Start();
            step.Step();
            prof.Dispose();
            Console.WriteLine(prof.Table());
        }
        return 0;
    }

    /// <summary>The process's peak resident set size from /proc/self/status (Linux), in MiB; NaN elsewhere.</summary>
    internal static double PeakRssMiB()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return double.NaN;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
