// The transformer block's variants: shapes for every combination of switches, each placement's equation composed
// from the block's own sub-layers, ReZero and the scaled residual, gradients through a covering set of variants.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class BlockTests
{
    private static BlockConfig Config(NormPlacement norm, NormKind kind, bool parallel, ResidualKind residual, MlpKind mlp, int width = 8) =>
        new(width, 2, 2 * width, norm, kind, parallel, residual, Depth: 3, Mlp: mlp, Causal: true);

    public static IEnumerable<TestCaseData> EveryVariant() =>
        from norm in Enum.GetValues<NormPlacement>()
        from kind in Enum.GetValues<NormKind>()
        from parallel in new[] { false, true }
        from residual in Enum.GetValues<ResidualKind>()
        from mlp in Enum.GetValues<MlpKind>()
        select new TestCaseData(norm, kind, parallel, residual, mlp);

    [TestCaseSource(nameof(EveryVariant))]
    public void Block_EveryVariant_KeepsTheShape(NormPlacement norm, NormKind kind, bool parallel, ResidualKind residual, MlpKind mlp)
    {
        using var block = new TransformerBlock(Config(norm, kind, parallel, residual, mlp), new Generator(1));
        using var x = Tensor.Randn([2, 3, 8], new Generator(2));
        var y = block.Call(x);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 3, 8 }));
        Assert.That(Check.Values(y).All(double.IsFinite), "finite output");
    }

    [Test]
    public void Block_NormsPresent_FollowPlacementParallelAndResidual()
    {
        string[] Norms(NormPlacement norm, bool parallel, ResidualKind residual = ResidualKind.Standard)
        {
            using var block = new TransformerBlock(Config(norm, NormKind.LayerNorm, parallel, residual, MlpKind.Plain));
            return block.NamedChildren().Select(c => c.Name).Where(n => n.StartsWith("ln_")).ToArray();
        }
        Assert.That(Norms(NormPlacement.Pre, false), Is.EqualTo(new[] { "ln_1", "ln_2" }));
        Assert.That(Norms(NormPlacement.Post, false), Is.EqualTo(new[] { "ln_1", "ln_2" }));
        Assert.That(Norms(NormPlacement.Double, false), Is.EqualTo(new[] { "ln_1", "ln_1_post", "ln_2", "ln_2_post" }));
        Assert.That(Norms(NormPlacement.Pre, true), Is.EqualTo(new[] { "ln_1" }));
        Assert.That(Norms(NormPlacement.Post, true), Is.EqualTo(new[] { "ln_1" }));
        Assert.That(Norms(NormPlacement.Double, true), Is.EqualTo(new[] { "ln_1", "ln_1_post", "ln_2_post" }));
        Assert.That(Norms(NormPlacement.Pre, false, ResidualKind.ReZero), Is.Empty);
    }

    [Test]
    public void Block_NormKindAndBias_PickTheNorm()
    {
        using var rms = new TransformerBlock(new BlockConfig(8, 2, 16, NormKind: NormKind.RmsNorm, NormEps: 1e-6));
        Assert.That(rms.Norm1, Is.InstanceOf<RmsNorm>());
        Assert.That(((RmsNorm)rms.Norm1!).Eps, Is.EqualTo(1e-6));
        using var ln = new TransformerBlock(new BlockConfig(8, 2, 16, Bias: false));
        Assert.That(((LayerNorm)ln.Norm1!).Bias, Is.Null);
        Assert.That(ln.Parameters().Count(), Is.EqualTo(1 + 4 + 1 + 2), "ln_1, attention q/k/v/out, ln_2, mlp fc/proj: weights only");
    }

    [TestCase(ResidualKind.Standard)]
    [TestCase(ResidualKind.Scaled)]
    public void Block_EachPlacement_ComputesItsEquation(ResidualKind residual)
    {
        using var x = ModuleGradients.Input(3, 2, 3, 8);
        double s = residual == ResidualKind.Scaled ? 1.0 / (2 * 3) : 0;
        Tensor R(Tensor h, Tensor f) => residual == ResidualKind.Scaled ? h * (1 - s) + f * s : h + f;
        foreach (var norm in Enum.GetValues<NormPlacement>())
            foreach (var parallel in new[] { false, true })
            {
                using var b = new TransformerBlock(Config(norm, NormKind.LayerNorm, parallel, residual, MlpKind.SwiGlu), new Generator(4), DType.Float64);
                Tensor A(Tensor h) => b.Attention.Call(h);
                Tensor M(Tensor h) => b.Mlp.Call(h);
                Tensor N1(Tensor h) => b.Norm1!.Call(h);
                Tensor N2(Tensor h) => b.Norm2!.Call(h);
                Tensor P1(Tensor h) => b.Norm1Post!.Call(h);
                Tensor P2(Tensor h) => b.Norm2Post!.Call(h);
                Tensor expected;
                switch (norm, parallel)
                {
                    case (NormPlacement.Pre, false):
                    {
                        var h = R(x, A(N1(x)));
                        expected = R(h, M(N2(h)));
                        break;
                    }
                    case (NormPlacement.Post, false):
                    {
                        var h = N1(R(x, A(x)));
                        expected = N2(R(h, M(h)));
                        break;
                    }
                    case (NormPlacement.Double, false):
                    {
                        var h = R(x, P1(A(N1(x))));
                        expected = R(h, P2(M(N2(h))));
                        break;
                    }
                    case (NormPlacement.Pre, true): expected = R(x, A(N1(x)) + M(N1(x))); break;
                    case (NormPlacement.Post, true): expected = N1(R(x, A(x) + M(x))); break;
                    default: expected = R(x, P1(A(N1(x))) + P2(M(N1(x)))); break;
                }
                Check.Close(b.Call(x), [2, 3, 8], Check.Values(expected), atol: 1e-12);
                Assert.That(b.ResidualScale, Is.EqualTo(s));
            }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Block_ReZero_StartsAsTheIdentityAndScalesEachBranchByItsAlpha(bool parallel)
    {
        using var b = new TransformerBlock(Config(NormPlacement.Pre, NormKind.LayerNorm, parallel, ResidualKind.ReZero, MlpKind.Plain), new Generator(5), DType.Float64);
        using var x = ModuleGradients.Input(6, 2, 3, 8);
        Assert.That(Check.Values(b.Call(x)), Is.EqualTo(Check.Values(x)), "alpha = 0 at initialisation: the block is the identity");
        Assert.That(b.Alpha1!.Shape, Is.EqualTo(new[] { 1 }));
        Assert.That(b.Alpha2 is null, Is.EqualTo(parallel), "one scalar per residual branch");

        SetAlphas(b, 0.5, -0.25);
        Tensor expected;
        if (parallel) expected = x + (b.Attention.Call(x) + b.Mlp.Call(x)) * 0.5;
        else
        {
            var h = x + b.Attention.Call(x) * 0.5;
            expected = h + b.Mlp.Call(h) * -0.25;
        }
        Check.Close(b.Call(x), [2, 3, 8], Check.Values(expected), atol: 1e-12);
    }

    private static void SetAlphas(TransformerBlock b, double alpha1, double alpha2)
    {
        using var _ = global::DotGrad.Autodiff.Autograd.NoGrad();
        b.Alpha1!.Detach()[TensorIndex.Ellipsis] = Tensor.Scalar(alpha1, b.Alpha1.DType);
        if (b.Alpha2 is not null) b.Alpha2.Detach()[TensorIndex.Ellipsis] = Tensor.Scalar(alpha2, b.Alpha2.DType);
    }

    /// <summary>
    /// Every norm placement x kind x parallel with the standard residual (MLP kinds rotating), ReZero serial and
    /// parallel, and the scaled residual with every placement, serial and parallel: 20 variants.
    /// </summary>
    public static IEnumerable<TestCaseData> GradientVariants()
    {
        var mlps = Enum.GetValues<MlpKind>();
        int i = 0;
        foreach (var norm in Enum.GetValues<NormPlacement>())
            foreach (var kind in Enum.GetValues<NormKind>())
                foreach (var parallel in new[] { false, true })
                    yield return new TestCaseData(norm, kind, parallel, ResidualKind.Standard, mlps[i++ % 3]);
        foreach (var parallel in new[] { false, true })
            yield return new TestCaseData(NormPlacement.Pre, NormKind.LayerNorm, parallel, ResidualKind.ReZero, mlps[i++ % 3]);
        foreach (var norm in Enum.GetValues<NormPlacement>())
            foreach (var parallel in new[] { false, true })
                yield return new TestCaseData(norm, NormKind.RmsNorm, parallel, ResidualKind.Scaled, mlps[i++ % 3]);
    }

    [TestCaseSource(nameof(GradientVariants))]
    public void Block_Gradient(NormPlacement norm, NormKind kind, bool parallel, ResidualKind residual, MlpKind mlp)
    {
        using var b = new TransformerBlock(Config(norm, kind, parallel, residual, mlp, width: 4), new Generator(7), DType.Float64);
        if (residual == ResidualKind.ReZero) SetAlphas(b, 0.7, -0.4); // at 0 every gradient but alpha's would be 0
        ModuleGradients.AssertMatchFiniteDifferences(b, ModuleGradients.Input(8, 1, 3, 4));
    }

    [TestCaseSource(nameof(EveryVariant))]
    public void Block_EveryVariant_InputGradient(NormPlacement norm, NormKind kind, bool parallel, ResidualKind residual, MlpKind mlp)
    {
        // d block(x) / d x for all 108 combinations (the parameter gradients are checked on the covering set above).
        using var b = new TransformerBlock(Config(norm, kind, parallel, residual, mlp, width: 4), new Generator(11), DType.Float64);
        if (residual == ResidualKind.ReZero) SetAlphas(b, 0.7, -0.4);
        using var x = ModuleGradients.Input(12, 1, 3, 4);
        var result = GradCheck.Check(xs => b.Call(xs[0]), [x.RequireGrad()]);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void Block_Gradient_WithEveryAttentionOption()
    {
        var config = new BlockConfig(4, 2, 8, Norm: NormPlacement.Double, NormKind: NormKind.RmsNorm, Mlp: MlpKind.SwiGlu, Bias: false,
                                     Causal: true, KvHeads: 1, Rope: true, QkNorm: true, Scale: AttentionScale.Inverse, AttentionOutputScale: 1.0 / 3);
        using var b = new TransformerBlock(config, new Generator(9), DType.Float64);
        ModuleGradients.AssertMatchFiniteDifferences(b, ModuleGradients.Input(10, 1, 3, 4));
    }

    [Test]
    public void Block_BadConfigAndInput_NameTheField()
    {
        Assert.That(() => new TransformerBlock(new BlockConfig(8, 3, 16)), Throws.ArgumentException.With.Message.Contains("Heads = 3"));
        Assert.That(() => new TransformerBlock(new BlockConfig(8, 4, 16, KvHeads: 3)), Throws.ArgumentException.With.Message.Contains("KvHeads"));
        Assert.That(() => new TransformerBlock(new BlockConfig(8, 2, 0)), Throws.ArgumentException.With.Message.Contains("MlpHidden"));
        Assert.That(() => new TransformerBlock(new BlockConfig(8, 2, 16, Depth: 0)), Throws.ArgumentException.With.Message.Contains("Depth"));
        using var b = new TransformerBlock(new BlockConfig(8, 2, 16));
        using var x = Tensor.Zeros(2, 8);
        Assert.That(() => b.Call(x), Throws.ArgumentException.With.Message.Contains("Width = 8"));
    }
}
