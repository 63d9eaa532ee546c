// MixerLm: shapes for every mixer, the first loss at ln V, a loss that falls under AdamW on a repeated text, the
// parameter formula against the built model, and MatchParameters landing within 5% for every mixer.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;
using DotGrad.Tests.Tensors;
using static DotGrad.Tests.Models.VisionTestKit;

namespace DotGrad.Tests.Models;

public class MixerLmTests
{
    private const int V = 11, N = 8;

    public static IEnumerable<TokenMixerKind> Kinds => Enum.GetValues<TokenMixerKind>();

    private static MixerLmConfig Tiny(TokenMixerKind kind, bool reZero = false) =>
        new(V, N, Width: 16, Depth: 2, kind, Heads: 2, MlpHidden: TokenMixers.IsGated(kind) ? 48 : 32, ReZero: reZero);

    private static Tensor Tokens(int batch, int length, ulong seed) => Tensor.Randint(0, V, [batch, length], new Generator(seed));

    [TestCaseSource(nameof(Kinds))]
    public void Forward_GivesLogitsPerPosition_AndTheFirstLossIsLnV(TokenMixerKind kind)
    {
        using var model = new MixerLm(Tiny(kind), new Generator(1));
        using var tokens = Tokens(3, N, seed: 2);
        using var logits = model.Call(tokens);
        Assert.That(logits.Shape, Is.EqualTo(new[] { 3, N, V }));
        using var shorter = Tokens(3, N - 3, seed: 3);
        Assert.That(model.Call(shorter).Shape, Is.EqualTo(new[] { 3, N - 3, V }));
        using var loss = Functional.CrossEntropy(logits.Reshape(-1, V), tokens.Reshape(-1));
        Assert.That(loss.Item(), Is.EqualTo(Math.Log(V)).Within(1e-5), "the head starts at zero");
        Assert.That(model.PositionEmbedding is not null, Is.EqualTo(TokenMixers.NeedsPositions(kind)));
        Assert.That(model.Blocks[0].Mlp is null, Is.EqualTo(TokenMixers.IsGated(kind)), "gMLP blocks have no channel MLP");
        using var tooLong = Tokens(1, N + 1, seed: 4);
        Bad(() => model.Call(tooLong), "ContextLength");
    }

    [TestCaseSource(nameof(Kinds))]
    public void Model_IsCausal(TokenMixerKind kind)
    {
        using var model = new MixerLm(Tiny(kind), new Generator(5), DType.Float64);
        Randomize(model.Head.Weight, 6);
        using var a = Tensor.FromArray(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [1, N]);
        using var b = Tensor.FromArray(new[] { 1, 2, 3, 4, 0, 0, 0, 0 }, [1, N]);
        var la = Check.Values(model.Call(a));
        var lb = Check.Values(model.Call(b));
        Assert.That(Enumerable.Range(0, 4 * V).Max(i => Math.Abs(la[i] - lb[i])), Is.LessThan(1e-12), "logits at t < 4 ignore tokens 4..7");
        Assert.That(Enumerable.Range(4 * V, 4 * V).Max(i => Math.Abs(la[i] - lb[i])), Is.GreaterThan(1e-9));
    }

    [TestCaseSource(nameof(Kinds))]
    public void LossFalls_UnderAdamW_OnARepeatedText(TokenMixerKind kind)
    {
        using var model = new MixerLm(Tiny(kind), new Generator(7));
        // "abcab cabca ..." as a stream: next-token prediction that a causal model can learn from context
        int[] stream = Enumerable.Range(0, 4 * (N + 1)).Select(i => "hello world "[i % 12] % V).ToArray();
        var inputs = new int[4 * N];
        var targets = new int[4 * N];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < N; t++) { inputs[b * N + t] = stream[b * 5 + t]; targets[b * N + t] = stream[b * 5 + t + 1]; }
        using var x = Tensor.FromArray(inputs, [4, N]);
        using var y = Tensor.FromArray(targets, [4 * N]);
        using var optimizer = new AdamW(model.Parameters(), new AdamOptions { Lr = 1e-2, WeightDecay = 0.0 });
        var losses = new List<double>();
        for (int step = 0; step < 30; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(x).Reshape(-1, V), y);
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        TestContext.Out.WriteLine($"{kind}: loss {losses[0]:F4} -> {losses[^1]:F4}");
        Assert.That(losses[^1], Is.LessThan(0.5 * losses[0]), $"{kind}: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
    }

