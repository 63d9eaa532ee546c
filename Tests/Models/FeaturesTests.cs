// Features(): the pooled vector before the classifier of the ViT (every head), MLP-Mixer and gMLP. Forward is the head
// on it, bit for bit, and equals the whole pipeline written out by hand; the head does not touch it; its shape is
// [B, Width]; a gMLP language model has none.
using DotGrad;
using DotGrad.Models;
using static DotGrad.Tests.Models.VisionTestKit;

namespace DotGrad.Tests.Models;

public class FeaturesTests
{
    private static Tensor Images(int batch, ulong seed = 3) => Tensor.Randn([batch, 8, 8, 2], new Generator(seed));

    private static VisionTransformer Vit(VitHead head) =>
        new(new VitConfig(8, 4, 2, 3, Width: 16, Depth: 2, MlpHidden: 32, Heads: 2, Head: head), new Generator(1));

    private static MlpMixer Mixer() => new(new MlpMixerConfig(8, 4, 2, Width: 16, Depth: 2, TokenMlpHidden: 8, ChannelMlpHidden: 32, Classes: 3), new Generator(1));

    private static GMlp GMlpImages() => new(GMlpConfig.ImageClassifier(8, 4, 2, 3, width: 16, depth: 2, ffnHidden: 32), new Generator(1));

    /// <summary>The models with a non-zero head (a zero head would make every logit 0 and the comparison empty).</summary>
    private static IEnumerable<TestCaseData> Models()
    {
        foreach (var head in new[] { VitHead.Tok, VitHead.Gap, VitHead.Map })
            yield return new TestCaseData((Func<Module<Tensor, Tensor>>)(() => Vit(head))).SetArgDisplayNames($"vit-{head}");
        yield return new TestCaseData((Func<Module<Tensor, Tensor>>)Mixer).SetArgDisplayNames("mixer");
        yield return new TestCaseData((Func<Module<Tensor, Tensor>>)GMlpImages).SetArgDisplayNames("gmlp");
    }

    private static Linear HeadOf(Module<Tensor, Tensor> model) => model switch
    {
        VisionTransformer v => v.Head,
        MlpMixer m => m.Head,
        GMlp g => g.Head,
        _ => throw new ArgumentException($"no head for {model.GetType().Name}"),
    };

    [TestCaseSource(nameof(Models))]
    public void Forward_IsTheHeadOnTheFeatures_BitForBit(Func<Module<Tensor, Tensor>> create)
    {
        using var model = create();
        Randomize(HeadOf(model).Weight, 5);
        using var scope = Tensor.NewDisposeScope();
        var x = Images(3);
        var features = ((IImageFeatures)model).Features(x);                                 // [B, Width]
        Assert.That(features.Shape, Is.EqualTo(new[] { 3, ((IImageFeatures)model).FeatureWidth }));
        Assert.That(((IImageFeatures)model).FeatureWidth, Is.EqualTo(16));
        var logits = model.Call(x).ToArray<float>();
        Assert.That(logits.Any(v => v != 0), Is.True, "the randomized head gives non-zero logits");
        Assert.That(logits, Is.EqualTo(HeadOf(model).Call(features).ToArray<float>()), "Forward = Head(Features(x)), exactly");
    }

    [TestCaseSource(nameof(Models))]
    public void Features_DoNotDependOnTheHead(Func<Module<Tensor, Tensor>> create)
    {
        using var model = create();
        using var scope = Tensor.NewDisposeScope();
        var x = Images(2);
        var before = ((IImageFeatures)model).Features(x).ToArray<float>();
        Randomize(HeadOf(model).Weight, 9);
        Randomize(HeadOf(model).Bias!, 10);
        Assert.That(((IImageFeatures)model).Features(x).ToArray<float>(), Is.EqualTo(before));
        Assert.That(before.Any(v => v != 0), Is.True);
    }

    /// <summary>The ViT's pipeline as it reads in its class summary: embed, blocks, final norm, pool, head.</summary>
    [TestCase(VitHead.Tok)]
    [TestCase(VitHead.Gap)]
    [TestCase(VitHead.Map)]
    public void Vit_Forward_EqualsThePipelineWrittenOut(VitHead head)
    {
        using var model = Vit(head);
        Randomize(model.Head.Weight, 5);
        using var scope = Tensor.NewDisposeScope();
        var x = Images(2);
        var h = model.Embed(x);
        foreach (var block in model.Blocks) h = block.Call(h);
        h = model.Norm!.Call(h);
        var pooled = head switch { VitHead.Tok => h[.., 0], VitHead.Gap => h.Mean(1), _ => model.AttnPool!.Call(h) };
        Assert.That(model.Call(x).ToArray<float>(), Is.EqualTo(model.Head.Call(pooled).ToArray<float>()));
    }

    [Test]
    public void Mixer_Forward_EqualsThePipelineWrittenOut()
    {
        using var model = Mixer();
        Randomize(model.Head.Weight, 5);
        using var scope = Tensor.NewDisposeScope();
        var x = Images(2);
        var h = model.Stem.Call(Patches.Extract(x, 4));
        foreach (var block in model.Blocks) h = block.Call(h);
        Assert.That(model.Call(x).ToArray<float>(), Is.EqualTo(model.Head.Call(model.Norm.Call(h).Mean(1)).ToArray<float>()));
    }

    [Test]
    public void GMlp_Forward_EqualsThePipelineWrittenOut_ForImagesAndTokens()
    {
        using var scope = Tensor.NewDisposeScope();
        var images = GMlpImages();
        Randomize(images.Head.Weight, 5);
        var x = Images(2);
        var h = images.Stem!.Call(Patches.Extract(x, 4));
        foreach (var block in images.Blocks) h = block.Call(h);
        Assert.That(images.Call(x).ToArray<float>(), Is.EqualTo(images.Head.Call(images.Norm.Call(h).Mean(1)).ToArray<float>()));

        var lm = new GMlp(GMlpConfig.LanguageModel(11, 6, width: 16, depth: 2, ffnHidden: 32), new Generator(2));
        Randomize(lm.Head.Weight, 5);
        var tokens = Tensor.Randint(0, 11, [2, 6], new Generator(4));
        var t = lm.TokenEmbedding!.Call(tokens);
        foreach (var block in lm.Blocks) t = block.Call(t);
        Assert.That(lm.Call(tokens).ToArray<float>(), Is.EqualTo(lm.Head.Call(lm.Norm.Call(t)).ToArray<float>()));
        var error = Assert.Throws<InvalidOperationException>(() => lm.Features(tokens));
        Assert.That(error!.Message, Does.Contain("GMlp.Features").And.Contain("language model"));
    }

    [Test]
    public void Features_UnderNoGrad_RecordNoGraph()
    {
        using var model = Vit(VitHead.Gap);
        using var scope = Tensor.NewDisposeScope();
        using (global::DotGrad.Autodiff.Autograd.NoGrad())
            Assert.That(model.Features(Images(2)).RequiresGrad, Is.False, "a frozen body: no graph is kept for the probe's features");
        Assert.That(model.Features(Images(2)).RequiresGrad, Is.True, "with gradients on, the body still trains through Features");
    }
}
