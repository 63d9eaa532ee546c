// The Vision Transformer: shapes for every head, a parameter count derived by hand, positions (learned std, added
// before the cls token; sincos2d values), the named shapes, the dualized switches, gradient checks through each
// head, overfitting one batch, and bad input that names the config field.
using System.Diagnostics;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using static DotGrad.Tests.Models.VisionTestKit;

namespace DotGrad.Tests.Models;

public class VitTests
{
    /// <summary>8 x 8 RGB images in 4 x 4 patches (4 tokens), width 16, 2 blocks of 2 heads, MLP 32, 5 classes.</summary>
    private static VitConfig Small(VitHead head = VitHead.Tok, VitPositions positions = VitPositions.Learned) =>
        new(ImageSize: 8, PatchSize: 4, Channels: 3, Classes: 5, Width: 16, Depth: 2, MlpHidden: 32, Heads: 2, positions, head);

    [TestCase(VitHead.Tok, VitPositions.Learned)]
    [TestCase(VitHead.Gap, VitPositions.Learned)]
    [TestCase(VitHead.Map, VitPositions.Learned)]
    [TestCase(VitHead.Tok, VitPositions.SinCos2d)]
    [TestCase(VitHead.Gap, VitPositions.SinCos2d)]
    [TestCase(VitHead.Map, VitPositions.SinCos2d)]
    public void Forward_GivesLogitsPerImage_ForEveryHeadAndPositions(VitHead head, VitPositions positions)
    {
        using var model = new VisionTransformer(Small(head, positions), new Generator(1));
        using var x = Images(3, 8, 3, seed: 2);
        using var logits = model.Call(x);
        Assert.That(logits.Shape, Is.EqualTo(new[] { 3, 5 }));
        Assert.That(Check.Values(logits), Is.All.EqualTo(0.0), "the classifier starts at zero");
        int tokens = head == VitHead.Tok ? 5 : 4;
        Assert.That(model.Summary(x), Does.Contain($"[3, {tokens}, 16]").And.Contain("[3, 5]"));
    }

    [Test]
    public void ParameterCount_MatchesTheCountDerivedByHand()
    {
        // N = (8 / 4)^2 = 4 patches of 4 * 4 * 3 = 48 values; C = 16, MLP H = 32, Depth 2.
        long patchEmbed = 48 * 16 + 16;                       // Linear 48 -> 16: 784
        long posEmbed = 4 * 16;                               // [1, N, C], no slot for the cls token: 64
        long cls = 16;                                        // [1, 1, C]
        long layerNorm = 2 * 16;                              // weight and bias: 32
        long attention = 4 * (16 * 16 + 16);                  // query, key, value and output Linear C -> C: 1088
        long mlp = (16 * 32 + 32) + (32 * 16 + 16);           // Linear C -> H, H -> C: 1072
        long block = layerNorm + attention + layerNorm + mlp; // 2224
        long head = 16 * 5 + 5;                               // 85
        long tok = patchEmbed + posEmbed + cls + 2 * block + layerNorm + head;
        Assert.That(tok, Is.EqualTo(5429));
        using (var model = new VisionTransformer(Small(VitHead.Tok), new Generator(1)))
            Assert.That(model.ParameterCount(), Is.EqualTo(tok));

        long gap = tok - cls;                                 // no cls token
        using (var model = new VisionTransformer(Small(VitHead.Gap), new Generator(1)))
            Assert.That(model.ParameterCount(), Is.EqualTo(gap));

        long map = gap + 16 + attention + layerNorm + mlp;    // + probe [1, 1, C], its attention, LN and MLP (hidden H)
        using (var model = new VisionTransformer(Small(VitHead.Map), new Generator(1)))
            Assert.That(model.ParameterCount(), Is.EqualTo(map));

        using (var model = new VisionTransformer(Small(VitHead.Tok, VitPositions.SinCos2d), new Generator(1)))
        {
            Assert.That(model.ParameterCount(), Is.EqualTo(tok - posEmbed), "sincos2d positions are a buffer, not a parameter");
            Assert.That(model.StateDict().Keys, Does.Not.Contain("pos_embed"), "and are recomputed, not saved");
        }
    }

