// BenchmarkDotNet suites for the CPU GEMM: square SGEMM on the packed SIMD kernel over sizes and thread counts,
// the naive triple loop as a baseline, and a GFLOP/s column (2 N^3 / mean time) to compare against peak.
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DotGrad.Backends.Cpu;

namespace DotGrad.Benchmarks;

/// <summary>Square row-major N x N x N operands in 64-byte-aligned native memory, filled from a fixed seed.</summary>
public abstract unsafe class SquareGemmBenchmarkBase
{
    protected float* A, B, C;

    public abstract int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        nuint bytes = (nuint)N * (nuint)N * sizeof(float);
        A = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        B = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        C = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        var rng = new Random(42);
        for (int i = 0; i < N * N; i++)
        {
            A[i] = (float)rng.NextDouble() - 0.5f;
            B[i] = (float)rng.NextDouble() - 0.5f;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(A);
        NativeMemory.AlignedFree(B);
        NativeMemory.AlignedFree(C);
    }
}

/// <summary>The packed, register-blocked SGEMM, on one thread and on all of them.</summary>
[Config(typeof(GemmBenchmarkConfig))]
public unsafe class GemmBenchmarks : SquareGemmBenchmarkBase
{
    [Params(64, 128, 256, 512, 1024)]
    public override int N { get; set; }

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<int> ThreadCounts => new[] { 1, Environment.ProcessorCount }.Distinct();

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(N, N, N, A, N, 1, B, N, 1, C, N, accumulate: false, maxThreads: Threads);
}

/// <summary>The naive triple loop, the oracle the fast kernel replaces; only small sizes, it is slow.</summary>
[Config(typeof(GemmBenchmarkConfig))]
public unsafe class GemmNaiveBenchmarks : SquareGemmBenchmarkBase
{
    [Params(64, 128, 256)]
    public override int N { get; set; }

    [Benchmark(Baseline = true)]
    public void NaiveSgemm() => GemmNaive.Sgemm(N, N, N, A, N, 1, B, N, 1, C, N, accumulate: false, maxThreads: 1);
}

/// <summary>Short, fixed iteration counts keep the whole suite to a few minutes; adds the GFLOP/s column.</summary>
public sealed class GemmBenchmarkConfig : ManualConfig
{
    public GemmBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).AsDefault());
        AddColumn(new GflopsColumn());
        AddColumn(new ThroughputColumn("GemmPeak", "% of FMA peak", "2 N^3 / median time over the measured fp32 FMA peak at the same thread count",
            c => c.Parameters["N"] is int n ? 100 * 2.0 * n * n * n / 1e9 / FmaPeak.CachedGflops(c.Parameters["Threads"] is int t ? t : 1) : null, "F0"));
    }
}

/// <summary>Throughput of a square GEMM: 2 N^3 floating-point operations divided by the mean time per call.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Billions of floating-point operations per second: 2 * N^3 / mean time";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || benchmarkCase.Parameters["N"] is not int n)
            return "NA";
        double flops = 2.0 * n * n * n;
        return (flops / (stats.Mean * 1e-9) / 1e9).ToString("F1");
    }
}