    [TestCaseSource(nameof(Kinds))]
    public void ParameterCountFormula_MatchesTheBuiltModel(TokenMixerKind kind)
    {
        foreach (bool reZero in new[] { false, true })
        {
            var config = Tiny(kind, reZero);
            using var model = new MixerLm(config, new Generator(8));
            Assert.That(config.ParameterCount(), Is.EqualTo(model.ParameterCount()), $"ReZero {reZero}");
        }
        // written out for the attention baseline: wte, wpe, 2 x (ln_1, attn, ln_2, mlp), ln_f, head
        long C = 16, F = 32;
        long attention = V * C + N * C + 2 * (2 * C + 4 * (C * C + C) + 2 * C + (C * F + F) + (F * C + C)) + 2 * C + (C * V + V);
        Assert.That(Tiny(TokenMixerKind.Attention).ParameterCount(), Is.EqualTo(attention));
    }

    [Test]
    public void ReZero_HasNoNorms_AndStartsAsTheEmbedding()
    {
        using var model = new MixerLm(Tiny(TokenMixerKind.Mixer, reZero: true), new Generator(9));
        Assert.That(model.NamedParameters().Select(p => p.Name), Has.None.Contains("ln_"));
        Assert.That(model.NamedParameters().Select(p => p.Name), Contains.Item("h.0.alpha_1").And.Contains("h.1.alpha_2"));
        using var block = new MixerLmBlock(Tiny(TokenMixerKind.Container, reZero: true), new Generator(10));
        using var x = Tensor.Randn([2, N, 16], new Generator(11));
        Check.Close(Check.Values(block.Call(x)), Check.Values(x), atol: 0);
    }

    [Test]
    public void Block_GradientMatchesFiniteDifferences([Values] bool reZero)
    {
        using var block = new MixerLmBlock(new MixerLmConfig(V, 4, Width: 4, Depth: 1, TokenMixerKind.Container, Heads: 2, MlpHidden: 6, ReZero: reZero),
                                           new Generator(12), DType.Float64);
        if (reZero) { Randomize(block.Alpha1!, 13); Randomize(block.Alpha2!, 14); }
        var x = Tensor.Randn([2, 4, 4], new Generator(15), DType.Float64).RequireGrad();
        var result = GradCheckModel(block, x);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [TestCaseSource(nameof(Kinds))]
    public void MatchParameters_LandsWithin5Percent(TokenMixerKind kind)
    {
        // the Mixer and the Random Synthesizer carry h n^2 weights per block whatever the width, so the targets are above 4 x 4 x 64^2 x 2
        foreach (long target in new long[] { 200_000, 600_000 })
        {
            var template = new MixerLmConfig(VocabSize: 65, ContextLength: 64, Width: 64, Depth: 4, kind, Heads: 4);
            var matched = MixerLmConfig.MatchParameters(target, template);
            using var model = new MixerLm(matched, new Generator(16));
            double error = Math.Abs(model.ParameterCount() - target) / (double)target;
            TestContext.Out.WriteLine($"{kind} @ {target:N0}: width {matched.Width}, hidden {matched.Hidden}, {model.ParameterCount():N0} ({error:P2})");
            Assert.That(error, Is.LessThanOrEqualTo(0.05));
            Assert.That(matched.Width % (TokenMixers.IsGated(kind) ? 2 : 4), Is.EqualTo(0));
            Assert.That((matched.Mixer, matched.Depth, matched.ContextLength), Is.EqualTo((kind, 4, 64)));
        }
        Bad(() => MixerLmConfig.MatchParameters(1_000, new MixerLmConfig(65, 64, 64, 4, kind, 4)), "within 5");
    }
}
