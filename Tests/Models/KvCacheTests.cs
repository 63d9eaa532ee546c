// The key/value cache of Gpt.Generate: step by step the cached forward gives the logits of the full recomputation
// (bit for bit where the CPU GEMM runs its plain loop, to rounding otherwise), and Generate gives the same tokens with
// and without it: greedy and sampled, several rows, and past the context, where it recomputes the window.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Models;

public class KvCacheTests
{
    /// <summary>GPT-2's shape in miniature: every product is below the GEMM's 16^3 plain-loop threshold.</summary>
    private static readonly GptConfig Small = new(VocabSize: 10, ContextLength: 8, Width: 8, Depth: 2, Heads: 2, Activation: Activation.GeluTanh);

    /// <summary>RoPE (numbered from the cache's length), grouped-query heads, QK-norm, RMS norm, SwiGLU, untied head.</summary>
    private static readonly GptConfig Modern = new(VocabSize: 10, ContextLength: 8, Width: 8, Depth: 2, Heads: 4, MlpHidden: 12,
        Positions: GptPositions.Rope, TiedHead: false, NormKind: NormKind.RmsNorm, Mlp: MlpKind.SwiGlu, Bias: false, KvHeads: 2, QkNorm: true);

    /// <summary>Wide enough for the packed GEMM (width 64, context 24): its rounding depends on the number of rows.</summary>
    private static readonly GptConfig Wide = new(VocabSize: 40, ContextLength: 24, Width: 64, Depth: 2, Heads: 4);

    public static IEnumerable<TestCaseData> Exact()
    {
        yield return new TestCaseData(Small, DType.Float32).SetName("CachedSteps_GiveTheFullForwardsLastLogits_BitForBit(gpt-2 f32)");
        yield return new TestCaseData(Small, DType.Float64).SetName("CachedSteps_GiveTheFullForwardsLastLogits_BitForBit(gpt-2 f64)");
        yield return new TestCaseData(Modern, DType.Float32).SetName("CachedSteps_GiveTheFullForwardsLastLogits_BitForBit(rope gqa qk-norm)");
    }

    [TestCaseSource(nameof(Exact))]
    public void CachedSteps_GiveTheFullForwardsLastLogits_BitForBit(GptConfig config, DType dtype)
    {
        // One row of 8 tokens keeps every product of the full forward below 16^3 multiply-adds (the MLP's 8 x 32 x 8 =
        // 2048 is the largest), so the CPU GEMM runs its plain loop for 1 row and for 8 alike. (Two rows reach 4096 at
        // 8 tokens, where the packed kernel takes over and rounds differently: see the next test.)
        using var gpt = new Gpt(config, new Generator(11), dtype);
        gpt.Eval();
        int[][] rows = [[3, 1, 4, 1, 5, 9, 2, 6]];
        using var noGrad = AG.NoGrad();
        using var cache = new KvCache(gpt);
        for (int n = 3; n <= 8; n++)
        {
            using var scope = Tensor.NewDisposeScope();
            // Prefill with the first 3 tokens, then one token per step.
            int from = n == 3 ? 0 : n - 1;
            var fresh = Tensor.FromArray(rows.SelectMany(r => r[from..n]).ToArray(), [1, n - from]);
            var full = Tensor.FromArray(rows.SelectMany(r => r[..n]).ToArray(), [1, n]);
            var cached = gpt.Logits(gpt.Hidden(fresh, cache)[.., ^1]);          // [1, V]
            var expected = gpt.Logits(gpt.Hidden(full)[.., ^1]);               // [1, V]
            Assert.That(cache.Length, Is.EqualTo(n));
            Assert.That(ToDoubles(cached), Is.EqualTo(ToDoubles(expected)), $"{n} tokens");
        }
        Assert.That(cache.Bytes, Is.EqualTo(2L * config.Depth * 1 * (config.KvHeads ?? config.Heads) * 8 * (config.Width / config.Heads) * dtype.ElementSize()),
                    "2 (k and v) x Depth x B x KvHeads x Capacity x hs elements");
    }

    public static IEnumerable<TestCaseData> Rounded()
    {
        yield return new TestCaseData(Wide).SetName("CachedSteps_AgreeToRounding(wide: the packed GEMM)");
        yield return new TestCaseData(Wide with { AttentionLogitCap = 5, LogitCap = 10 })
            .SetName("CachedSteps_AgreeToRounding(soft caps: tanh on rows of any length)");
    }

