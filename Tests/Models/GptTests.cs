// The GPT: shapes, parameter counts derived by hand, GPT-2 initialisation, memorising one batch, sampling, bad
// input, and agreement between the CPU and OpenCL.
using System.Diagnostics;
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using AG = DotGrad.Autodiff.Autograd;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Models;

public class GptTests
{
    /// <summary>V 10, context 8, width 8, 2 blocks of 2 heads, MLP 32, learned positions, tied head, LayerNorm with bias.</summary>
    private static readonly GptConfig Small = new(VocabSize: 10, ContextLength: 8, Width: 8, Depth: 2, Heads: 2);

    /// <summary>
    /// The same size with the modern switches: RoPE, untied head, RmsNorm, SwiGLU of hidden 12, no biases, 4 query
    /// heads sharing 2 key/value heads, QK-norm.
    /// </summary>
    private static readonly GptConfig Modern = new(VocabSize: 10, ContextLength: 8, Width: 8, Depth: 2, Heads: 4, MlpHidden: 12,
        Positions: GptPositions.Rope, TiedHead: false, NormKind: NormKind.RmsNorm, Mlp: MlpKind.SwiGlu, Bias: false, KvHeads: 2, QkNorm: true);

    private static Tensor Tokens(params int[][] rows) =>
        Tensor.FromArray(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Test]
    public void ParameterCount_SmallConfig_MatchesTheHandCount()
    {
        // wte 10*8 = 80; wpe 8*8 = 64; per block: ln_1 8+8 = 16; attention q, k, v, out 4*(8*8 + 8) = 288;
        // ln_2 16; mlp fc 8*32 + 32 = 288 and proj 32*8 + 8 = 264 -> 552; block = 16 + 288 + 16 + 552 = 872, two = 1744;
        // ln_f 16; head tied to wte: 0. Total 80 + 64 + 1744 + 16 = 1904.
        using var gpt = new Gpt(Small, new Generator(1));
        Assert.That(gpt.ParameterCount(), Is.EqualTo(1904));
        Assert.That(gpt.NamedParameters().Select(p => p.Name), Does.Not.Contain("lm_head.weight"));
        Assert.That(gpt.NamedParameters().Select(p => p.Name).Take(4),
                    Is.EqualTo(new[] { "wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias" }));
    }

