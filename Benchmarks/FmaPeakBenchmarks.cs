// The machine's fp32 FMA peak under BenchmarkDotNet: the register-resident FMA loop of FmaPeak on 1 and 2 threads.
//
//   dotnet run -c Release --project Benchmarks -- --filter '*FmaPeak*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace DotGrad.Benchmarks;

/// <summary>FmaPeak.Run on each of <see cref="Threads"/> threads; the GFLOP/s column is the peak the other suites are stated against.</summary>
[Config(typeof(FmaPeakBenchmarkConfig))]
public class FmaPeakBenchmarks
{
    /// <summary>Loop iterations per thread per invocation: about 360M cycles of AVX-512 FMAs, over 100 ms.</summary>
    public const long Iterations = 30_000_000;

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [Benchmark(Description = "fp32 FMA loop")]
    public void Fma() => FmaPeak.RunOnThreads(Threads, Iterations);
}

/// <summary>A short fixed job (the loop's time barely varies) and the GFLOP/s column.</summary>
public sealed class FmaPeakBenchmarkConfig : ManualConfig
{
    public FmaPeakBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).AsDefault());
        AddColumn(new ThroughputColumn("FmaPeakGflops", $"GFLOP/s ({FmaPeak.Isa})", "fp32 FLOPs of the FMA loop / median time",
            c => c.Parameters["Threads"] is int t ? t * (double)FmaPeakBenchmarks.Iterations * FmaPeak.FlopsPerIteration / 1e9 : null));
    }
}
