// The first-order backwards that now run one fused kernel (activations, softmax, log-softmax, cross entropy) against
// the tensor-op backwards they keep for createGraph: same gradients on every backend, and each path where it belongs.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

public class FusedBackwardTests
{
    public static IEnumerable<Device> Devices() => TestDevices.WithOpenCL().Append(Device.Reference);

    private static readonly (string Name, Func<Tensor, Tensor> F)[] Ops =
    [
        ("gelu", x => x.Gelu()),
        ("gelu_tanh", x => x.Gelu("tanh")),
        ("silu", x => x.Silu()),
        ("relu", x => x.Relu()),
        ("sigmoid", x => x.Sigmoid()),
        ("tanh", x => x.Tanh()),
        ("softmax", x => x.Softmax(-1)),
        ("softmax_dim0", x => x.Softmax(0)),
        ("log_softmax", x => x.LogSoftmax(-1)),
        ("log_softmax_dim0", x => x.LogSoftmax(0)),
        ("cross_entropy", x => Functional.CrossEntropy(x, Labels(x.Device))),
        ("cross_entropy_sum_smoothing", x => Functional.CrossEntropy(x, Labels(x.Device), labelSmoothing: 0.1, reduction: "sum")),
        ("cross_entropy_none_ignore", x => Functional.CrossEntropy(x, Labels(x.Device), ignoreIndex: 4, labelSmoothing: 0.2, reduction: "none")),
    ];

    /// <summary>Labels for x [7, 33]: some equal to 4 (ignored where asked).</summary>
    private static Tensor Labels(Device device) => Tensor.FromArray(new[] { 4, 0, 32, 17, 4, 9, 1 }, device);

    public static IEnumerable<TestCaseData> Cases() =>
        from d in Devices() from t in new[] { DType.Float32, DType.Float64 } from op in Ops
        select new TestCaseData(d, t, op.Name).SetArgDisplayNames(d.ToString(), t.ToString(), op.Name);

    [TestCaseSource(nameof(Cases))]
    public void FirstOrderGradient_EqualsTheDifferentiableBackward(Device device, DType dtype, string name)
    {
        TestDevices.Require(device);
        var f = Ops.Single(o => o.Name == name).F;
        using var scope = Tensor.NewDisposeScope();
        var x = (Tensor.Randn([7, 33], new Generator(16), dtype, device) * 2.0).RequireGrad();
        var probe = f(x);
        var dOut = Tensor.Randn(probe.Shape, new Generator(17), dtype, device);
        var fused = AG.Grad(f(x), x, dOut);                                   // first order: the fused kernels
        var recorded = AG.Grad(f(x), x, dOut, createGraph: true);             // createGraph: the tensor-op backward
        // (ReLU's gradient dOut * [x > 0] is piecewise constant in x: nothing to record with a constant dOut.)
        if (name != "relu") Assert.That(recorded.RequiresGrad, Is.True, "the createGraph gradient is itself differentiable");
        Assert.That(fused.RequiresGrad, Is.False);
        var a = OptimValues(fused);
        var e = OptimValues(recorded);
        double scale = e.Select(Math.Abs).DefaultIfEmpty(0).Max();
        double tol = dtype == DType.Float32 ? 2e-6 : 1e-13;
        for (int i = 0; i < e.Length; i++)
            Assert.That(a[i], Is.EqualTo(e[i]).Within(tol * Math.Max(scale, 1e-3)), $"{name} {dtype} on {device}: element {i}");
    }

    private static double[] OptimValues(Tensor t) => t.To(DType.Float64).Contiguous().ToArray<double>();

    [Test]
    public void ReluFirstOrder_IsASelect_WhileCreateGraphKeepsTheProduct()
    {
        // An infinite dOut where x < 0: the select gives 0 (PyTorch's threshold_backward); the product form gives
        // inf * 0 = NaN. This tells the two paths apart, so it shows which one each mode runs.
        using var scope = Tensor.NewDisposeScope();
        var x = Tensor.FromArray(new[] { -1.0, 2.0 }).RequireGrad();
        var dOut = Tensor.FromArray(new[] { double.PositiveInfinity, 3.0 });
        Assert.That(OptimValues(AG.Grad(x.Relu(), x, dOut)), Is.EqualTo(new[] { 0.0, 3.0 }));
        var recorded = OptimValues(AG.Grad(x.Relu(), x, dOut, createGraph: true));
        Assert.That(double.IsNaN(recorded[0]) && recorded[1] == 3.0, Is.True, $"createGraph gives [{string.Join(", ", recorded)}]");
    }

    [Test]
    public void GeluFirstOrder_InFloat64_KeepsTheNegativeTailsRelativePrecision()
    {
        // At x = -10, Phi(x) + x phi(x) is about -7.6e-22; 1 + erf(x / sqrt 2) has lost every digit of Phi there,
        // the fused kernel takes Phi from erfc (as the forward does) and keeps them.
        using var scope = Tensor.NewDisposeScope();
        var x = Tensor.FromArray(new[] { -10.0, -7.0 }).RequireGrad();
        var g = OptimValues(AG.Grad(x.Gelu(), x, Tensor.OnesLike(x)));
        foreach (var (xi, gi) in new[] { -10.0, -7.0 }.Zip(g))
        {
            double exact = 0.5 * SpecialFunctions.Erfc(-xi / Math.Sqrt(2)) + xi * Math.Exp(-0.5 * xi * xi) / Math.Sqrt(2 * Math.PI);
            Assert.That(gi, Is.EqualTo(exact).Within(1e-12 * Math.Abs(exact)), $"gelu'({xi})");
        }
    }

    [Test]
    public void CrossEntropyForward_MatchesTheComposite_ForEveryReductionAndIgnoredRows()
    {
        foreach (var device in Devices())
        {
            if (TestDevices.WhyUnavailable(device) is not null) continue;
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                foreach (var reduction in new[] { "mean", "sum", "none" })
                {
                    using var scope = Tensor.NewDisposeScope();
                    var x = Tensor.Randn([7, 33], new Generator(18), dtype, device) * 3.0;
                    var fused = OptimValues(Functional.CrossEntropy(x, Labels(device), ignoreIndex: 4, labelSmoothing: 0.1, reduction: reduction));
                    var composite = OptimValues(Functional.CrossEntropyComposite(x, Labels(device), ignoreIndex: 4, labelSmoothing: 0.1, reduction: reduction));
                    double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
                    for (int i = 0; i < composite.Length; i++)
                        Assert.That(fused[i], Is.EqualTo(composite[i]).Within(tol * Math.Max(1, Math.Abs(composite[i]))), $"{device} {dtype} {reduction} [{i}]");
                    if (reduction == "none") Assert.That(new[] { fused[0], fused[4] }, Is.EqualTo(new[] { 0.0, 0.0 }), "ignored rows");
                }
        }
    }
}
