// Dropout in the GPT, where GPT-2 and nanoGPT put it: on the embeddings, on the attention probabilities and on each
// branch's output before the residual add. Off in eval mode and at rate 0, seeded, the expected share of zeros, and
// gradients through fixed masks.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Models;

public class GptDropoutTests
{
    private static readonly GptConfig Small = new(VocabSize: 10, ContextLength: 8, Width: 8, Depth: 2, Heads: 2);

    /// <summary>Overwrites a parameter with a constant.</summary>
    private static void Set(Tensor parameter, double value)
    {
        using var v = Tensor.Full(parameter.Shape, value, parameter.DType);
        parameter.Detach()[TensorIndex.Ellipsis] = v;
    }

    private static Tensor Tokens(params int[][] rows) =>
        Tensor.FromArray(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Test]
    public void Defaults_AreZero_AndWithDropoutSetsAllThree()
    {
        Assert.That(Small.HasDropout, Is.False);
        var c = Small.WithDropout(0.1);
        Assert.That((c.EmbeddingDropout, c.AttentionDropout, c.ResidualDropout), Is.EqualTo((0.1, 0.1, 0.1)));
        Assert.That(c.Block.AttentionDropout, Is.EqualTo(0.1));
        Assert.That(c.Block.ResidualDropout, Is.EqualTo(0.1));
        Assert.That(c.Block.Attention.Dropout, Is.EqualTo(0.1));
    }

    [Test]
    public void EvalMode_OutputDoesNotDependOnTheRate()
    {
        // Dropout adds no parameters, so the same seed initialises both models alike; in eval mode dropout is the identity.
        using var plain = new Gpt(Small, new Generator(1));
        using var dropped = new Gpt(Small.WithDropout(0.5), new Generator(1));
        plain.Eval();
        dropped.Eval();
        using var tokens = Tokens([1, 2, 3, 4, 5], [6, 7, 8, 9, 0]);
        Assert.That(dropped.Call(tokens).ToArray<float>(), Is.EqualTo(plain.Call(tokens).ToArray<float>()));
        Assert.That(dropped.Call(tokens).ToArray<float>(), Is.EqualTo(plain.Call(tokens).ToArray<float>()), "and again: no state was consumed");
    }

    [Test]
    public void TrainMode_RateZero_EqualsEval()
    {
        using var gpt = new Gpt(Small, new Generator(2));
        using var tokens = Tokens([1, 2, 3, 4, 5]);
        Assert.That(gpt.Training, Is.True);
        var train = gpt.Call(tokens).ToArray<float>();
        gpt.Eval();
        Assert.That(gpt.Call(tokens).ToArray<float>(), Is.EqualTo(train));
    }

    public static IEnumerable<TestCaseData> EachSite()
    {
        yield return new TestCaseData(Small with { EmbeddingDropout = 0.3 }).SetName("TrainMode_EachDropoutSite_ChangesTheOutput_Repeatably(embedding)");
        yield return new TestCaseData(Small with { AttentionDropout = 0.3 }).SetName("TrainMode_EachDropoutSite_ChangesTheOutput_Repeatably(attention)");
        yield return new TestCaseData(Small with { ResidualDropout = 0.3 }).SetName("TrainMode_EachDropoutSite_ChangesTheOutput_Repeatably(residual)");
        yield return new TestCaseData(Small with { ResidualDropout = 0.3, Parallel = true, Norm = NormPlacement.Double })
            .SetName("TrainMode_EachDropoutSite_ChangesTheOutput_Repeatably(residual, parallel double-norm)");
    }

    [TestCaseSource(nameof(EachSite))]
    public void TrainMode_EachDropoutSite_ChangesTheOutput_Repeatably(GptConfig config)
    {
        using var tokens = Tokens([1, 2, 3, 4, 5, 6], [6, 7, 8, 9, 0, 1]);
        float[] Train(ulong seed)
        {
            using var gpt = new Gpt(config, new Generator(seed));
            return gpt.Call(tokens).ToArray<float>();
        }
        using var reference = new Gpt(config, new Generator(3));
        reference.Eval();
        var eval = reference.Call(tokens).ToArray<float>();
        var a = Train(3);
        Assert.That(a, Is.Not.EqualTo(eval), "masks change the output in training mode");
        Assert.That(Train(3), Is.EqualTo(a), "the same seed draws the same masks");
    }

