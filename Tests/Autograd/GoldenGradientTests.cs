// Gradients of the reduction, softmax, matmul, index and movement ops: hand-derived golden values, plus central
// differences in Float64 of L = sum(f(x) * w) (first order) and of sum(dL/dx * v) (second order), on each device.
using DotGrad;
using AG = global::DotGrad.Autograd;

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

    /// <summary>
    /// Compares dL/dx_i from backward with central differences, for L = sum(f(xs) * w) with a fixed random w.
    /// The xs give values and shapes only; fresh Float64 leaves are made from them.
    /// </summary>
    private void CheckGrad(Func<Tensor[], Tensor> f, params Tensor[] xs)
    {
        var values = xs.Select(x => x.ToArray<double>()).ToArray();
        var shapes = xs.Select(x => x.Shape).ToArray();
        Tensor[] Make(double[][] v) => v.Select((a, i) => Tensor.FromArray(a, shapes[i], _device)).ToArray();
        Tensor w;
        using (AG.NoGrad()) w = Randn(1234, f(Make(values)).Shape);
        double Loss(double[][] v)
        {
            using (AG.NoGrad()) return (f(Make(v)) * w).Sum().Item();
        }

        var leaves = Make(values).Select(t => t.RequireGrad()).ToArray();
        (f(leaves) * w).Sum().Backward();
        for (int i = 0; i < xs.Length; i++)
        {
            var analytic = leaves[i].Grad?.ToArray<double>() ?? new double[values[i].Length];
            for (int j = 0; j < values[i].Length; j++)
            {
                double numeric = Central(values, i, j, Loss);
                Assert.That(analytic[j], Is.EqualTo(numeric).Within(Atol + Rtol * Math.Abs(numeric)),
                    $"d/dx{i}[{j}] on {_device}: analytic {analytic[j]}, numeric {numeric}");
            }
        }
    }

    /// <summary>
    /// Second order: with g = dL/dx from Grad(createGraph: true) and a fixed random v per input, differentiates
    /// S = sum_i sum(g_i * v_i) again and compares with central differences of S (the first gradient, recomputed).
    /// </summary>
    private void CheckGradGrad(Func<Tensor[], Tensor> f, params Tensor[] xs)
    {
        var values = xs.Select(x => x.ToArray<double>()).ToArray();
        var shapes = xs.Select(x => x.Shape).ToArray();
        Tensor[] Make(double[][] v) => v.Select((a, i) => Tensor.FromArray(a, shapes[i], _device).RequireGrad()).ToArray();
        Tensor w;
        using (AG.NoGrad()) w = Randn(1234, f(Make(values)).Shape);
        var vs = shapes.Select((s, i) => Randn(99 + i, s)).ToArray();
        Tensor S(Tensor[] leaves, bool createGraph)
        {
            var g = AG.Grad([(f(leaves) * w).Sum()], leaves, createGraph: createGraph, allowUnused: true);
            var s = (g[0] * vs[0]).Sum();
            for (int i = 1; i < g.Length; i++) s = s + (g[i] * vs[i]).Sum();
            return s;
        }
        double SValue(double[][] v)
        {
            var s = S(Make(v), createGraph: false);
            using (AG.NoGrad()) return s.Item();
        }

        var x = Make(values);
        var h = AG.Grad([S(x, createGraph: true)], x, allowUnused: true);
        for (int i = 0; i < xs.Length; i++)
        {
            var analytic = h[i].ToArray<double>();
            for (int j = 0; j < values[i].Length; j++)
            {
                double numeric = Central(values, i, j, SValue);
                Assert.That(analytic[j], Is.EqualTo(numeric).Within(Atol + Rtol * Math.Abs(numeric)),
                    $"second order d/dx{i}[{j}] on {_device}: analytic {analytic[j]}, numeric {numeric}");
            }
        }
    }

    private static double Central(double[][] values, int i, int j, Func<double[][], double> fn)
    {
        var v = values.Select(a => (double[])a.Clone()).ToArray();
        v[i][j] = values[i][j] + Eps;
        double plus = fn(v);
        v[i][j] = values[i][j] - Eps;
        double minus = fn(v);
        return (plus - minus) / (2 * Eps);
    }
}
