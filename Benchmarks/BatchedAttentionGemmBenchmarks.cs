// The two batched products of written-out attention in the GPT reference step (B32, 4 heads, T128, head dim 32):
// scores q k^T, 128 products of [128, 32] x [32, 128], and the weighted values P v, 128 products of [128, 128] x
// [128, 32], through the tensor API's batched matmul, with GFLOP/s and its share of the measured FMA peak.
//
//   dotnet run -c Release --project Benchmarks -- --filter '*BatchedAttentionGemm*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using DotGrad.Backends.Cpu;

namespace DotGrad.Benchmarks;

/// <summary>
/// One batched product per invocation. "qk" multiplies q [128, 128, 32] by k^T (a transposed view of k
/// [128, 128, 32], as attention reads it); "pv" multiplies P [128, 128, 128] by v [128, 128, 32].
/// </summary>
[Config(typeof(BatchedAttentionGemmConfig))]
public class BatchedAttentionGemmBenchmarks
{
    /// <summary>Batch items (32 sequences x 4 heads), sequence length and head dim of the GPT reference step.</summary>
    public const int Batch = 128, T = 128, HeadDim = 32;

    [Params("qk", "pv")]
    public string Product { get; set; } = "qk";

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    private Tensor _a = null!, _b = null!;

    [GlobalSetup]
    public void Setup()
    {
        CpuBackend.MaxThreads = Threads;
        var g = new Generator(1);
        if (Product == "qk")
        {
            _a = Tensor.Randn([Batch, T, HeadDim], g);                   // q
            _b = Tensor.Randn([Batch, T, HeadDim], g).MT;                // k^T [B, 32, 128], a view
        }
        else
        {
            _a = Tensor.Randn([Batch, T, T], g);                         // P
            _b = Tensor.Randn([Batch, T, HeadDim], g);                   // v
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Benchmark(Description = "batched attention product")]
    public void Multiply()
    {
        using var c = _a.MatMul(_b);
    }

    /// <summary>2 M N K per product times the batch: both products are 2 * 128 * 128 * 128 * 32 FLOP.</summary>
    public static double Gflop => 2.0 * Batch * T * T * HeadDim / 1e9;
}

/// <summary>Warm-up and iterations as the other suites, plus GFLOP/s and % of the FMA peak at the same thread count.</summary>
public sealed class BatchedAttentionGemmConfig : ManualConfig
{
    public BatchedAttentionGemmConfig()
    {
        AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(20).AsDefault());
        AddColumn(new ThroughputColumn("BatchedAttentionGflops", "GFLOP/s", "2 * 128 * 128 * 128 * 32 / median time", _ => BatchedAttentionGemmBenchmarks.Gflop));
        AddColumn(new ThroughputColumn("BatchedAttentionPeak", "% of FMA peak", "GFLOP/s over the measured fp32 FMA peak at the same thread count",
            c => c.Parameters["Threads"] is int t ? 100 * BatchedAttentionGemmBenchmarks.Gflop / FmaPeak.CachedGflops(t) : null, "F0"));
    }
}