    [Test]
    public void LearnedPositions_HaveStdOneOverSqrtWidth_AndAreAddedBeforeTheClsToken()
    {
        using var model = new VisionTransformer(new VitConfig(16, 2, 1, 3, Width: 64, Depth: 1, MlpHidden: 64, Heads: 4), new Generator(3));
        Assert.That(model.PosEmbed.Shape, Is.EqualTo(new[] { 1, 64, 64 }), "one row per patch: the cls token gets none");
        var pos = Check.Values(model.PosEmbed);
        double mean = pos.Average(), std = Math.Sqrt(pos.Select(v => (v - mean) * (v - mean)).Average());
        Assert.That(std, Is.EqualTo(1 / Math.Sqrt(64)).Within(0.01), "4096 draws of N(0, 1/64)");
        Assert.That(Math.Abs(mean), Is.LessThan(0.01));

        Randomize(model.ClsToken!, 4);
        using var x = Images(2, 16, 1, seed: 5);
        using var tokens = model.Embed(x);                              // [2, 65, 64]
        Assert.That(tokens.Shape, Is.EqualTo(new[] { 2, 65, 64 }));
        for (int b = 0; b < 2; b++)
            Assert.That(Check.Values(tokens[b, 0]), Is.EqualTo(Check.Values(model.ClsToken![0, 0])), "token 0 is the bare cls token");
        using var patches = model.PatchEmbed.Call(Patches.Extract(x, 2)) + model.PosEmbed; // [2, 64, 64]
        Check.Close(Check.Values(tokens[.., 1..]), Check.Values(patches), atol: 0, rtol: 0);
    }

    [Test]
    public void SinCos2d_KnownValues()
    {
        // a 2 x 3 grid, width 8: Width/4 = 2 frequencies, omega = 10000^(-[0, 1]) = [1, 1e-4]
        using var pe = VisionTransformer.SinCos2d(2, 3, 8, dtype: DType.Float64);
        Assert.That(pe.Shape, Is.EqualTo(new[] { 1, 6, 8 }));
        var v = Check.Values(pe);
        Assert.That(v[0..8], Is.EqualTo(new double[] { 0, 0, 1, 1, 0, 0, 1, 1 }), "the token at (0, 0)");
        // token 5 is row y = 1, column x = 2: [sin(x w), cos(x w), sin(y w), cos(y w)]
        double[] expected = [Math.Sin(2), Math.Sin(2e-4), Math.Cos(2), Math.Cos(2e-4), Math.Sin(1), Math.Sin(1e-4), Math.Cos(1), Math.Cos(1e-4)];
        Check.Close(v[40..48], expected, atol: 1e-15, rtol: 0);
        // token 1 is row 0, column 1 (row-major, like the patches)
        Check.Close(v[8..16], [Math.Sin(1), Math.Sin(1e-4), Math.Cos(1), Math.Cos(1e-4), 0, 0, 1, 1], atol: 1e-15, rtol: 0);

        using var model = new VisionTransformer(Small(VitHead.Gap, VitPositions.SinCos2d), new Generator(1));
        using var expectedTable = VisionTransformer.SinCos2d(2, 2, 16);
        Assert.That(Check.Values(model.PosEmbed), Is.EqualTo(Check.Values(expectedTable)));
        Assert.That(model.PosEmbed.RequiresGrad, Is.False);
    }

    [Test]
    public void NamedShapes_HaveTheirSizes()
    {
        (int, int, int, int) Shape(VitConfig c) => (c.Width, c.Depth, c.MlpHidden, c.Heads);
        Assert.That(Shape(VitConfig.S(16, 1000)), Is.EqualTo((384, 12, 1536, 6)));
        Assert.That(Shape(VitConfig.B(16, 1000)), Is.EqualTo((768, 12, 3072, 12)));
        Assert.That(Shape(VitConfig.L(16, 1000)), Is.EqualTo((1024, 24, 4096, 16)));
        Assert.That(Shape(VitConfig.So400m(14, 1000)), Is.EqualTo((1152, 27, 4304, 16)));
        Assert.That(Shape(VitConfig.So400mAlt(14, 1000)), Is.EqualTo((1152, 27, 4352, 18)));
        Assert.That(VitConfig.So400m(14, 1000).Width / 16, Is.EqualTo(72), "head dim 72");
        Assert.That(VitConfig.So400mAlt(14, 1000).Width / 18, Is.EqualTo(64), "head dim 64");
        Assert.That(VitConfig.B(16, 1000).PatchCount, Is.EqualTo(196));
        foreach (var config in new[] { VitConfig.Ti(16, 10), VitConfig.S(16, 10), VitConfig.B(32, 10), VitConfig.L(14, 10),
                                       VitConfig.So400m(14, 10), VitConfig.So400mAlt(14, 10) })
            Assert.DoesNotThrow(config.Validate);

        using var mnist = new VisionTransformer(VitConfig.Mnist(), new Generator(1));
        using var digits = Images(2, 28, 1, seed: 2);
        Assert.That(mnist.Call(digits).Shape, Is.EqualTo(new[] { 2, 10 }));
    }

