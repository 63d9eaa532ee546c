// MLP-Mixer and the shared patchify: patch order on a hand-built image, shapes, a parameter count derived by hand,
// the zero head, gradient checks, overfitting one batch, and bad input that names the config field.
using System.Diagnostics;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using static DotGrad.Tests.Models.VisionTestKit;

namespace DotGrad.Tests.Models;

public class MixerTests
{
    /// <summary>A [1, 4, 4, 2] image whose pixel (h, w) channel c holds 100 h + 10 w + c.</summary>
    private static Tensor CodedImage()
    {
        var data = new double[4 * 4 * 2];
        for (int h = 0; h < 4; h++)
            for (int w = 0; w < 4; w++)
                for (int c = 0; c < 2; c++)
                    data[(h * 4 + w) * 2 + c] = 100 * h + 10 * w + c;
        return Tensor.FromArray(data, [1, 4, 4, 2]);
    }

    [Test]
    public void Patches_AreRowMajorTokensOfPhPwCOrderedVectors()
    {
        using var image = CodedImage();
        using var p = Patches.Extract(image, 2); // 2 x 2 patches: 4 tokens of 2*2*2 = 8 values
        Assert.That(p.Shape, Is.EqualTo(new[] { 1, 4, 8 }));
        var v = Check.Values(p);
        // token 0 is the top-left patch: pixel (0,0) channels 0, 1, then (0,1), then row 1: (1,0), (1,1)
        Assert.That(v[0..8], Is.EqualTo(new double[] { 0, 1, 10, 11, 100, 101, 110, 111 }));
        // token 1 is the patch to its right (columns 2, 3), token 2 the one below it (rows 2, 3): row-major tokens
        Assert.That(v[8..16], Is.EqualTo(new double[] { 20, 21, 30, 31, 120, 121, 130, 131 }));
        Assert.That(v[16..24], Is.EqualTo(new double[] { 200, 201, 210, 211, 300, 301, 310, 311 }));
        Assert.That(v[24..32], Is.EqualTo(new double[] { 220, 221, 230, 231, 320, 321, 330, 331 }));
    }

    [Test]
    public void Patches_RectangularPatchesAndBatches()
    {
        using var image = CodedImage();
        using var batch = Tensor.Cat([image, image + 1000.0]);         // [2, 4, 4, 2]
        using var p = Patches.Extract(batch, 1, 2);                     // 1 x 2 patches: 4 x 2 = 8 tokens of 4 values
        Assert.That(p.Shape, Is.EqualTo(new[] { 2, 8, 4 }));
        var v = Check.Values(p);
        Assert.That(v[4..8], Is.EqualTo(new double[] { 20, 21, 30, 31 }));             // token 1: row 0, columns 2, 3
        Assert.That(v[8..12], Is.EqualTo(new double[] { 100, 101, 110, 111 }));        // token 2: row 1, columns 0, 1
        Assert.That(v[32..36], Is.EqualTo(new double[] { 1000, 1001, 1010, 1011 }));   // image 1, token 0
    }

    [Test]
    public void Patches_BadInput_SaysWhatIsWrong()
    {
        using var image = CodedImage();
        Bad(() => Patches.Extract(image, 3), "not divisible", "4 x 4", "3 x 3");
        using var flat = Tensor.Zeros(4, 4);
        Bad(() => Patches.Extract(flat, 2), "NHWC", "[4, 4]");
    }

    private static MlpMixerConfig Small => new(ImageSize: 8, PatchSize: 4, Channels: 3, Width: 16, Depth: 2,
                                               TokenMlpHidden: 6, ChannelMlpHidden: 32, Classes: 5);

    [Test]
    public void ParameterCount_MatchesTheCountDerivedByHand()
    {
        using var model = new MlpMixer(Small, new Generator(1));
        // N = (8 / 4)^2 = 4 tokens; a patch is 4 * 4 * 3 = 48 values; C = 16.
        long stem = 48 * 16 + 16;                       // Linear 48 -> 16 with bias: 784
        long norm = 2 * 16;                             // LayerNorm weight and bias: 32
        long tokenMlp = (4 * 6 + 6) + (6 * 4 + 4);      // Linear N=4 -> D_S=6, Linear 6 -> 4: 30 + 28
        long channelMlp = (16 * 32 + 32) + (32 * 16 + 16); // Linear 16 -> D_C=32, Linear 32 -> 16: 544 + 528
        long block = norm + tokenMlp + norm + channelMlp;  // 1194
        long head = 16 * 5 + 5;                         // 85
        long total = stem + 2 * block + norm + head;    // 784 + 2388 + 32 + 85
        Assert.That(total, Is.EqualTo(3289));
        Assert.That(model.ParameterCount(), Is.EqualTo(total));
        Assert.That(model.NamedParameters().Select(p => p.Name), Does.Contain("blocks.1.token_fc1.weight"));
        Assert.That(model.Blocks[0].TokenFc1.Weight.Shape, Is.EqualTo(new[] { 6, 4 }), "the token MLP maps N tokens to D_S");
    }