    [TestCaseSource(nameof(Rounded))]
    public void CachedSteps_AgreeToRounding(GptConfig config)
    {
        // The packed GEMM rounds a row differently from the plain loop (FMA, blocks of the depth, the bias added last on
        // edge tiles), and an elementwise tanh differs between its vector and scalar forms, so 1 row and n rows agree to
        // float rounding rather than bit for bit.
        using var gpt = new Gpt(config, new Generator(12));
        gpt.Eval();
        var row = Enumerable.Range(0, 24).Select(i => (i * 17 + 3) % 40).ToArray();
        using var noGrad = AG.NoGrad();
        using var cache = new KvCache(gpt);
        for (int n = 5; n <= 24; n++)
        {
            using var scope = Tensor.NewDisposeScope();
            int from = n == 5 ? 0 : n - 1;
            var cached = gpt.Logits(gpt.Hidden(Tensor.FromArray(row[from..n], [1, n - from]), cache)[.., ^1]).ToArray<float>();
            var expected = gpt.Logits(gpt.Hidden(Tensor.FromArray(row[..n], [1, n]))[.., ^1]).ToArray<float>();
            // Float32 rounding of sums of 64-256 terms of size ~1: a few 1e-7, far below any gap between logits that matters.
            for (int v = 0; v < expected.Length; v++)
                Assert.That(cached[v], Is.EqualTo(expected[v]).Within(1e-5), $"{n} tokens, logit {v}");
        }
    }

    public static IEnumerable<TestCaseData> Generation()
    {
        foreach (var (name, config) in new[] { ("gpt-2", Small), ("modern", Modern), ("wide", Wide) })
        {
            yield return new TestCaseData(config, 0.0, null).SetName($"Generate_WithAndWithoutTheCache_SameTokens({name}, greedy)");
            yield return new TestCaseData(config, 1.0, null).SetName($"Generate_WithAndWithoutTheCache_SameTokens({name}, temperature 1)");
            yield return new TestCaseData(config, 0.7, 3).SetName($"Generate_WithAndWithoutTheCache_SameTokens({name}, temperature 0.7 top-k 3)");
        }
    }

