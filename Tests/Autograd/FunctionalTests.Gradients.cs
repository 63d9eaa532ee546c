// Gradients of the composite functions against central differences in Float64, and of the fused cross entropy
// against its composition. The composites get their backward from the primitives (mean, log_softmax, gather,
// softmax, matmul, logsumexp), so the tests in the category below wait on those primitives' backward.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

public partial class FunctionalTests
{
    /// <summary>Tests that rely on the backward of reductions, softmax, gather or matmul.</summary>
    private const string NeedsPrimitiveBackward = "NeedsPrimitiveBackward";

    /// <summary>The public gradient check (full Jacobian vs central differences, PyTorch's defaults) on fresh Float64 leaves.</summary>
    private static void AssertGradientsMatchFiniteDifferences(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var leaves = inputs.Select(t => Tensor.FromArray(t.ToArray<double>(), t.Shape).RequireGrad()).ToArray();
        var result = GradCheck.Check(f, leaves);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    private static Tensor Logits(ulong seed, params int[] shape) => Randn(seed, shape) * 2.0;

    // ---- these need only unary and binary backward ----

    [TestCase("none")]
    [TestCase("tanh")]
    public void GeluComposite_Gradient(string approximate)
    {
        using var x = Tensor.Linspace(-3, 3, 13, DType.Float64);
        AssertGradientsMatchFiniteDifferences(t => F.GeluComposite(t[0], approximate), x);
    }

    [TestCase("none")]
    [TestCase("tanh")]
    public void GeluComposite_GradientEqualsFusedGeluGradient(string approximate)
    {
        var x = Tensor.Linspace(-5, 5, 41, DType.Float64).RequireGrad();
        var composite = global::DotGrad.Autodiff.Autograd.Grad(F.GeluComposite(x, approximate), x, Tensor.OnesLike(x));
        var fused = global::DotGrad.Autodiff.Autograd.Grad(x.Gelu(approximate), x, Tensor.OnesLike(x));
        Assert.That(composite.ToArray<double>(), Is.EqualTo(fused.ToArray<double>()).Within(1e-12));
    }

    [Test]
    public void SiluComposite_GradientMatchesFiniteDifferencesAndFusedSilu()
    {
        using var x0 = Tensor.Linspace(-4, 4, 17, DType.Float64);
        AssertGradientsMatchFiniteDifferences(t => F.SiluComposite(t[0]), x0);
        var x = x0.Clone().RequireGrad();
        var composite = global::DotGrad.Autodiff.Autograd.Grad(F.SiluComposite(x), x, Tensor.OnesLike(x));
        var fused = global::DotGrad.Autodiff.Autograd.Grad(x.Silu(), x, Tensor.OnesLike(x));
        Assert.That(composite.ToArray<double>(), Is.EqualTo(fused.ToArray<double>()).Within(1e-12));
    }

    [TestCase("mean", 0.0)]
    [TestCase("mean", 0.2)]
    [TestCase("sum", 0.1)]
    [TestCase("none", 0.1)]
    public void CrossEntropyFused_Gradient(string reduction, double smoothing)
    {
        // Its own backward, (softmax - target) * weight: needs only the forward of softmax.
        using var x = Logits(11, 4, 5);
        using var y = Labels(3, -100, 0, 4);
        AssertGradientsMatchFiniteDifferences(t => F.CrossEntropy(t[0], y, labelSmoothing: smoothing, reduction: reduction), x);
    }

    [Test]
    public void CrossEntropyFused_GoldenGradient()
    {
        // Row 0 = [0, 0, 0], label 1, mean over 2 rows: d/dx = (softmax - onehot) / 2 = ([1/3, 1/3, 1/3] - [0, 1, 0]) / 2.
        // Row 1 ignored: 0.
        var x = Logits2x3().RequireGrad();
        F.CrossEntropy(x, Labels(1, -100)).Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new[] { 1 / 3.0, -2 / 3.0, 1 / 3.0, 0, 0, 0 }).Within(1e-15));
    }

    [Test]
    public void CrossEntropyFused_AllIgnored_GradientIsZero()
    {
        var x = Logits2x3().RequireGrad();
        F.CrossEntropy(x, Labels(-100, -100), reduction: "sum").Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.All.EqualTo(0));
    }

    // ---- these wait on the backward of reductions, softmax, gather and matmul ----

    [TestCase("mean", 0.0)]
    [TestCase("mean", 0.2)]
    [TestCase("sum", 0.1)]
    [TestCase("none", 0.1)]
    [Category(NeedsPrimitiveBackward)]
    public void CrossEntropyComposite_Gradient(string reduction, double smoothing)
    {
        using var x = Logits(12, 4, 5);
        using var y = Labels(3, -100, 0, 4);
        AssertGradientsMatchFiniteDifferences(t => F.CrossEntropyComposite(t[0], y, labelSmoothing: smoothing, reduction: reduction), x);
    }

    [TestCase("mean", 0.0)]
    [TestCase("mean", 0.1)]
    [TestCase("sum", 0.3)]
    [TestCase("none", 0.1)]
    [Category(NeedsPrimitiveBackward)]
    public void CrossEntropy_FusedMatchesComposite_ValuesAndGradients(string reduction, double smoothing)
    {
        // [N=3, C=4, d=2] logits exercise the class-dim permute too.
        using var x0 = Logits(13, 3, 4, 2);
        using var y = Tensor.FromArray(new int[,] { { 0, 3 }, { -100, 1 }, { 2, 2 } });
        var xf = x0.Clone().RequireGrad();
        var xc = x0.Clone().RequireGrad();
        var lf = F.CrossEntropy(xf, y, labelSmoothing: smoothing, reduction: reduction);
        var lc = F.CrossEntropyComposite(xc, y, labelSmoothing: smoothing, reduction: reduction);
        Assert.That(lf.ToArray<double>(), Is.EqualTo(lc.ToArray<double>()).Within(1e-12), "values");
        using var w = Tensor.Randn(lf.Shape, new Generator(5), DType.Float64);
        lf.Backward(w);
        lc.Backward(w);
        Assert.That(xf.Grad!.ToArray<double>(), Is.EqualTo(xc.Grad!.ToArray<double>()).Within(1e-12), "gradients");
    }

    [Test]
    [Category(NeedsPrimitiveBackward)]
    public void CrossEntropyFused_SecondOrder_MatchesComposite()
    {
        // createGraph: the fused backward is written with tensor ops (softmax of the input), so its gradient can be
        // differentiated again; compare d/dx sum(grad * v) of both versions.
        using var x0 = Logits(14, 3, 4);
        using var y = Labels(1, 0, -100);
        using var v = Randn(15, 3, 4);
        double[] HessianVector(bool fused)
        {
            var x = x0.Clone().RequireGrad();
            var g = global::DotGrad.Autodiff.Autograd.Grad(F.CrossEntropy(x, y, labelSmoothing: 0.1, fused: fused), x, createGraph: true);
            return global::DotGrad.Autodiff.Autograd.Grad(g, x, v).ToArray<double>();
        }
        Assert.That(HessianVector(true), Is.EqualTo(HessianVector(false)).Within(1e-12));
    }

    [Test]
    [Category(NeedsPrimitiveBackward)]
    public void LayerNorm_Gradient()
    {
        using var x = Randn(21, 3, 5);
        using var w = Randn(22, 5);
        using var b = Randn(23, 5);
        AssertGradientsMatchFiniteDifferences(t => F.LayerNorm(t[0], t[1], t[2]), x, w, b);
    }

    [Test]
    [Category(NeedsPrimitiveBackward)]
    public void RmsNorm_Gradient()
    {
        using var x = Randn(24, 3, 5);
        using var w = Randn(25, 5);
        AssertGradientsMatchFiniteDifferences(t => F.RmsNorm(t[0], t[1]), x, w);
    }

    [TestCase("mean", Category = NeedsPrimitiveBackward)]
    [TestCase("sum", Category = NeedsPrimitiveBackward)]
    [TestCase("none")]
    public void Mse_Gradient(string reduction)
    {
        using var a = Randn(26, 2, 3);
        using var b = Randn(27, 2, 3);
        AssertGradientsMatchFiniteDifferences(t => F.Mse(t[0], t[1], reduction), a, b);
    }

    [Test]
    [Category(NeedsPrimitiveBackward)]
    public void ZLoss_Gradient()
    {
        using var x = Logits(28, 3, 4);
        AssertGradientsMatchFiniteDifferences(t => F.ZLoss(t[0], 0.1), x);
    }

    [TestCase(false)]
    [TestCase(true)]
    [Category(NeedsPrimitiveBackward)]
    public void Sdpa_Gradient(bool causal)
    {
        using var q = Randn(31, 2, 3, 4);
        using var k = Randn(32, 2, 5, 4);
        using var v = Randn(33, 2, 5, 2);
        // A padding mask [2, 1, 5] that hides the last key of batch 1 (every query keeps key 0 visible).
        using var mask = Tensor.FromArray(new[] { true, true, true, true, true, true, true, true, true, false }, [2, 1, 5]);
        AssertGradientsMatchFiniteDifferences(t => F.ScaledDotProductAttention(t[0], t[1], t[2], causal, mask), q, k, v);
    }
}
