// The reference training steps (GPT, MLP, ViT; see ReferenceSteps) at 1 and 2 threads, with their matrix-multiply
// GFLOP/s and that as a share of the machine's measured fp32 FMA peak at the same thread count.
//
//   dotnet run -c Release --project Benchmarks -- --filter '*ReferenceStep*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using DotGrad.Backends.Cpu;

namespace DotGrad.Benchmarks;

/// <summary>
/// One reference step per invocation on the CPU backend. The thread count is <see cref="CpuBackend.MaxThreads"/>, the
/// most threads any kernel uses (GEMM and elementwise alike), set in the benchmark's own process.
/// </summary>
[Config(typeof(ReferenceStepBenchmarkConfig))]
public class ReferenceStepBenchmarks
{
    [Params("gpt", "mlp", "vit")]
    public string Model { get; set; } = "gpt";

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    private ReferenceStep _step = null!;

    [GlobalSetup]
    public void Setup()
    {
        CpuBackend.MaxThreads = Threads;
        _step = ReferenceSteps.Create(Model);
    }

    [GlobalCleanup]
    public void Cleanup() => _step.Dispose();

    [Benchmark(Description = "reference training step")]
    public double Step() => _step.Step();
}

/// <summary>
/// Many steps after warm-up (the median is the figure to report), plus the GFLOP/s and %-of-peak columns. The peak
/// is measured once per thread count when the summary is printed (<see cref="FmaPeak.CachedGflops"/>).
/// </summary>
public sealed class ReferenceStepBenchmarkConfig : ManualConfig
{
    public ReferenceStepBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(20).AsDefault());
        AddColumn(new ThroughputColumn("ReferenceStepGflops", "GFLOP/s", "Matrix-multiply GFLOP per step / median time", Gflops));
        AddColumn(new ThroughputColumn("ReferenceStepPeak", "% of FMA peak", "GFLOP/s over the measured fp32 FMA peak at the same thread count",
            c => Gflops(c) is { } g && c.Parameters["Threads"] is int t ? 100 * g / FmaPeak.CachedGflops(t) : null, "F0"));
    }

    private static double? Gflops(BenchmarkCase c) =>
        c.Parameters["Model"] is string m ? ReferenceSteps.Flops(m).PerStep / 1e9 : null;
}