    [Test]
    public void EmbeddingDropout_ZeroesAShareP_AndScalesTheRestBy1OverOneMinusP()
    {
        // ReZero blocks start with alpha = 0, so each block is x + 0 * F(x) = x, and ReZero has no final norm: the hidden
        // state is exactly dropout(wte[token] + wpe[t]). 16 x 16 x 64 = 16384 elements, p = 0.3: the share of zeros has
        // a standard deviation of sqrt(0.3 * 0.7 / 16384) = 0.0036, so 0.02 is more than 5 of them.
        const double p = 0.3;
        var config = new GptConfig(VocabSize: 50, ContextLength: 16, Width: 64, Depth: 1, Heads: 4, Residual: ResidualKind.ReZero, EmbeddingDropout: p);
        using var gpt = new Gpt(config, new Generator(4), DType.Float64);
        var ids = Enumerable.Range(0, 16 * 16).Select(i => i * 7 % 50).ToArray();
        using var tokens = Tensor.FromArray(ids, [16, 16]);
        var dropped = Check.Values(gpt.Hidden(tokens));
        gpt.Eval();
        var clean = Check.Values(gpt.Hidden(tokens));
        int zeros = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            if (dropped[i] == 0) { zeros++; continue; }
            Assert.That(dropped[i], Is.EqualTo(clean[i] / (1 - p)).Within(1e-14 * Math.Abs(clean[i])), $"element {i}");
        }
        Assert.That(zeros / (double)clean.Length, Is.EqualTo(p).Within(0.02));
    }

    [Test]
    public void AttentionDropout_DropsProbabilities_ShareP_KeptOnesScaled()
    {
        // One head, width T = 64, x_t = e_t (one-hot), value and output projections the identity, query and key zero: every
        // query sees uniform probabilities 1/T over the keys (no causal mask), and y[t, j] = sum_s P'[t, s] e_s[j] = P'[t, j],
        // so the output is the dropped probability matrix itself: 0, or (1/T) / (1 - p). 8 x 64 x 64 = 32768 entries.
        const int T = 64;
        const double p = 0.25;
        using var attention = new MultiHeadAttention(new AttentionConfig(T, 1, Dropout: p), new Generator(5), DType.Float64);
        using (AG.NoGrad())
        {
            using var eye = Tensor.Eye(T, dtype: DType.Float64);
            Set(attention.Query.Weight, 0.0);
            Set(attention.Key.Weight, 0.0);
            attention.Value.Weight.Detach()[TensorIndex.Ellipsis] = eye;
            attention.Out.Weight.Detach()[TensorIndex.Ellipsis] = eye;
            foreach (var b in new[] { attention.Query.Bias!, attention.Key.Bias!, attention.Value.Bias!, attention.Out.Bias! }) Set(b, 0.0);
        }
        using var x = Tensor.Eye(T, dtype: DType.Float64).Unsqueeze(0).Expand(8, T, T).Contiguous();  // [8, T, T]
        var y = Check.Values(attention.Call(x));
        int zeros = y.Count(v => v == 0);
        foreach (var v in y.Where(v => v != 0)) Assert.That(v, Is.EqualTo(1.0 / T / (1 - p)).Within(1e-15));
        // sd sqrt(0.25 * 0.75 / 32768) = 0.0024
        Assert.That(zeros / (double)y.Length, Is.EqualTo(p).Within(0.015));
        attention.Eval();
        Assert.That(Check.Values(attention.Call(x)), Is.All.EqualTo(1.0 / T).Within(1e-15), "eval: the plain uniform average");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ResidualDropout_DropsEachBranchOutput_ShareP(bool attentionBranch)
    {
        // x = 0. ln(0) = bias; set ln_1 and ln_2 biases to 1. The kept branch outputs exactly 1 everywhere (its output
        // projection: weight 0, bias 1) and the other exactly 0 (weight 0, bias 0), so the block's output is
        // 0 + dropout(1) + dropout(0): 0 or 1 / (1 - p). 16 x 32 x 32 = 16384 elements.
        const double p = 0.4;
        var config = new BlockConfig(Width: 32, Heads: 2, MlpHidden: 64, Causal: true, ResidualDropout: p);
        using var block = new TransformerBlock(config, new Generator(6), DType.Float64);
        using (AG.NoGrad())
        {
            Set(((LayerNorm)block.Norm1!).Bias!, 1.0);
            Set(((LayerNorm)block.Norm2!).Bias!, 1.0);
            Set(block.Attention.Out.Weight, 0.0);
            Set(block.Attention.Out.Bias!, attentionBranch ? 1.0 : 0.0);
            Set(block.Mlp.Output.Weight, 0.0);
            Set(block.Mlp.Output.Bias!, attentionBranch ? 0.0 : 1.0);
        }
        using var x = Tensor.Zeros([16, 32, 32], DType.Float64);
        var y = Check.Values(block.Call(x));
        foreach (var v in y.Where(v => v != 0)) Assert.That(v, Is.EqualTo(1 / (1 - p)).Within(1e-15));
        // sd sqrt(0.4 * 0.6 / 16384) = 0.0038
        Assert.That(y.Count(v => v == 0) / (double)y.Length, Is.EqualTo(p).Within(0.02));
    }

    [Test]
    public void Gradient_ThroughFixedMasks_Checks()
    {
        // Each evaluation restores the dropout generator, so every call (analytic and finite differences) sees the same masks.
        var config = Small.WithDropout(0.2) with { Width = 4, Heads = 2, MlpHidden = 6, VocabSize = 5 };
        var generator = new Generator(7);
        using var gpt = new Gpt(config, generator, DType.Float64);
        using (AG.NoGrad())
            foreach (var (_, w) in gpt.NamedParameters().Where(e => e.Name.EndsWith("out.weight") || e.Name.EndsWith("proj.weight")))
                w.Detach()[TensorIndex.Ellipsis] = w * 30.0;                   // larger than GPT-2's init, so every path matters
        var state = generator.GetState();
        using var tokens = Tokens([1, 4, 2]);
        var result = GradCheck.Check(_ =>
        {
            generator.SetState(state);
            return gpt.Call(tokens);
        }, [.. gpt.Parameters()]);
        Assert.That(result.Passed, Is.True, result.Message);
        generator.SetState(state);
        using var noGrad = AG.NoGrad();
        var train = gpt.Call(tokens).ToArray<double>();
        gpt.Eval();
        Assert.That(gpt.Call(tokens).ToArray<double>(), Is.Not.EqualTo(train), "the checked function did drop something");
    }

    [Test]
    public void Rates_OutsideZeroToOne_AreRejectedByName()
    {
        Assert.That(() => new Gpt(Small with { EmbeddingDropout = -0.1 }), Throws.ArgumentException.With.Message.Contains("EmbeddingDropout"));
        Assert.That(() => new Gpt(Small with { AttentionDropout = 1.5 }), Throws.ArgumentException.With.Message.Contains("Dropout"));
        Assert.That(() => new Gpt(Small with { ResidualDropout = double.NaN }), Throws.ArgumentException.With.Message.Contains("ResidualDropout"));
    }
}
