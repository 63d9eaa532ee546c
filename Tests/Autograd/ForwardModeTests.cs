// Autograd.Jvp and Autograd.Hvp: hand-worked products, central finite differences in Float64, agreement with the
// reverse mode (u . Jv = (J^T u) . v), the symmetry of Hessian-vector products (u . Hv = v . Hu), and bad input.
using DotGrad;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Autograd;

[TestFixture("cpu")]
[TestFixture("reference")]
[TestFixture("opencl:0")]
public class ForwardModeTests(string device)
{
    private readonly Device _device = Device.Parse(device);

    [SetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    private Tensor D(params double[] v) => Tensor.FromArray(v).To(_device);
    private Tensor Randn(int[] shape, ulong seed) => Tensor.Randn(shape, new Generator(seed), DType.Float64, _device);
    private static double Dot(Tensor a, Tensor b) => Values(a).Zip(Values(b), (x, y) => x * y).Sum();

    /// <summary>A smooth map R^(2x3) x R^3 -> (R^2, R): tanh(A x) and sum(sin(A) * A) + (x . x)^2, mixing both inputs.</summary>
    private static Tensor[] Map(Tensor[] p) =>
        [(p[0].MatMul(p[1])).Tanh(), (p[0].Sin() * p[0]).Sum() + p[1].Square().Sum().Square()];

    /// <summary>A smooth scalar function of a [2, 3] matrix and a [3] vector: log(1 + |A x|^2) + sum(exp(A) x) + (x . x) sum(A^2).</summary>
    private static Tensor Scalar(Tensor[] p)
    {
        var ax = p[0].MatMul(p[1]);
        return ax.Square().Sum().Log1p() + (p[0].Exp() * p[1]).Sum() + p[1].Square().Sum() * p[0].Square().Sum();
    }

    [Test]
    public void Jvp_OfSquare_IsTwoXTimesV()
    {
        // f(x) = x^2 elementwise: J = diag(2x), so Jv = 2 x v = [2, 0, -6] at x = [1, 2, 3], v = [1, 0, -1].
        var (y, jv) = AG.Jvp(x => x.Square(), D(1, 2, 3), D(1, 0, -1));
        Close(y, [3], [1, 4, 9]);
        Close(jv, [3], [2, 0, -6], atol: 1e-14);
        Assert.That(y.RequiresGrad || jv.RequiresGrad, Is.False, "results are detached");
    }

    [Test]
    public void Jvp_OfAMatrixProduct_IsTheProductRule()
    {
        // f(A, B) = A B: J(dA, dB) = dA B + A dB. With A = [[1, 2], [3, 4]], B = I, dA = [[1, 0], [0, 0]], dB = [[0, 1], [0, 0]]:
        // dA B = [[1, 0], [0, 0]], A dB = [[0, 1], [0, 3]], the sum [[1, 1], [0, 3]].
        var a = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).To(_device);
        var b = Tensor.FromArray(new double[,] { { 1, 0 }, { 0, 1 } }).To(_device);
        var da = Tensor.FromArray(new double[,] { { 1, 0 }, { 0, 0 } }).To(_device);
        var db = Tensor.FromArray(new double[,] { { 0, 1 }, { 0, 0 } }).To(_device);
        var (outs, jv) = AG.Jvp(p => [p[0].MatMul(p[1])], [a, b], [da, db]);
        Close(outs[0], [2, 2], [1, 2, 3, 4]);
        Close(jv[0], [2, 2], [1, 1, 0, 3], atol: 1e-14);
    }

    [Test]
    public void Jvp_MatchesCentralDifferences()
    {
        // (f(x + h v) - f(x - h v)) / 2h = Jv + O(h^2): with h = 1e-5 and third derivatives of order 10, the error is ~1e-9.
        Tensor[] x = [Randn([2, 3], 1), Randn([3], 2)], v = [Randn([2, 3], 3), Randn([3], 4)];
        var (outs, jv) = AG.Jvp(Map, x, v);
        const double h = 1e-5;
        var plus = Map([x[0] + v[0] * h, x[1] + v[1] * h]);
        var minus = Map([x[0] - v[0] * h, x[1] - v[1] * h]);
        for (int i = 0; i < outs.Length; i++)
        {
            var numeric = Values(plus[i]).Zip(Values(minus[i]), (p, m) => (p - m) / (2 * h)).ToArray();
            Close(jv[i], outs[i].Shape, numeric, atol: 1e-7, rtol: 1e-7);
        }
    }

    [Test]
    public void Jvp_AgreesWithTheReverseMode()
    {
        // For any u: u . (J v) = (J^T u) . v, J^T u from Autograd.Grad seeded with u.
        Tensor[] x = [Randn([2, 3], 5), Randn([3], 6)], v = [Randn([2, 3], 7), Randn([3], 8)];
        var (outs, jv) = AG.Jvp(Map, x, v);
        var leaves = x.Select(t => t.Detach().RequireGrad()).ToArray();
        var ys = Map(leaves);
        var us = new[] { Randn(outs[0].Shape, 9), Randn(outs[1].Shape, 10) };
        var jtu = AG.Grad(ys, leaves, us);
        double left = Dot(us[0], jv[0]) + Dot(us[1], jv[1]);
        double right = Dot(jtu[0], v[0]) + Dot(jtu[1], v[1]);
        Assert.That(left, Is.EqualTo(right).Within(1e-12 * (1 + Math.Abs(right))));
    }

