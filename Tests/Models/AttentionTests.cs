// RoPE, multi-head attention with each of its options, attention pooling and the MLPs: hand values, the properties
// that define them (position-0 identity, relative scores, causality, head sharing), gradients and bad configs.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Models;

public class AttentionTests
{
    // ---- RoPE ----

    [Test]
    public void Rope_PositionZero_IsExactlyTheIdentity()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            using var x = Tensor.Randn([2, 3, 5, 8], new Generator(1), dtype);   // [B, H, T, D]
            using var y = new Rope(8).Call(x);
            Assert.That(Check.Values(y[.., .., 0]), Is.EqualTo(Check.Values(x[.., .., 0])), $"{dtype}: position 0 must be returned unchanged");
            Assert.That(Check.Values(y[.., .., 1]), Is.Not.EqualTo(Check.Values(x[.., .., 1])), $"{dtype}: position 1 must be rotated");
        }
    }

    [Test]
    public void Rope_HandValues_HalfSplitLayout()
    {
        // D = 4: freq = [1, 10000^(-2/4)] = [1, 0.01]. x = [1, 1, 0, 0] at position 1: x1 = [1, 1], x2 = [0, 0], so
        // out = [x1 cos - x2 sin, x2 cos + x1 sin] = [cos 1, cos 0.01, sin 1, sin 0.01].
        using var x = Tensor.FromArray(new double[] { 1, 1, 0, 0 }, [1, 1, 1, 4]);
        Check.Close(new Rope(4).Apply(x, offset: 1), [1, 1, 1, 4], [Math.Cos(1), Math.Cos(0.01), Math.Sin(1), Math.Sin(0.01)], atol: 1e-15);
        // x = [0, 0, 1, 0] at position 2: x1 = 0, x2 = [1, 0]: out = [-x2 sin, x2 cos] = [-sin 2, 0, cos 2, 0].
        using var e3 = Tensor.FromArray(new double[] { 0, 0, 1, 0 }, [1, 1, 1, 4]);
        Check.Close(new Rope(4).Apply(e3, offset: 2), [1, 1, 1, 4], [-Math.Sin(2), 0, Math.Cos(2), 0], atol: 1e-15);
    }

    [Test]
    public void Rope_ScoresDependOnlyOnTheOffsetBetweenPositions()
    {
        var rope = new Rope(8);
        using var q = Tensor.Randn([1, 1, 1, 8], new Generator(2), DType.Float64);
        using var k = Tensor.Randn([1, 1, 1, 8], new Generator(3), DType.Float64);
        double Score(int m, int n) => (rope.Apply(q, m) * rope.Apply(k, n)).Sum().Item();

        foreach (var (m, n) in new[] { (0, 0), (3, 1), (1, 3), (7, 2) })
            foreach (int s in new[] { 1, 5, 100 })
                Assert.That(Score(m + s, n + s), Is.EqualTo(Score(m, n)).Within(1e-12), $"q at {m}, k at {n}, both shifted by {s}");
        Assert.That(Math.Abs(Score(3, 1) - Score(3, 2)), Is.GreaterThan(1e-3), "a different offset must give a different score");
    }

    [Test]
    public void Rope_Gradient()
    {
        using var x = ModuleGradients.Input(4, 1, 2, 3, 4);
        var result = GradCheck.Check(xs => new Rope(4).Apply(xs[0], offset: 2), [x.RequireGrad()]);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void Rope_OddHeadDim_Throws()
    {
        Assert.That(() => new Rope(5), Throws.ArgumentException.With.Message.Contains("even"));
    }

    // ---- multi-head attention ----

    private static MultiHeadAttention Mha(AttentionConfig config, ulong seed = 7, DType dtype = DType.Float64) =>
        new(config, new Generator(seed), dtype);

    [Test]
    public void Attention_OutputShapeAndParameterNames()
    {
        using var mha = Mha(new AttentionConfig(8, 4, KvHeads: 2, QkNorm: true), dtype: DType.Float32);
        using var x = Tensor.Randn([2, 5, 8], new Generator(1));
        Assert.That(mha.Call(x).Shape, Is.EqualTo(new[] { 2, 5, 8 }));
        // hs = 2; key and value have KvHeads * hs = 4 outputs; the QK-norm scales are per head dim.
        var shapes = mha.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        Assert.That(shapes.Keys, Is.EqualTo(new[] { "query.weight", "query.bias", "key.weight", "key.bias", "value.weight", "value.bias",
                                                    "out.weight", "out.bias", "query_norm.weight", "key_norm.weight" }));
        Assert.That(shapes["key.weight"], Is.EqualTo(new[] { 4, 8 }));
        Assert.That(shapes["query_norm.weight"], Is.EqualTo(new[] { 2 }));
    }

    [TestCase(false, AttentionScale.InverseSqrt)]
    [TestCase(true, AttentionScale.InverseSqrt)]
    [TestCase(true, AttentionScale.Inverse)]
    public void Attention_EqualsProjectionsAroundScaledDotProductAttention(bool causal, AttentionScale scale)
    {
        // The manual attention of the module against the library's functional one, with the module's own projections.
        using var mha = Mha(new AttentionConfig(8, 2, Causal: causal, Scale: scale));
        using var x = ModuleGradients.Input(5, 2, 4, 8);
        var q = mha.Query.Call(x).Reshape(2, 4, 2, 4).Transpose(1, 2);               // [B, nh, T, hs]
        var k = mha.Key.Call(x).Reshape(2, 4, 2, 4).Transpose(1, 2);
        var v = mha.Value.Call(x).Reshape(2, 4, 2, 4).Transpose(1, 2);
        var y = F.ScaledDotProductAttention(q, k, v, causal, scale: scale == AttentionScale.Inverse ? 1.0 / 4 : 1.0 / 2);
        var expected = mha.Out.Call(y.Transpose(1, 2).Reshape(2, 4, 8));
        Check.Close(mha.Call(x), [2, 4, 8], Check.Values(expected), atol: 1e-12);
    }

    [Test]
    public void Attention_Causal_OutputAtPositionTIgnoresLaterTokens()
    {
        using var causal = Mha(new AttentionConfig(8, 2, Causal: true, Rope: true));
        using var full = Mha(new AttentionConfig(8, 2, Causal: false, Rope: true));
        using var x = ModuleGradients.Input(6, 1, 5, 8);
        using var changed = x.Clone();
        using (var later = ModuleGradients.Input(7, 1, 2, 8)) changed[.., 3..] = later; // new tokens at positions 3 and 4

        var before = Check.Values(causal.Call(x)[.., ..3]);
        var after = Check.Values(causal.Call(changed)[.., ..3]);
        Assert.That(after, Is.EqualTo(before).Within(1e-14), "positions 0..2 must not see positions 3..4");
        Assert.That(Check.Values(causal.Call(changed)[.., 3..]), Is.Not.EqualTo(Check.Values(causal.Call(x)[.., 3..])));
        Assert.That(Check.Values(full.Call(changed)[.., ..3]), Is.Not.EqualTo(Check.Values(full.Call(x)[.., ..3])),
                    "without the mask the same change reaches every position");
    }

    [TestCase(1)]
    [TestCase(2)]
    public void Attention_GroupedQueryHeads_EqualFullAttentionWithRepeatedKeyValueWeights(int kvHeads)
    {
        // 4 query heads of size 2; KvHeads heads each serve 4 / KvHeads consecutive query heads. Full attention whose
        // key and value weights repeat each shared head's rows that many times must give the same output.
        using var gqa = Mha(new AttentionConfig(8, 4, KvHeads: kvHeads, Causal: true, Rope: true, QkNorm: true), seed: 3);
        using var mha = Mha(new AttentionConfig(8, 4, Causal: true, Rope: true, QkNorm: true), seed: 4);
        int g = 4 / kvHeads;
        Tensor Repeat(Tensor w)
        {
            var rows = w.Reshape([kvHeads, 1, 2, .. w.Shape[1..]]);                       // [nkv, 1, hs, (C)]
            return rows.Expand([kvHeads, g, 2, .. w.Shape[1..]]).Reshape([4 * 2, .. w.Shape[1..]]); // [nh * hs, (C)]
        }
        var state = gqa.StateDict().ToDictionary(kv => kv.Key, kv => kv.Key.StartsWith("key.") || kv.Key.StartsWith("value.") ? Repeat(kv.Value) : kv.Value);
        mha.LoadStateDict(state);
        using var x = ModuleGradients.Input(8, 2, 5, 8);
        Check.Close(gqa.Call(x), [2, 5, 8], Check.Values(mha.Call(x)), atol: 1e-12);
    }

    [Test]
    public void Attention_OutputScale_MultipliesTheOutput()
    {
        using var plain = Mha(new AttentionConfig(8, 2), seed: 9);
        using var third = Mha(new AttentionConfig(8, 2, OutputScale: 1.0 / 3), seed: 9);
        using var x = ModuleGradients.Input(10, 2, 3, 8);
        Check.Close(third.Call(x), [2, 3, 8], Check.Values(plain.Call(x)).Select(v => v / 3).ToArray(), atol: 1e-14);
    }

    [Test]
    public void Attention_QkNorm_MakesScoresIndependentOfTheQueryAndKeyScale()
    {
        // With QK-norm, multiplying the query and key projections by 10 changes nothing (up to the norm's eps).
        using var a = Mha(new AttentionConfig(8, 2, QkNorm: true), seed: 11);
        using var b = Mha(new AttentionConfig(8, 2, QkNorm: true), seed: 11);
        using (global::DotGrad.Autodiff.Autograd.NoGrad())
            foreach (var p in new[] { b.Query.Weight, b.Query.Bias!, b.Key.Weight, b.Key.Bias! })
                p.Detach()[TensorIndex.Ellipsis] = p * 10.0;
        using var x = ModuleGradients.Input(12, 1, 4, 8);
        Check.Close(b.Call(x), [1, 4, 8], Check.Values(a.Call(x)), atol: 1e-5);
    }

    public static IEnumerable<TestCaseData> AttentionOptions()
    {
        yield return new TestCaseData(new AttentionConfig(8, 2)).SetName("Attention_Gradient(plain)");
        yield return new TestCaseData(new AttentionConfig(8, 2, Causal: true)).SetName("Attention_Gradient(causal)");
        yield return new TestCaseData(new AttentionConfig(8, 2, Causal: true, Rope: true)).SetName("Attention_Gradient(rope)");
        yield return new TestCaseData(new AttentionConfig(8, 4, KvHeads: 2, Causal: true)).SetName("Attention_Gradient(gqa)");
        yield return new TestCaseData(new AttentionConfig(8, 2, KvHeads: 1, Causal: true)).SetName("Attention_Gradient(mqa)");
        yield return new TestCaseData(new AttentionConfig(8, 2, QkNorm: true)).SetName("Attention_Gradient(qk-norm)");
        yield return new TestCaseData(new AttentionConfig(8, 2, Scale: AttentionScale.Inverse)).SetName("Attention_Gradient(1-over-d scale)");
        yield return new TestCaseData(new AttentionConfig(8, 2, OutputScale: 1.0 / 3)).SetName("Attention_Gradient(output scale)");
        yield return new TestCaseData(new AttentionConfig(8, 2, Bias: false)).SetName("Attention_Gradient(no bias)");
        yield return new TestCaseData(new AttentionConfig(8, 4, KvHeads: 2, Causal: true, Rope: true, QkNorm: true, Scale: AttentionScale.Inverse, OutputScale: 0.5))
            .SetName("Attention_Gradient(everything)");
    }

    [TestCaseSource(nameof(AttentionOptions))]
    public void Attention_Gradient(AttentionConfig config)
    {
        using var mha = Mha(config);
        ModuleGradients.AssertMatchFiniteDifferences(mha, ModuleGradients.Input(13, 1, 3, 8));
    }

    [Test]
    public void Attention_BadConfigAndInput_NameTheField()
    {
        Assert.That(() => new MultiHeadAttention(new AttentionConfig(10, 4)), Throws.ArgumentException.With.Message.Contains("Heads = 4 must divide Width = 10"));
        Assert.That(() => new MultiHeadAttention(new AttentionConfig(12, 4, KvHeads: 3)), Throws.ArgumentException.With.Message.Contains("KvHeads = 3"));
        Assert.That(() => new MultiHeadAttention(new AttentionConfig(12, 4, Rope: true)), Throws.ArgumentException.With.Message.Contains("Rope needs an even head dim"));
        using var mha = new MultiHeadAttention(new AttentionConfig(8, 2));
        using var x = Tensor.Zeros(1, 3, 6);
        Assert.That(() => mha.Call(x), Throws.ArgumentException.With.Message.Contains("Width = 8").And.Message.Contains("[1, 3, 6]"));
    }

    // ---- attention pooling ----

    [Test]
    public void AttentionPooling_ShapeAndProbeThatIgnoresTokenOrder()
    {
        using var map = new MultiHeadAttentionPooling(8, 2, mlpHidden: 16, generator: new Generator(1), dtype: DType.Float64);
        using var x = ModuleGradients.Input(2, 3, 5, 8);
        var y = map.Call(x);
        Assert.That(y.Shape, Is.EqualTo(new[] { 3, 8 }));
        // The probe attends over a set: permuting the tokens leaves the output unchanged.
        using var reversed = Tensor.Cat([x[.., 4..], x[.., 3..4], x[.., 2..3], x[.., 1..2], x[.., ..1]], dim: 1);
        Check.Close(map.Call(reversed), [3, 8], Check.Values(y), atol: 1e-12);
        Assert.That(map.NamedParameters().First().Name, Is.EqualTo("probe"));
    }

    [Test]
    public void AttentionPooling_Gradient()
    {
        using var map = new MultiHeadAttentionPooling(4, 2, mlpHidden: 8, generator: new Generator(3), dtype: DType.Float64);
        ModuleGradients.AssertMatchFiniteDifferences(map, ModuleGradients.Input(4, 2, 3, 4));
    }

    // ---- MLPs ----

    [Test]
    public void Mlp_EachKind_MatchesItsEquation()
    {
        using var x = ModuleGradients.Input(1, 2, 3, 4);
        using var plain = new Mlp(4, 6, MlpKind.Plain, Activation.Relu, generator: new Generator(2), dtype: DType.Float64);
        Check.Close(plain.Call(x), [2, 3, 4], Check.Values(plain.Output.Call(plain.Fc!.Call(x).Relu())), atol: 1e-14);
        using var swiglu = new Mlp(4, 6, MlpKind.SwiGlu, generator: new Generator(3), dtype: DType.Float64);
        Check.Close(swiglu.Call(x), [2, 3, 4], Check.Values(swiglu.Output.Call(swiglu.Gate!.Call(x).Silu() * swiglu.Up!.Call(x))), atol: 1e-14);
        using var geglu = new Mlp(4, 6, MlpKind.GeGlu, generator: new Generator(4), dtype: DType.Float64);
        Check.Close(geglu.Call(x), [2, 3, 4], Check.Values(geglu.Output.Call(geglu.Gate!.Call(x).Gelu() * geglu.Up!.Call(x))), atol: 1e-14);
        Assert.That(swiglu.NamedParameters().Select(p => p.Name),
                    Is.EqualTo(new[] { "gate.weight", "gate.bias", "up.weight", "up.bias", "down.weight", "down.bias" }));
    }

    [TestCase(MlpKind.Plain, Activation.Gelu)]
    [TestCase(MlpKind.Plain, Activation.GeluTanh)]
    [TestCase(MlpKind.Plain, Activation.ScaledGelu)]
    [TestCase(MlpKind.Plain, Activation.Silu)]
    [TestCase(MlpKind.SwiGlu, Activation.Gelu)]
    [TestCase(MlpKind.GeGlu, Activation.Gelu)]
    [TestCase(MlpKind.GeGlu, Activation.GeluTanh)]
    public void Mlp_Gradient(MlpKind kind, Activation activation)
    {
        using var mlp = new Mlp(4, 6, kind, activation, generator: new Generator(5), dtype: DType.Float64);
        ModuleGradients.AssertMatchFiniteDifferences(mlp, ModuleGradients.Input(6, 1, 3, 4));
    }
}