    [Test]
    public void Forward_GivesLogitsPerImage_AndTheZeroHeadGivesZeroLogits()
    {
        using var model = new MlpMixer(Small, new Generator(1));
        using var x = Images(3, 8, 3, seed: 2);
        using var logits = model.Call(x);
        Assert.That(logits.Shape, Is.EqualTo(new[] { 3, 5 }));
        Assert.That(Check.Values(logits), Is.All.EqualTo(0.0));
        Assert.That(Check.Values(model.Head.Weight), Is.All.EqualTo(0.0));
        Assert.That(model.Summary(x), Does.Contain("blocks.1").And.Contain("[3, 4, 16]").And.Contain("[3, 5]"));
    }

    [Test]
    public void NamedShapes_HaveThePapersSizes()
    {
        var b = MlpMixerConfig.B(16, 1000);
        Assert.That((b.Width, b.Depth, b.TokenMlpHidden, b.ChannelMlpHidden, b.Tokens), Is.EqualTo((768, 12, 384, 3072, 196)));
        var s = MlpMixerConfig.S(32, 10);
        Assert.That((s.Width, s.Depth, s.TokenMlpHidden, s.ChannelMlpHidden, s.Tokens), Is.EqualTo((512, 8, 256, 2048, 49)));
        var l = MlpMixerConfig.L(16, 10);
        Assert.That((l.Width, l.Depth, l.TokenMlpHidden, l.ChannelMlpHidden), Is.EqualTo((1024, 24, 512, 4096)));
        using var mnist = new MlpMixer(MlpMixerConfig.Mnist(), new Generator(0));
        using var digits = Images(2, 28, 1, seed: 3);
        Assert.That(mnist.Call(digits).Shape, Is.EqualTo(new[] { 2, 10 }));
    }

    [Test]
    public void MixerBlock_GradientMatchesFiniteDifferences()
    {
        using var block = new MixerBlock(tokens: 3, width: 4, tokenHidden: 5, channelHidden: 6, generator: new Generator(4), dtype: DType.Float64);
        var x = Tensor.Randn([2, 3, 4], new Generator(5), DType.Float64).RequireGrad();
        var result = GradCheckModel(block, x);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void TinyMixer_GradientMatchesFiniteDifferences()
    {
        using var model = new MlpMixer(new MlpMixerConfig(4, 2, 2, Width: 4, Depth: 1, TokenMlpHidden: 3, ChannelMlpHidden: 5, Classes: 3),
                                       new Generator(6), DType.Float64);
        Randomize(model.Head.Weight, 7); // a zero head would make every other gradient zero
        var x = Images(2, 4, 2, seed: 8, DType.Float64).RequireGrad();
        var result = GradCheckModel(model, x);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void TinyMixer_OverfitsOneBatch()
    {
        var watch = Stopwatch.StartNew();
        using var model = new MlpMixer(new MlpMixerConfig(8, 4, 1, Width: 16, Depth: 2, TokenMlpHidden: 8, ChannelMlpHidden: 32, Classes: 4),
                                       new Generator(10));
        using var x = Images(8, 8, 1, seed: 11);
        using var y = Tensor.FromArray(new[] { 0, 1, 2, 3, 3, 2, 1, 0 });
        var losses = Overfit(model, x, y, steps: 60, lr: 1e-2);
        TestContext.Out.WriteLine($"Mixer: loss {losses[0]:F4} -> {losses[^1]:F5} in {losses.Length} steps, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(losses[0], Is.EqualTo(Math.Log(4)).Within(1e-5), "a zero head starts at ln(classes)");
        Assert.That(losses[^1], Is.LessThan(0.05));
    }

    [Test]
    public void BadConfigAndInput_NameTheField()
    {
        Bad(() => new MlpMixer(Small with { ImageSize = 10 }), "ImageSize", "PatchSize", "divisible");
        Bad(() => new MlpMixer(Small with { Width = 0 }), "Width");
        Bad(() => new MlpMixer(Small with { Classes = -1 }), "Classes");
        using var model = new MlpMixer(Small, new Generator(1));
        using var grey = Images(2, 8, 1, seed: 1);
        Bad(() => model.Call(grey), "Channels", "3", "1 channels");
        using var big = Images(2, 12, 3, seed: 1);
        Bad(() => model.Call(big), "ImageSize", "12 x 12");
        using var nchw = Tensor.Zeros(2, 3, 8);
        Bad(() => model.Call(nchw), "NHWC");
        using var channelsFirst = Tensor.Zeros(2, 3, 8, 8);
        Bad(() => model.Call(channelsFirst), "look like NCHW", "Permute(0, 2, 3, 1)");
    }
}
