// Global-norm clipping and adaptive clipping (AGC) by hand.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class ClippingTests
{
    [Test]
    public void ClipGradNorm_ReturnsTheNormBefore_AndScalesToMaxNorm()
    {
        using var a = Param(0.0, 0.0);
        using var b = Param(0.0);
        Grad(a, 3.0, 0.0);
        Grad(b, 4.0);
        // N = sqrt(9 + 16) = 5; PyTorch's scale = 2 / (5 + 1e-6), so 3 -> 6/5.000001 and 4 -> 8/5.000001.
        double norm = Clipping.ClipGradNorm([a, b], maxNorm: 2);
        Assert.That(norm, Is.EqualTo(5).Within(1e-15));
        AssertClose(a.Grad!, [6 / 5.000001, 0], tolerance: 1e-15);
        AssertClose(b.Grad!, [8 / 5.000001], tolerance: 1e-15);
        Assert.That(8 / 5.000001, Is.Not.EqualTo(1.6).Within(1e-9), "the 1e-6 is visible at this tolerance");
        // Under the limit nothing changes, and the norm is still returned: N = 2/(1 + 2e-7) < 10.
        Assert.That(Clipping.ClipGradNorm([a, b], maxNorm: 10), Is.EqualTo(10 / 5.000001).Within(1e-14));
        AssertClose(b.Grad!, [8 / 5.000001], tolerance: 1e-15);
    }

    [Test]
    public void ClipGradNorm_AtTheLimit_StillScalesBy_MaxNormOverNormPlusAMillionth()
    {
        // N = 1 = maxNorm: PyTorch's coefficient is 1/(1 + 1e-6) < 1, so the gradient shrinks a little
        // (a plain min(1, maxNorm/N) would leave it alone).
        using var a = Param(0.0, 0.0);
        Grad(a, 0.6, 0.8);
        Assert.That(Clipping.ClipGradNorm([a], maxNorm: 1), Is.EqualTo(1).Within(1e-15));
        AssertClose(a.Grad!, [0.6 / 1.000001, 0.8 / 1.000001], tolerance: 1e-15);
        // maxNorm 0 gives a coefficient of 0 whatever N: every gradient becomes 0.
        Clipping.ClipGradNorm([a], maxNorm: 0);
        Assert.That(Values(a.Grad!), Is.EqualTo(new[] { 0.0, 0.0 }));
    }

    [Test]
    public void ClipGradNorm_ZeroAndMissingGradients_GiveZeroAndNoNaN()
    {
        using var a = Param(1.0);
        using var b = Param(1.0);
        Grad(a, 0.0);
        Assert.That(Clipping.ClipGradNorm([a, b], 1.0), Is.Zero);
        Assert.That(Values(a.Grad!), Is.EqualTo(new[] { 0.0 }));
    }

    [Test]
    public void ClipGradNorm_NonFinite_IsReturnedOrThrown()
    {
        using var a = Param(1.0, 1.0);
        Grad(a, double.NaN, 1.0);
        Assert.That(Clipping.ClipGradNorm([a], 1.0), Is.NaN);
        Assert.Throws<ArithmeticException>(() => Clipping.ClipGradNorm([a], 1.0, errorIfNonfinite: true));
        Assert.Throws<ArgumentException>(() => Clipping.ClipGradNorm([a], -1));
    }

    [Test]
    public void Agc_ClipsEachOutputRowToLambdaTimesItsWeightNorm()
    {
        // W rows: [3, 4] (norm 5) and [0, 0] (norm 0 -> eps 1e-3). lambda 0.1: limits 0.5 and 1e-4.
        var w = Tensor.FromArray(new double[,] { { 3, 4 }, { 0, 0 } }).DetachFromDisposeScope().RequireGrad();
        // Row 0 gradient [0, 1] (norm 1 > 0.5) is scaled to [0, 0.5]; row 1 gradient [0, 1e-5] (norm 1e-5 < 1e-4) stays.
        Grad(w, 0, 1, 0, 1e-5);
        using var bias = Param(1.0, 0.0);
        Grad(bias, 1.0, 0.0);          // ||b|| = 1, limit 0.1; ||g|| = 1 -> scaled to [0.1, 0]
        using var head = Param(1.0);
        Grad(head, 100.0);
        Clipping.Agc([("w", w), ("b", bias), ("head", head)], lambda: 0.1, exclude: ["head"]);
        AssertClose(w.Grad!, [0, 0.5, 0, 1e-5]);
        AssertClose(bias.Grad!, [0.1, 0]);
        AssertClose(head.Grad!, [100], what: "excluded");
        w.Dispose();
    }

    [Test]
    public void Agc_ExcludingAnUnknownName_Throws()
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => Clipping.Agc([("w", p)], exclude: ["classifier.weight"]));
        Assert.That(e!.Message, Does.Contain("classifier.weight").And.Contain("w"));
    }
}