    [Test]
    public void Jvp_OfAnOutputThatIgnoresTheInput_IsZero()
    {
        var (outs, jv) = AG.Jvp(p => [p[0] * 2.0, Tensor.Ones([2], DType.Float64, _device)], [D(1, 2)], [D(3, 4)]);
        Close(jv[0], [2], [6, 8]);
        Close(jv[1], [2], [0, 0]);
        Close(outs[1], [2], [1, 1]);
    }

    [Test]
    public void Hvp_OfHandWorkedFunctions()
    {
        // f(x) = sum(x^3): H = diag(6x), so Hv = 6 x v = [6, 12] at x = [1, 2], v = [1, 1]; f = 1 + 8 = 9.
        var (y, hv) = AG.Hvp(x => x.Pow(3).Sum(), D(1, 2), D(1, 1));
        Assert.That(y.Item<double>(), Is.EqualTo(9).Within(1e-14));
        Close(hv, [2], [6, 12], atol: 1e-13);
        // f(x) = x0^2 x1: H = [[2 x1, 2 x0], [2 x0, 0]] = [[4, 2], [2, 0]] at (1, 2); H (1, 0) = (4, 2).
        var (_, hv2) = AG.Hvp(x => x[0].Square() * x[1], D(1, 2), D(1, 0));
        Close(hv2, [2], [4, 2], atol: 1e-13);
        // A linear f has a zero Hessian (its gradient is constant: no graph to differentiate).
        var (_, hv3) = AG.Hvp(x => (x * 2.0).Sum(), D(1, 2), D(1, 1));
        Close(hv3, [2], [0, 0]);
    }

    [Test]
    public void Hvp_MatchesCentralDifferencesOfTheGradient()
    {
        // (grad f(x + h v) - grad f(x - h v)) / 2h = H v + O(h^2).
        Tensor[] x = [Randn([2, 3], 11) * 0.5, Randn([3], 12) * 0.5], v = [Randn([2, 3], 13), Randn([3], 14)];
        var (_, hv) = AG.Hvp(Scalar, x, v);
        const double h = 1e-5;
        Tensor[] GradAt(double s)
        {
            var leaves = new[] { (x[0] + v[0] * s).Detach().RequireGrad(), (x[1] + v[1] * s).Detach().RequireGrad() };
            return AG.Grad([Scalar(leaves)], leaves);
        }
        var gp = GradAt(h);
        var gm = GradAt(-h);
        for (int j = 0; j < 2; j++)
        {
            var numeric = Values(gp[j]).Zip(Values(gm[j]), (p, m) => (p - m) / (2 * h)).ToArray();
            Close(hv[j], x[j].Shape, numeric, atol: 1e-7, rtol: 1e-7);
        }
    }

    [Test]
    public void Hvp_IsSymmetric()
    {
        // H is symmetric, so u . Hv = v . Hu for any u, v.
        Tensor[] x = [Randn([2, 3], 15) * 0.5, Randn([3], 16) * 0.5];
        Tensor[] u = [Randn([2, 3], 17), Randn([3], 18)], v = [Randn([2, 3], 19), Randn([3], 20)];
        var (_, hv) = AG.Hvp(Scalar, x, v);
        var (_, hu) = AG.Hvp(Scalar, x, u);
        double uHv = Dot(u[0], hv[0]) + Dot(u[1], hv[1]);
        double vHu = Dot(v[0], hu[0]) + Dot(v[1], hu[1]);
        Assert.That(uHv, Is.EqualTo(vHu).Within(1e-12 * (1 + Math.Abs(vHu))));
    }

    [Test]
    public void BadInput_IsRefusedWithTheReason()
    {
        var x = D(1, 2);
        var e1 = Assert.Throws<ArgumentException>(() => AG.Jvp(t => t.Square(), x, D(1, 2, 3)));
        Assert.That(e1!.Message, Does.Contain("jvp").And.Contain("tangent 0").And.Contain("[2]").And.Contain("[3]"));
        var e2 = Assert.Throws<ArgumentException>(() => AG.Jvp(p => [p[0]], [x, x], [x]));
        Assert.That(e2!.Message, Does.Contain("jvp").And.Contain("one tangent per input (2), got 1"));
        var e3 = Assert.Throws<ArgumentException>(() => AG.Hvp(t => t.Square(), x, x));
        Assert.That(e3!.Message, Does.Contain("hvp").And.Contain("scalar").And.Contain("[2]"));
        var ints = Tensor.FromArray(new[] { 1, 2 }).To(_device);
        var e4 = Assert.Throws<ArgumentException>(() => AG.Hvp(t => t.Sum(), ints, ints));
        Assert.That(e4!.Message, Does.Contain("hvp").And.Contain("floating point").And.Contain("Int32"));
    }
}