    [Test]
    public void ParameterCount_ModernConfig_MatchesTheHandCount()
    {
        // head dim 8/4 = 2. wte 10*8 = 80; no wpe (RoPE has no parameters); per block: ln_1 (RMS, no bias) 8;
        // q 8*8 = 64, k and v 8*(2 kv heads * 2) = 32 each, out 8*8 = 64 -> 192; QK-norm scales 2 + 2 = 4; ln_2 8;
        // SwiGLU gate 8*12 = 96, up 96, down 12*8 = 96 -> 288; block = 8 + 192 + 4 + 8 + 288 = 500, two = 1000;
        // ln_f 8; untied lm_head 10*8 = 80. Total 80 + 1000 + 8 + 80 = 1168.
        using var gpt = new Gpt(Modern, new Generator(1));
        Assert.That(gpt.ParameterCount(), Is.EqualTo(1168));
        Assert.That(gpt.NamedParameters().Select(p => p.Name), Does.Contain("lm_head.weight").And.Contain("h.1.attn.key_norm.weight"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Forward_GivesLogitsForEveryPosition(bool modern)
    {
        using var gpt = new Gpt(modern ? Modern : Small, new Generator(2));
        using var tokens = Tokens([1, 2, 3, 4, 5], [6, 7, 8, 9, 0]);
        Assert.That(gpt.Call(tokens).Shape, Is.EqualTo(new[] { 2, 5, 10 }));
        Assert.That(gpt.Summary(tokens), Does.Contain("h.1.attn").And.Contain("[2, 5, 10]"));
    }

    public static IEnumerable<TestCaseData> BlockSwitches()
    {
        yield return new TestCaseData(Small with { Norm = NormPlacement.Post }).SetName("Forward_EveryBlockSwitch(post-norm, no final norm)");
        yield return new TestCaseData(Small with { Norm = NormPlacement.Double, Parallel = true }).SetName("Forward_EveryBlockSwitch(double, parallel)");
        yield return new TestCaseData(Small with { Residual = ResidualKind.ReZero }).SetName("Forward_EveryBlockSwitch(rezero, no norms)");
        yield return new TestCaseData(Small with { Residual = ResidualKind.Scaled, Mlp = MlpKind.GeGlu }).SetName("Forward_EveryBlockSwitch(scaled, geglu)");
        yield return new TestCaseData(Small with { Scale = AttentionScale.Inverse, AttentionOutputScale = 1.0 / 3, Activation = Activation.ScaledGelu })
            .SetName("Forward_EveryBlockSwitch(dualized)");
    }

    [TestCaseSource(nameof(BlockSwitches))]
    public void Forward_EveryBlockSwitch(GptConfig config)
    {
        using var gpt = new Gpt(config, new Generator(3));
        using var tokens = Tokens([1, 2, 3], [4, 5, 6]);
        Assert.That(gpt.Call(tokens).Shape, Is.EqualTo(new[] { 2, 3, 10 }));
        bool finalNorm = config.Norm != NormPlacement.Post && config.Residual != ResidualKind.ReZero;
        Assert.That(gpt.FinalNorm is not null, Is.EqualTo(finalNorm));
    }

    [Test]
    public void Blocks_GetTheGptSwitches()
    {
        using var gpt = new Gpt(Modern with { Residual = ResidualKind.Scaled, Depth = 3, RopeBase = 500_000 }, new Generator(3));
        var block = gpt.Blocks[2];
        Assert.That(gpt.Blocks, Has.Count.EqualTo(3));
        Assert.That(block.ResidualScale, Is.EqualTo(1.0 / 6), "s = 1 / (2 Depth)");
        Assert.That(block.Attention.Config, Is.EqualTo(new AttentionConfig(8, 4, KvHeads: 2, Causal: true, Rope: true, RopeBase: 500_000, QkNorm: true, Bias: false)));
        Assert.That(block.Attention.Rope!.Base, Is.EqualTo(500_000));
        Assert.That(block.Mlp.Kind, Is.EqualTo(MlpKind.SwiGlu));
        Assert.That(block.Mlp.Hidden, Is.EqualTo(12));
        Assert.That(block.Norm1, Is.InstanceOf<RmsNorm>());
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Forward_LogitsAtPositionTIgnoreLaterTokens(bool modern)
    {
        using var gpt = new Gpt(modern ? Modern : Small, new Generator(4));
        using var a = Tokens([1, 2, 3, 4, 5, 6]);
        using var b = Tokens([1, 2, 3, 9, 8, 7]);
        var la = gpt.Call(a);
        var lb = gpt.Call(b);
        Assert.That(Check.Values(lb[.., ..3]), Is.EqualTo(Check.Values(la[.., ..3])).Within(1e-6));
        Assert.That(Check.Values(lb[.., 3..]), Is.Not.EqualTo(Check.Values(la[.., 3..])));
    }

    [Test]
    public void Init_IsGpt2s()
    {
        // Width 64, depth 2: residual projections N(0, 0.02 / sqrt(4) = 0.01), other matrices N(0, 0.02), biases 0, norms 1.
        using var gpt = new Gpt(new GptConfig(VocabSize: 64, ContextLength: 16, Width: 64, Depth: 2, Heads: 4), new Generator(4));
        var p = gpt.NamedParameters().ToDictionary(e => e.Name, e => Check.Values(e.Parameter));
        static double Std(double[] v) => Math.Sqrt(v.Select(e => e * e).Average());
        foreach (var name in new[] { "h.0.attn.out.weight", "h.1.mlp.proj.weight" })
            Assert.That(Std(p[name]), Is.EqualTo(0.01).Within(0.001), name);
        foreach (var name in new[] { "wte.weight", "wpe.weight", "h.0.attn.query.weight", "h.1.mlp.fc.weight" })
            Assert.That(Std(p[name]), Is.EqualTo(0.02).Within(0.002), name);
        foreach (var name in p.Keys.Where(n => n.EndsWith(".bias")))
            Assert.That(p[name], Is.All.EqualTo(0.0), name);
        Assert.That(p["h.0.ln_1.weight"], Is.All.EqualTo(1.0));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Gradient_ThroughTheWholeModel(bool modern)
    {
        // Logits w.r.t. every parameter (token ids are not differentiable): 2 blocks, width 4, T 3.
        var config = (modern ? Modern : Small) with { Width = 4, Heads = 2, KvHeads = modern ? 1 : null, MlpHidden = 6, VocabSize = 5 };
        using var gpt = new Gpt(config, new Generator(5), DType.Float64);
        using (AG.NoGrad())
            foreach (var (_, w) in gpt.NamedParameters().Where(e => e.Name.EndsWith("out.weight") || e.Name.EndsWith("proj.weight") || e.Name.EndsWith("down.weight")))
                w.Detach()[TensorIndex.Ellipsis] = w * 30.0;                   // larger than GPT-2's init, so every path matters
        using var tokens = Tokens([1, 4, 2]);
        var result = GradCheck.Check(_ => gpt.Call(tokens), [.. gpt.Parameters()]);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void Overfit_OneBatch_LossFallsBelow0Point05()
    {
        // Two fixed sequences; the targets are the next tokens. Every prefix is distinct, so the loss can reach 0.
        int[][] rows = [[1, 5, 2, 7, 3, 9, 4, 0, 11], [6, 2, 8, 10, 1, 3, 11, 5, 7]];
        using var tokens = Tokens([.. rows.Select(r => r[..8])]);
        using var targets = Tokens([.. rows.Select(r => r[1..])]);
        using var gpt = new Gpt(new GptConfig(VocabSize: 12, ContextLength: 8, Width: 16, Depth: 2, Heads: 2), new Generator(6));
        var adam = new TinyAdam(gpt.Parameters(), lr: 1e-2, beta2: 0.99);

        var clock = Stopwatch.StartNew();
        double loss = double.NaN;
        int step;
        for (step = 1; step <= 300; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            adam.ZeroGrad();
            var l = F.CrossEntropy(gpt.Call(tokens).Reshape(2 * 8, 12), targets.Reshape(-1));
            l.Backward();
            adam.Step();
            loss = l.Item();
            if (loss < 0.05) break;
        }
        TestContext.Out.WriteLine($"loss {loss:F4} after {step} Adam steps in {clock.Elapsed.TotalSeconds:F2} s");
        adam.Dispose();
        Assert.That(loss, Is.LessThan(0.05), $"after {step - 1} steps");
    }

    [Test]
    public void LogitCap_BoundsTheLogits_AndTheCappedModelStillTrains()
    {
        int[][] rows = [[1, 5, 2, 7, 3, 9, 4, 0, 11], [6, 2, 8, 10, 1, 3, 11, 5, 7]];
        using var tokens = Tokens([.. rows.Select(r => r[..8])]);
        using var targets = Tokens([.. rows.Select(r => r[1..])]);
        const double cap = 2.0;
        using var gpt = new Gpt(new GptConfig(VocabSize: 12, ContextLength: 8, Width: 16, Depth: 2, Heads: 2, LogitCap: cap, AttentionLogitCap: 3.0),
                                new Generator(6));
        // Scaled-up embeddings would give logits far above the cap without it.
        Scale(gpt.TokenEmbedding.Weight, 100.0);
        using (var scope = Tensor.NewDisposeScope())
        {
            var logits = gpt.Call(tokens).ToArray<float>();
            Assert.That(logits.Max(Math.Abs), Is.LessThanOrEqualTo(cap), "every logit inside (-cap, cap)");
        }
        Scale(gpt.TokenEmbedding.Weight, 0.01);

        var adam = new TinyAdam(gpt.Parameters(), lr: 1e-2, beta2: 0.99);
        double first = double.NaN, loss = double.NaN;
        for (int step = 1; step <= 60; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            adam.ZeroGrad();
            var l = F.CrossEntropy(gpt.Call(tokens).Reshape(2 * 8, 12), targets.Reshape(-1));
            l.Backward();
            adam.Step();
            loss = l.Item();
            if (step == 1) first = loss;
        }
        adam.Dispose();
        TestContext.Out.WriteLine($"capped GPT: loss {first:F4} -> {loss:F4} in 60 steps");
        Assert.That(loss, Is.LessThan(first * 0.7), "the capped model learns");

        static void Scale(Tensor w, double factor)
        {
            using var noGrad = AG.NoGrad();
            using var scope = Tensor.NewDisposeScope();
            w.Detach()[TensorIndex.Ellipsis] = w * factor;
        }
    }

    [Test]
    public void LogitCap_NotPositive_IsRejectedByName() =>
        Assert.That(() => new Gpt(Small with { LogitCap = 0 }), Throws.ArgumentException.With.Message.Contains("LogitCap"));

    [Test]
    public void Generate_SameSeed_SameTokens_AndKeepsThePrompt()
    {
        using var gpt = new Gpt(Small, new Generator(7));
        using var prompt = Tokens([3, 1], [4, 1]);
        var a = gpt.Generate(prompt, maxTokens: 12, temperature: 1.5, generator: new Generator(42)).ToArray<int>();
        var b = gpt.Generate(prompt, maxTokens: 12, temperature: 1.5, generator: new Generator(42)).ToArray<int>();
        var c = gpt.Generate(prompt, maxTokens: 12, temperature: 1.5, generator: new Generator(43)).ToArray<int>();
        Assert.That(a, Has.Length.EqualTo(2 * 14));
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a), "another seed gives other tokens");
        Assert.That(new[] { a[0], a[1], a[14], a[15] }, Is.EqualTo(new[] { 3, 1, 4, 1 }));
        Assert.That(a, Is.All.InRange(0, 9));
    }

    [Test]
    public void Generate_Greedy_PicksTheArgmaxOfTheLastLogits()
    {
        using var gpt = new Gpt(Small, new Generator(8));
        using var prompt = Tokens([3, 1, 4], [1, 5, 9]);
        var greedy = gpt.Generate(prompt, maxTokens: 10, temperature: 0);       // 13 > ContextLength 8: crops
        var tokens = greedy.ToArray<int>();
        for (int n = 3; n < 13; n++)
        {
            int from = Math.Max(0, n - 8);
            var context = greedy[.., from..n].Contiguous();
            var expected = gpt.Call(context)[.., ^1].Argmax(-1).ToArray<long>().Select(i => (int)i).ToArray(); // Int64, as torch.argmax
            Assert.That(new[] { tokens[n], tokens[13 + n] }, Is.EqualTo(expected), $"token {n}");
        }
        // top-k 1 keeps only the argmax, whatever the seed and temperature.
        Assert.That(gpt.Generate(prompt, 10, temperature: 2, topK: 1, generator: new Generator(1)).ToArray<int>(), Is.EqualTo(tokens));
    }

    [Test]
    public void ReadmeExample_RunsAsWritten()
    {
        // The README's "Transformer blocks and GPT" example, verbatim, so that it keeps compiling.
        var config = new GptConfig(VocabSize: 65, ContextLength: 32, Width: 32, Depth: 2, Heads: 4,
                                   Positions: GptPositions.Rope, NormKind: NormKind.RmsNorm, Mlp: MlpKind.SwiGlu,
                                   MlpHidden: 96, KvHeads: 2, QkNorm: true, TiedHead: false);
        using var gpt = new Gpt(config, new Generator(0));               // GPT-2 init: N(0, 0.02), residual projections / sqrt(2 Depth)
        var tokens = Tensor.Randint(0, 65, [4, 32], new Generator(1));   // [B, T] Int32
        var logits = gpt.Call(tokens);                                   // [B, T, V]
        var loss = Functional.CrossEntropy(logits[.., ..^1].Reshape(-1, 65), tokens[.., 1..].Reshape(-1));
        loss.Backward();
        Console.WriteLine(gpt.Summary(tokens));                          // layers, output shapes, parameter counts
        var text = gpt.Generate(tokens[..1, ..8], maxTokens: 16, temperature: 0.8, topK: 10, generator: new Generator(2));

        // The pieces on their own: a post-norm parallel block, multi-query attention, attention pooling.
        using var block = new TransformerBlock(new BlockConfig(Width: 32, Heads: 4, MlpHidden: 128, Norm: NormPlacement.Post, Parallel: true));
        using var mqa = new MultiHeadAttention(new AttentionConfig(32, 4, KvHeads: 1, Causal: true, Rope: true));
        using var map = new MultiHeadAttentionPooling(32, 4);            // [B, N, C] -> [B, C]

        Assert.That(loss.Item(), Is.EqualTo(Math.Log(65)).Within(0.1), "GPT-2's small init starts near uniform predictions");
        Assert.That(text.Shape, Is.EqualTo(new[] { 1, 24 }));
        Assert.That(gpt.Parameters().All(p => p.Grad is not null));
    }

    [Test]
    public void BadInput_NamesTheConfigField()
    {
        using var gpt = new Gpt(Small, new Generator(9));
        using var tooLong = Tensor.Zeros([1, 9], DType.Int32);
        Assert.That(() => gpt.Call(tooLong), Throws.ArgumentException.With.Message.Contains("ContextLength = 8").And.Message.Contains("T = 9"));
        using var floats = Tensor.Zeros(1, 3);
        Assert.That(() => gpt.Call(floats), Throws.ArgumentException.With.Message.Contains("Int32"));
        Assert.That(() => gpt.Generate(floats, 2), Throws.ArgumentException.With.Message.Contains("Int32"));
        Assert.That(() => new Gpt(Small with { Heads = 3 }), Throws.ArgumentException.With.Message.Contains("Heads = 3"));
        Assert.That(() => new Gpt(Small with { KvHeads = 3 }), Throws.ArgumentException.With.Message.Contains("KvHeads"));
        Assert.That(() => new Gpt(Small with { Heads = 8, Positions = GptPositions.Rope }), Throws.ArgumentException.With.Message.Contains("Rope"));
        Assert.That(() => new Gpt(Small with { ContextLength = 0 }), Throws.ArgumentException.With.Message.Contains("ContextLength"));
        Assert.That(() => new Gpt(Small with { VocabSize = 0 }), Throws.ArgumentException.With.Message.Contains("VocabSize"));
    }

    [Test]
    public void Forward_CpuAndOpenCL_Agree()
    {
        var gpu = Device.OpenCL(0);
        TestDevices.Require(gpu);
        foreach (var config in new[] { Small, Modern })
        {
            using var cpu = new Gpt(config, new Generator(10));
            using var cl = new Gpt(config, new Generator(10));
            cl.To(gpu);
            using var tokens = Tokens([1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]);
            using var clTokens = tokens.To(gpu);
            Check.Close(Check.Values(cl.Call(clTokens)), Check.Values(cpu.Call(tokens)), atol: 1e-5, rtol: 1e-4);
        }
    }
}