    [TestCaseSource(nameof(Generation))]
    public void Generate_WithAndWithoutTheCache_SameTokens(GptConfig config, double temperature, int? topK)
    {
        // 3 prompt tokens and 2 * ContextLength new ones: the cache serves the steps up to the context, then every step
        // recomputes the sliding window.
        using var gpt = new Gpt(config, new Generator(13));
        gpt.Eval();
        using var prompt = Tensor.FromArray(new[] { 3, 1, 4, 1, 5, 9 }, [2, 3]);
        int steps = 2 * config.ContextLength;
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            var with = gpt.Generate(prompt, steps, temperature, topK, new Generator(seed), kvCache: true).ToArray<int>();
            var without = gpt.Generate(prompt, steps, temperature, topK, new Generator(seed), kvCache: false).ToArray<int>();
            Assert.That(with, Is.EqualTo(without), $"seed {seed}");
            Assert.That(with, Has.Length.EqualTo(2 * (3 + steps)));
        }
    }

    [Test]
    public void CachedSteps_RunThroughTheForwardHooks_OfTheBlocksAndTheirAttention()
    {
        // A hook sees every call of its module, cached steps included: the prompt's forward gives [B, 3, C], then each
        // cached step [B, 1, C] (one new position).
        using var gpt = new Gpt(Small, new Generator(21));
        gpt.Eval();
        var blockShapes = new List<int[]>();
        var attentionShapes = new List<int[]>();
        using var h1 = gpt.Blocks[0].RegisterForwardHook((_, _, y) => blockShapes.Add(y.Shape));
        using var h2 = gpt.Blocks[^1].Attention.RegisterForwardHook((_, _, y) => attentionShapes.Add(y.Shape));
        using var prompt = Tensor.FromArray(new[] { 3, 1, 4, 1, 5, 9 }, [2, 3]);
        gpt.Generate(prompt, 4, 0, kvCache: true).Dispose();
        Assert.That(blockShapes, Has.Count.GreaterThanOrEqualTo(4));
        Assert.That(blockShapes[0], Is.EqualTo(new[] { 2, 3, Small.Width }));
        Assert.That(blockShapes[^1], Is.EqualTo(new[] { 2, 1, Small.Width }));
        Assert.That(attentionShapes.Select(s => s[1]), Is.EqualTo(blockShapes.Select(s => s[1])));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.WithOpenCL))]
    public void Generate_OnEachDevice_CachedStepsAgreeWithTheFullForward(Device device)
    {
        // On OpenCL the kernels' rounding also depends on the number of rows, so the cached logits are compared to a
        // tolerance, and the greedy tokens exactly.
        TestDevices.Require(device);
        using var gpt = new Gpt(Small, new Generator(17), device: device);
        gpt.Eval();
        using var prompt = Tensor.FromArray(new[] { 3, 1, 4, 1, 5, 9 }, [2, 3], device);
        var with = gpt.Generate(prompt, 12, 0, kvCache: true).ToArray<int>();
        var without = gpt.Generate(prompt, 12, 0, kvCache: false).ToArray<int>();
        Assert.That(with, Is.EqualTo(without));
        using var noGrad = AG.NoGrad();
        using var cache = new KvCache(gpt);
        using var scope = Tensor.NewDisposeScope();
        var row = new[] { 3, 1, 4, 1, 5, 9, 2, 6 };
        gpt.Hidden(Tensor.FromArray(row[..7], [1, 7], device), cache);
        var cached = gpt.Logits(gpt.Hidden(Tensor.FromArray(row[7..], [1, 1], device), cache)[.., ^1]).ToArray<float>();
        var full = gpt.Logits(gpt.Hidden(Tensor.FromArray(row, [1, 8], device))[.., ^1]).ToArray<float>();
        for (int v = 0; v < full.Length; v++) Assert.That(cached[v], Is.EqualTo(full[v]).Within(1e-5), $"logit {v}");
    }

    [Test]
    public void Generate_PromptLongerThanTheContext_SameTokens()
    {
        // T0 = 10 > ContextLength 8: no step can use the cache; every step crops to the last 8 tokens.
        using var gpt = new Gpt(Small, new Generator(14));
        gpt.Eval();
        using var prompt = Tensor.FromArray(Enumerable.Range(0, 10).ToArray(), [1, 10]);
        var with = gpt.Generate(prompt, 5, 1.0, generator: new Generator(5)).ToArray<int>();
        var without = gpt.Generate(prompt, 5, 1.0, generator: new Generator(5), kvCache: false).ToArray<int>();
        Assert.That(with, Is.EqualTo(without));
    }

    [Test]
    public void Generate_TrainingModeWithDropout_RecomputesLikeWithoutTheCache()
    {
        // Dropout draws new masks on every forward, so the cache is not used: both calls run the same forwards and, with
        // the dropout generator restored between them, draw the same masks.
        var generator = new Generator(15);
        using var gpt = new Gpt(Small.WithDropout(0.3), generator);
        var state = generator.GetState();
        using var prompt = Tensor.FromArray(new[] { 1, 2 }, [1, 2]);
        var with = gpt.Generate(prompt, 6, 1.0, generator: new Generator(8)).ToArray<int>();
        generator.SetState(state);
        var without = gpt.Generate(prompt, 6, 1.0, generator: new Generator(8), kvCache: false).ToArray<int>();
        Assert.That(with, Is.EqualTo(without));
    }

    [Test]
    public void Cache_BeyondItsCapacity_IsRefused()
    {
        using var gpt = new Gpt(Small, new Generator(16));
        using var noGrad = AG.NoGrad();
        using var cache = new KvCache(gpt);
        using var scope = Tensor.NewDisposeScope();
        gpt.Hidden(Tensor.FromArray(new int[6], [1, 6]), cache);
        Assert.That(() => gpt.Hidden(Tensor.FromArray(new int[3], [1, 3]), cache),
                    Throws.ArgumentException.With.Message.Contains("ContextLength = 8"));
        cache.Clear();
        Assert.That(cache.Length, Is.Zero);
        Assert.That(gpt.Hidden(Tensor.FromArray(new int[8], [1, 8]), cache).Shape, Is.EqualTo(new[] { 1, 8, 8 }));
    }

    private static double[] ToDoubles(Tensor t) => t.DType == DType.Float64 ? t.ToArray<double>() : [.. t.ToArray<float>().Select(v => (double)v)];
}
