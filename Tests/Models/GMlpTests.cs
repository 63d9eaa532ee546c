// gMLP: the spatial gating unit starts as the identity gate, the causal mask keeps later tokens out, shapes of
// both front-ends, a hand-derived parameter count, gradient checks, overfitting, and bad input naming the field.
using System.Diagnostics;
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using static DotGrad.Tests.Models.VisionTestKit;

namespace DotGrad.Tests.Models;

public class GMlpTests
{
    private static GMlpConfig TinyLm(bool causal = true) => GMlpConfig.LanguageModel(vocabSize: 7, contextLength: 6, width: 8, depth: 2, ffnHidden: 12, causal: causal);

    private static Tensor Tokens(int batch, int length, int vocab, ulong seed) => Tensor.Randint(0, vocab, [batch, length], new Generator(seed));

    [Test]
    public void Sgu_WithZeroWeightAndUnitBias_IsExactlyTheFirstHalf()
    {
        using var sgu = new SpatialGatingUnit(hidden: 10, seqLen: 4, generator: new Generator(1), dtype: DType.Float64);
        Init.Zeros(sgu.Weight);
        using var z = Tensor.Randn([3, 4, 10], new Generator(2), DType.Float64);
        using var z1 = z[.., .., ..5];
        using var output = sgu.Call(z);
        Assert.That(output.Shape, Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(Check.Values(output), Is.EqualTo(Check.Values(z1)), "W = 0, b = 1: Z1 * (0 LN(Z2) + 1) = Z1 exactly");
    }

    [Test]
    public void Sgu_AtInit_IsNearlyTheIdentityGate()
    {
        using var sgu = new SpatialGatingUnit(hidden: 8, seqLen: 5, generator: new Generator(3));
        double range = 1e-3 / 5;
        Assert.That(Check.Values(sgu.Weight).Max(Math.Abs), Is.LessThanOrEqualTo(range).And.GreaterThan(0));
        Assert.That(Check.Values(sgu.Bias), Is.All.EqualTo(1.0));
        using var z = Tensor.Randn([2, 5, 8], new Generator(4));
        using var z1 = z[.., .., ..4];
        // |Z2' - 1| <= sum_j |W_ij| |LN(Z2)_j| <= 5 * range * max |LN(Z2)| (at most 2 for 4 features), relative to Z1
        Check.Close(Check.Values(sgu.Call(z)), Check.Values(z1), atol: 1e-6, rtol: 5 * range * 2 + 1e-6);
    }

    [Test]
    public void Sgu_Causal_MasksTheUpperTriangle_AndTakesShorterSequences()
    {
        using var sgu = new SpatialGatingUnit(hidden: 4, seqLen: 4, causal: true, generator: new Generator(5), dtype: DType.Float64);
        Randomize(sgu.Weight, 6);
        var z = Tensor.Randn([1, 4, 4], new Generator(7), DType.Float64).RequireGrad();
        var output = sgu.Call(z);
        output.Sum().Backward();
        var dW = Check.Values(sgu.Weight.Grad!);
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++)
                Assert.That(dW[i * 4 + j], Is.EqualTo(0.0), $"W[{i}, {j}] (j > i) is masked, so it gets no gradient");
        // a prefix of length 3 gives the first 3 positions of the full output
        using var prefix = sgu.Call(z[.., ..3]);
        Check.Close(Check.Values(prefix), Check.Values(output[.., ..3]), atol: 1e-12);
        sgu.Weight.ZeroGrad();
        Bad(() => sgu.Call(Tensor.Zeros([1, 5, 4], DType.Float64)), "5 positions", "built for 4");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Sgu_GradientMatchesFiniteDifferences(bool causal)
    {
        using var sgu = new SpatialGatingUnit(hidden: 6, seqLen: 4, causal, generator: new Generator(8), dtype: DType.Float64);
        Randomize(sgu.Weight, 9);
        Randomize(sgu.Bias, 10);
        var z = Tensor.Randn([2, 4, 6], new Generator(11), DType.Float64).RequireGrad();
        var result = GradCheckModel(sgu, z);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void GMlpBlock_GradientMatchesFiniteDifferences()
    {
        using var block = new GMlpBlock(width: 4, hidden: 6, seqLen: 3, causal: true, generator: new Generator(12), dtype: DType.Float64);
        Randomize(block.Sgu.Weight, 13);
        var x = Tensor.Randn([2, 3, 4], new Generator(14), DType.Float64).RequireGrad();
        var result = GradCheckModel(block, x);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void LanguageModel_Shapes_AndParameterCountDerivedByHand()
    {
        using var model = new GMlp(TinyLm(), new Generator(1));
        using var tokens = Tokens(2, 6, 7, seed: 2);
        Assert.That(model.Call(tokens).Shape, Is.EqualTo(new[] { 2, 6, 7 }));
        using var shorter = Tokens(2, 4, 7, seed: 3);
        Assert.That(model.Call(shorter).Shape, Is.EqualTo(new[] { 2, 4, 7 }), "a causal model takes up to ContextLength tokens");
        // V = 7, C = 8, F = 12 (halves of 6), n = 6
        long wte = 7 * 8;                             // 56
        long block = 2 * 8                            // LayerNorm(C)
                   + (8 * 12 + 12)                    // U: Linear C -> F
                   + (2 * 6 + 6 * 6 + 6)              // SGU: LayerNorm(F/2), W [n, n], b [n]
                   + (6 * 8 + 8);                     // V: Linear F/2 -> C
        long total = wte + 2 * block + 2 * 8 + (8 * 7 + 7); // + final LayerNorm + head C -> V
        Assert.That(block, Is.EqualTo(16 + 108 + 54 + 56));
        Assert.That(model.ParameterCount(), Is.EqualTo(total));
        Assert.That(model.Blocks[1].Sgu.Weight.Shape, Is.EqualTo(new[] { 6, 6 }));
    }

    [Test]
    public void LanguageModel_ZeroHead_FirstLossIsLnVocab()
    {
        using var model = new GMlp(TinyLm(), new Generator(1));
        using var tokens = Tokens(2, 6, 7, seed: 2);
        using var logits = model.Call(tokens);
        using var loss = Functional.CrossEntropy(logits.Reshape(-1, 7), tokens.Reshape(-1));
        Assert.That(loss.Item(), Is.EqualTo(Math.Log(7)).Within(1e-6));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void LanguageModel_Causal_OutputAtTDoesNotDependOnLaterTokens(bool causal)
    {
        using var model = new GMlp(TinyLm(causal), new Generator(4), DType.Float64);
        Randomize(model.Head.Weight, 5);
        foreach (var block in model.Blocks) Randomize(block.Sgu.Weight, 6); // a strong gate, so leaks would show
        int[] a = [1, 2, 3, 4, 5, 6], b = [1, 2, 3, 0, 0, 0];  // the same first 3 tokens
        using var ta = Tensor.FromArray(a, [1, 6]);
        using var tb = Tensor.FromArray(b, [1, 6]);
        var la = Check.Values(model.Call(ta));
        var lb = Check.Values(model.Call(tb));
        double prefixDiff = Enumerable.Range(0, 3 * 7).Max(i => Math.Abs(la[i] - lb[i]));
        if (causal) Assert.That(prefixDiff, Is.LessThan(1e-12), "logits at t < 3 must ignore tokens 3..5");
        else Assert.That(prefixDiff, Is.GreaterThan(1e-6), "without the mask every position sees every token");
        Assert.That(Enumerable.Range(3 * 7, 3 * 7).Max(i => Math.Abs(la[i] - lb[i])), Is.GreaterThan(1e-6), "later positions see their own tokens");
    }

    [Test]
    public void ImageClassifier_Shapes_AndGradient()
    {
        using var mnist = new GMlp(GMlpConfig.Mnist(), new Generator(1));
        using var digits = Images(3, 28, 1, seed: 2);
        Assert.That(mnist.Call(digits).Shape, Is.EqualTo(new[] { 3, 10 }));
        Assert.That(mnist.Config.SeqLen, Is.EqualTo(16));
        Assert.That(mnist.Summary(digits), Does.Contain("blocks.3.sgu").And.Contain("[3, 16, 128]"));

        using var tiny = new GMlp(GMlpConfig.ImageClassifier(4, 2, 1, classes: 3, width: 4, depth: 1, ffnHidden: 6), new Generator(3), DType.Float64);
        Randomize(tiny.Head.Weight, 4);
        Randomize(tiny.Blocks[0].Sgu.Weight, 5);
        var x = Images(2, 4, 1, seed: 6, DType.Float64).RequireGrad();
        var result = GradCheckModel(tiny, x);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void TinyLanguageModel_OverfitsOneBatch()
    {
        var watch = Stopwatch.StartNew();
        using var model = new GMlp(GMlpConfig.LanguageModel(vocabSize: 10, contextLength: 8, width: 16, depth: 2, ffnHidden: 32), new Generator(20));
        using var tokens = Tokens(4, 8, 10, seed: 21);
        using var targets = Tokens(4, 8, 10, seed: 22);   // arbitrary next tokens: memorised, not predicted
        var losses = Overfit(model, tokens, targets, steps: 150, lr: 1e-2);
        TestContext.Out.WriteLine($"gMLP LM: loss {losses[0]:F4} -> {losses[^1]:F5} in {losses.Length} steps, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(losses[0], Is.EqualTo(Math.Log(10)).Within(1e-5));
        Assert.That(losses[^1], Is.LessThan(0.05));
    }

    [Test]
    public void TinyClassifier_OverfitsOneBatch()
    {
        var watch = Stopwatch.StartNew();
        using var model = new GMlp(GMlpConfig.ImageClassifier(8, 2, 1, classes: 4, width: 16, depth: 2, ffnHidden: 32), new Generator(30));
        using var x = Images(8, 8, 1, seed: 31);
        using var y = Tensor.FromArray(new[] { 0, 1, 2, 3, 3, 2, 1, 0 });
        var losses = Overfit(model, x, y, steps: 60, lr: 1e-2);
        TestContext.Out.WriteLine($"gMLP classifier: loss {losses[0]:F4} -> {losses[^1]:F5} in {losses.Length} steps, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(losses[^1], Is.LessThan(0.05));
    }

    [Test]
    public void BadConfigAndInput_NameTheField()
    {
        Bad(() => new GMlp(TinyLm() with { FfnHidden = 11 }), "FfnHidden", "even");
        Bad(() => new GMlp(TinyLm() with { ImageSize = 28 }), "VocabSize", "ImageSize", "not both");
        Bad(() => new GMlp(new GMlpConfig(8, 1, 8)), "VocabSize", "ImageSize");
        Bad(() => new GMlp(TinyLm() with { ContextLength = 0 }), "ContextLength");
        Bad(() => new GMlp(GMlpConfig.ImageClassifier(30, 4, 1, 10, 8, 1, 8)), "ImageSize", "PatchSize", "divisible");
        using var lm = new GMlp(TinyLm(), new Generator(1));
        using var tooLong = Tokens(1, 7, 7, seed: 1);
        Bad(() => lm.Call(tooLong), "ContextLength", "7 tokens");
        using var floats = Tensor.Zeros(1, 6);
        Bad(() => lm.Call(floats), "Int32");
        using var bidirectional = new GMlp(TinyLm(causal: false), new Generator(1));
        using var shorter = Tokens(1, 5, 7, seed: 1);
        Bad(() => bidirectional.Call(shorter), "ContextLength", "exactly");
        using var classifier = new GMlp(GMlpConfig.Mnist(), new Generator(1));
        using var rgb = Images(1, 28, 3, seed: 1);
        Bad(() => classifier.Call(rgb), "Channels");
    }
}
