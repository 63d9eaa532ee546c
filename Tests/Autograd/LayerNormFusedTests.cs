// The fused layer norm (Functional.LayerNorm) against its composition (Functional.LayerNormComposite) on every device:
// values, first-order gradients, second-order gradients through the differentiable backward, several normalized
// dims, and the argument checks.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Tests.Tensors;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

[TestFixture("reference")]
[TestFixture("cpu")]
[TestFixture("opencl:0")]
public class LayerNormFusedTests
{
    private readonly Device _device;

    public LayerNormFusedTests(string device) => _device = Device.Parse(device);

    /// <summary>An absent OpenCL runtime skips this fixture with the reason shown.</summary>
    [OneTimeSetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    private Tensor Randn(ulong seed, int[] shape, DType dtype = DType.Float64, double scale = 1, double shift = 0)
    {
        using var t = Tensor.Randn(shape, new Generator(seed), dtype);
        using var scaled = t * scale + shift;
        return scaled.To(_device);
    }

    /// <summary>x [..., normalized], and a weight near 1 and a bias of the normalized shape.</summary>
    private (Tensor X, Tensor W, Tensor B) Inputs(ulong seed, int[] shape, int[] normalized, DType dtype = DType.Float64) =>
        (Randn(seed, shape, dtype, 2, 0.5), Randn(seed + 1, normalized, dtype, 0.3, 1), Randn(seed + 2, normalized, dtype, 0.5));

    private static double[] Grad(Tensor y, Tensor x, Tensor v) => global::DotGrad.Autodiff.Autograd.Grad(y, x, v, retainGraph: true).ToArray<double>();

    public static IEnumerable<TestCaseData> Cases()
    {
        // shape, normalized shape, affine
        yield return new TestCaseData(new[] { 3, 5 }, new[] { 5 }, true).SetArgDisplayNames("[3, 5]", "[5]", "affine");
        yield return new TestCaseData(new[] { 2, 3, 7 }, new[] { 7 }, false).SetArgDisplayNames("[2, 3, 7]", "[7]", "no affine");
        yield return new TestCaseData(new[] { 2, 3, 4 }, new[] { 3, 4 }, true).SetArgDisplayNames("[2, 3, 4]", "[3, 4]", "affine");
        yield return new TestCaseData(new[] { 6 }, new[] { 6 }, true).SetArgDisplayNames("[6]", "[6]", "affine");
        yield return new TestCaseData(new[] { 4, 1 }, new[] { 1 }, true).SetArgDisplayNames("[4, 1]", "[1]", "affine");
        yield return new TestCaseData(new[] { 0, 3 }, new[] { 3 }, true).SetArgDisplayNames("[0, 3]", "[3]", "affine");
    }

    [TestCaseSource(nameof(Cases))]
    public void Fused_MatchesComposite_InValuesAndGradients(int[] shape, int[] normalized, bool affine)
    {
        var (x0, w0, b0) = Inputs(7, shape, normalized);
        var (x, w, b) = (x0.RequireGrad(), w0.RequireGrad(), b0.RequireGrad());
        Tensor? wa = affine ? w : null, ba = affine ? b : null;
        var fused = F.LayerNorm(x, wa, ba, normalizedShape: normalized);
        var composite = F.LayerNormComposite(x, wa, ba, normalizedShape: normalized);
        Assert.That(fused.GradFn, Is.InstanceOf<DotGrad.Autodiff.Functions.LayerNormFused>().Or.InstanceOf<DotGrad.Autodiff.Functions.Reshape>(), "the fused node is in the graph");
        Assert.That(fused.Shape, Is.EqualTo(shape));
        Check.Close(fused, shape, Check.Values(composite), atol: 1e-12, rtol: 1e-12);

        using var v = Randn(9, shape);
        Check.Close(Grad(fused, x, v), Grad(composite, x, v), atol: 1e-11, rtol: 1e-10);
        if (!affine) return;
        Check.Close(Grad(fused, w, v), Grad(composite, w, v), atol: 1e-11, rtol: 1e-10);
        Check.Close(Grad(fused, b, v), Grad(composite, b, v), atol: 1e-11, rtol: 1e-10);
    }

    [Test]
    public void Fused_MatchesComposite_InFloat32()
    {
        // A transformer-sized row; the composite rounds through more intermediates, so the tolerance is Float32's.
        var (x, w, b) = Inputs(11, [16, 768], [768], DType.Float32);
        Check.Close(F.LayerNorm(x, w, b), [16, 768], Check.Values(F.LayerNormComposite(x, w, b)), atol: 2e-5, rtol: 2e-5);
        var (xr, wr, br) = (x.Clone().RequireGrad(), w.Clone().RequireGrad(), b.Clone().RequireGrad());
        using var v = Randn(12, [16, 768], DType.Float32);
        var fused = F.LayerNorm(xr, wr, br);
        var composite = F.LayerNormComposite(xr, wr, br);
        Check.Close(Check.Values(global::DotGrad.Autodiff.Autograd.Grad(fused, xr, v, retainGraph: true)), Check.Values(global::DotGrad.Autodiff.Autograd.Grad(composite, xr, v, retainGraph: true)), atol: 1e-4, rtol: 1e-4);
        Check.Close(Check.Values(global::DotGrad.Autodiff.Autograd.Grad(fused, wr, v)), Check.Values(global::DotGrad.Autodiff.Autograd.Grad(composite, wr, v)), atol: 1e-4, rtol: 1e-4);
    }

    [Test]
    public void Fused_OnANonContiguousInput_MatchesComposite()
    {
        // x.T: the normalized dim is strided in memory (the kernels read it with a step), and with two normalized dims
        // the reshape to one dim copies first.
        using var xt0 = Randn(13, [5, 4, 3]);
        var x = xt0.Permute([2, 1, 0]).Detach().RequireGrad();                        // [3, 4, 5], strides reversed
        using var w = Randn(14, [5]);
        Check.Close(F.LayerNorm(x, w), [3, 4, 5], Check.Values(F.LayerNormComposite(x, w)), atol: 1e-12, rtol: 1e-12);
        Check.Close(F.LayerNorm(x, normalizedShape: [4, 5]), [3, 4, 5], Check.Values(F.LayerNormComposite(x, normalizedShape: [4, 5])), atol: 1e-12, rtol: 1e-12);
        using var v = Randn(15, [3, 4, 5]);
        Check.Close(Grad(F.LayerNorm(x, w), x, v), Grad(F.LayerNormComposite(x, w), x, v), atol: 1e-11, rtol: 1e-10);
    }

    [Test]
    public void FirstOrder_WithCreateGraph_EqualsTheBackwardKernelsGradient()
    {
        // createGraph switches the backward from the fused kernel to recorded tensor ops; both must give one gradient
        // (gradgradcheck alone would not notice a wrong recorded form, since it differentiates that form consistently).
        var (x0, w0, b0) = Inputs(16, [4, 9], [9]);
        using var v = Randn(17, [4, 9]);
        double[][] Gradients(bool createGraph)
        {
            var (x, w, b) = (x0.Clone().RequireGrad(), w0.Clone().RequireGrad(), b0.Clone().RequireGrad());
            var y = F.LayerNorm(x, w, b);
            return global::DotGrad.Autodiff.Autograd.Grad([y], [x, w, b], [v], createGraph: createGraph).Select(t => t!.ToArray<double>()).ToArray();
        }
        var recorded = Gradients(true);
        var kernel = Gradients(false);
        for (int i = 0; i < 3; i++) Check.Close(recorded[i], kernel[i], atol: 1e-12, rtol: 1e-11);
    }

    [Test]
    public void SecondOrder_ThroughAGradientThatDependsOnTheInput_MatchesComposite()
    {
        // f = sum(sin(LN(x) * w + b)): dY = cos(...) depends on x, w and b, so the backward must be recorded in dY as well
        // as in x and w. Compare the Hessian-vector products of both versions for every input.
        var (x0, w0, b0) = Inputs(21, [3, 6], [6]);
        using var vx = Randn(22, [3, 6]);
        using var vw = Randn(23, [6]);
        double[][] HessianVectors(bool fused)
        {
            var (x, w, b) = (x0.Clone().RequireGrad(), w0.Clone().RequireGrad(), b0.Clone().RequireGrad());
            var f = F.LayerNorm(x, w, b, fused: fused).Sin().Sum();
            var g = global::DotGrad.Autodiff.Autograd.Grad([f], [x, w], createGraph: true);
            var gv = (g[0]! * vx).Sum() + (g[1]! * vw).Sum();
            return global::DotGrad.Autodiff.Autograd.Grad([gv], [x, w, b]).Select(t => t!.ToArray<double>()).ToArray();
        }
        var fusedH = HessianVectors(true);
        var compositeH = HessianVectors(false);
        for (int i = 0; i < 3; i++) Check.Close(fusedH[i], compositeH[i], atol: 1e-10, rtol: 1e-9);
    }

    [Test]
    public void SecondOrder_PassesGradGradCheck_WithSeveralNormalizedDims()
    {
        var (x, w, b) = Inputs(31, [2, 2, 3], [2, 3]);
        var result = GradCheck.CheckSecondOrder(t => F.LayerNorm(t[0], t[1], t[2], normalizedShape: [2, 3]), [x.RequireGrad(), w.RequireGrad(), b.RequireGrad()]);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void Fused_WithoutGradients_RecordsNothingAndFreesItsStatistics()
    {
        // No input requires grad: no node, and mean and rstd are released at once (no buffer outlives the call).
        var (x, w, b) = Inputs(41, [4, 8], [8]);
        var y = F.LayerNorm(x, w, b);
        Assert.That(y.GradFn, Is.Null);
        Assert.That(y.RequiresGrad, Is.False);
        if (_device != Device.OpenCL(0))
            Assert.That(Check.LeakedBuffers(() => F.LayerNorm(x, w, b).Dispose()), Is.EqualTo(0));
    }

    [Test]
    public void BadNormalizedShapesAndParameters_Throw_WithMessagesThatSayWhatWasExpected()
    {
        var (x, w, _) = Inputs(51, [2, 3, 4], [3, 4]);
        Assert.That(() => F.LayerNorm(x, normalizedShape: [3]), Throws.ArgumentException.With.Message.Contains("normalizedShape [3]").And.Message.Contains("[2, 3, 4]"));
        Assert.That(() => F.LayerNorm(x, normalizedShape: []), Throws.ArgumentException.With.Message.Contains("normalizedShape []"));
        Assert.That(() => F.LayerNorm(x, normalizedShape: [1, 2, 3, 4]), Throws.ArgumentException.With.Message.Contains("last 1 to 3 dims"));
        Assert.That(() => F.LayerNorm(x, w), Throws.ArgumentException.With.Message.Contains("[4]").And.Message.Contains("[3, 4]"));
        Assert.That(() => F.LayerNorm(x, w, normalizedShape: [4]), Throws.ArgumentException.With.Message.Contains("weight"));
        Assert.That(() => F.LayerNorm(x, null, w.Reshape(12), normalizedShape: [3, 4]), Throws.ArgumentException.With.Message.Contains("bias").And.Message.Contains("[12]"));
        Assert.That(() => F.LayerNorm(x, eps: -1), Throws.ArgumentException.With.Message.Contains("eps"));
    }
}
