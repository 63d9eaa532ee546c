// Gradients of the reduction, softmax, matmul, index and movement ops: hand-derived golden values, plus central
// differences in Float64 of L = sum(f(x) * w) (first order) and of sum(dL/dx * v) (second order), on each device.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using AG = global::DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

[TestFixture(DeviceKind.Cpu)]
[TestFixture(DeviceKind.Reference)]
public partial class GoldenGradientTests(DeviceKind kind)
{
    private const double Eps = 1e-6, Atol = 1e-5, Rtol = 1e-3;
    private readonly Device _device = new(kind);

    private Tensor T(double[] values, params int[] shape) => Tensor.FromArray(values, shape, _device);
    private Tensor Leaf(double[] values, params int[] shape) => T(values, shape).RequireGrad();
    private Tensor Leaf(params double[] values) => T(values, values.Length).RequireGrad();
    private Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, new Generator((ulong)seed), DType.Float64, _device);
    private Tensor Index(int[] values, params int[] shape) => Tensor.FromArray(values, shape, _device);

    private static void AssertClose(Tensor? actual, double[] expected, double tol = 1e-12)
    {
        Assert.That(actual, Is.Not.Null, "no gradient was computed");
        Assert.That(actual!.ToArray<double>(), Is.EqualTo(expected).Within(tol));
    }

    /// <summary>First order: the public gradient check (analytic Jacobian vs central differences) on fresh Float64 leaves.</summary>
    private void CheckGrad(Func<Tensor[], Tensor> f, params Tensor[] xs)
    {
        var result = GradCheck.Check(f, Leaves(xs), Eps, Atol, Rtol);
        Assert.That(result.Passed, Is.True, $"on {_device}: {result.Message}");
    }

    /// <summary>Second order: the public gradgradcheck on fresh Float64 leaves.</summary>
    private void CheckGradGrad(Func<Tensor[], Tensor> f, params Tensor[] xs)
    {
        var result = GradCheck.CheckSecondOrder(f, Leaves(xs), eps: Eps, atol: Atol, rtol: Rtol);
        Assert.That(result.Passed, Is.True, $"second order on {_device}: {result.Message}");
    }

    /// <summary>Leaves with the xs' values and shapes on the device under test (the xs give values and shapes only).</summary>
    private Tensor[] Leaves(Tensor[] xs) =>
        xs.Select(x => Tensor.FromArray(x.ToArray<double>(), x.Shape, _device).RequireGrad()).ToArray();
}