    [Test]
    public void Dualized_SetsTheModulaBlockSwitches()
    {
        var config = VitConfig.ModulaMnist();
        var block = config.Block;
        Assert.That(block.Activation, Is.EqualTo(Activation.ScaledGelu));
        Assert.That(block.Scale, Is.EqualTo(AttentionScale.Inverse));
        Assert.That(block.AttentionOutputScale, Is.EqualTo(1.0 / 3));
        Assert.That(block.Residual, Is.EqualTo(ResidualKind.Scaled));
        Assert.That((block.Width, block.Heads, block.MlpHidden, block.Depth), Is.EqualTo((32, 4, 128, 4)));
        using var model = new VisionTransformer(config, new Generator(1));
        Assert.That(model.Blocks[0].ResidualScale, Is.EqualTo(1.0 / 8), "s = 1 / (2 Depth)");
        using var digits = Images(2, 28, 1, seed: 2);
        Assert.That(model.Call(digits).Shape, Is.EqualTo(new[] { 2, 10 }));

        var plain = VitConfig.Mnist();
        Assert.That((plain.Block.Activation, plain.Block.Residual, plain.Block.NormEps), Is.EqualTo((Activation.GeluTanh, ResidualKind.Standard, 1e-6)),
                    "big_vision's blocks by default");
    }

    [Test]
    public void BlockOptions_AreUsed_WithThisConfigsSizes()
    {
        var options = new BlockConfig(Width: 1, Heads: 1, MlpHidden: 1, NormKind: NormKind.RmsNorm, Mlp: MlpKind.SwiGlu, Parallel: true);
        var config = Small() with { BlockOptions = options };
        Assert.That((config.Block.Width, config.Block.Heads, config.Block.MlpHidden, config.Block.Depth), Is.EqualTo((16, 2, 32, 2)));
        using var model = new VisionTransformer(config, new Generator(1));
        Assert.That(model.Norm, Is.InstanceOf<RmsNorm>(), "the final norm follows the blocks' norm kind");
        using var x = Images(2, 8, 3, seed: 2);
        Assert.That(model.Call(x).Shape, Is.EqualTo(new[] { 2, 5 }));

        using var post = new VisionTransformer(Small() with { BlockOptions = new BlockConfig(1, 1, 1, Norm: NormPlacement.Post) }, new Generator(1));
        Assert.That(post.Norm, Is.Null, "post-norm blocks already end in a norm");
        Assert.That(post.Call(x).Shape, Is.EqualTo(new[] { 2, 5 }));
    }

    [TestCase(VitHead.Tok)]
    [TestCase(VitHead.Gap)]
    [TestCase(VitHead.Map)]
    public void TinyVit_GradientMatchesFiniteDifferences(VitHead head)
    {
        var config = new VitConfig(ImageSize: 4, PatchSize: 2, Channels: 1, Classes: 2, Width: 4, Depth: 1, MlpHidden: 6, Heads: 2, Head: head);
        using var model = new VisionTransformer(config, new Generator(20), DType.Float64);
        Randomize(model.Head.Weight, 21);           // a zero classifier would make every other gradient zero
        if (model.ClsToken is { } cls) Randomize(cls, 22);
        var x = Images(2, 4, 1, seed: 23, DType.Float64).RequireGrad();
        var result = GradCheckModel(model, x);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void TinyVit_OverfitsOneBatch()
    {
        var watch = Stopwatch.StartNew();
        var config = new VitConfig(ImageSize: 8, PatchSize: 4, Channels: 1, Classes: 4, Width: 16, Depth: 2, MlpHidden: 32, Heads: 2);
        using var model = new VisionTransformer(config, new Generator(30));
        using var x = Images(8, 8, 1, seed: 31);
        using var y = Tensor.FromArray(new[] { 0, 1, 2, 3, 3, 2, 1, 0 });
        var losses = Overfit(model, x, y, steps: 40, lr: 1e-2);
        TestContext.Out.WriteLine($"ViT: loss {losses[0]:F4} -> {losses[^1]:F5} in {losses.Length} steps, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(losses[0], Is.EqualTo(Math.Log(4)).Within(1e-5));
        Assert.That(losses[^1], Is.LessThan(0.05));
    }

    [Test]
    public void BadConfigAndInput_NameTheField()
    {
        Bad(() => new VisionTransformer(Small() with { ImageSize = 10 }), "ImageSize", "PatchSize", "divisible");
        Bad(() => new VisionTransformer(Small() with { Heads = 3 }), "Heads", "Width", "divide");
        Bad(() => new VisionTransformer(Small(VitHead.Gap, VitPositions.SinCos2d) with { Width = 18, Heads = 1 }), "Width", "SinCos2d", "multiple of 4");
        Bad(() => new VisionTransformer(Small() with { Channels = 0 }), "Channels");
        Bad(() => new VisionTransformer(Small() with { Depth = 0 }), "Depth");
        using var model = new VisionTransformer(Small(), new Generator(1));
        using var grey = Images(2, 8, 1, seed: 1);
        Bad(() => model.Call(grey), "Channels", "1 channels");
        using var big = Images(2, 16, 3, seed: 1);
        Bad(() => model.Call(big), "ImageSize", "16 x 16");
        using var nchw = Tensor.Zeros(2, 3, 8, 8);
        Bad(() => model.Call(nchw), "NCHW", "NHWC", "Permute(0, 2, 3, 1)");
    }
}
