// RMSprop by hand over two steps: the plain running RMS, the centered form with momentum and coupled decay, state and checks.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class RmsPropTests
{
    [Test]
    public void Plain_TwoSteps_DivideByTheRunningRms_PlusEpsAfterTheRoot()
    {
        using var p = Param(1.0, -2.0);
        using var opt = new RmsProp([p], new RmsPropOptions { Lr = 0.01 });   // alpha 0.99, eps 1e-8
        // t=1, g = [0.5, 0.25]: v = 0.01 g^2 = [0.0025, 0.000625], sqrt(v) = [0.05, 0.025] (no bias correction, so
        //      the first step is lr / sqrt(1 - alpha) = 10 lr per coordinate): p = p - 0.01 g / (sqrt(v) + 1e-8)
        //      = [1 - 0.005/0.05000001, -2 - 0.0025/0.02500001] = [0.90000002, -2.09999996]
        Grad(p, 0.5, 0.25);
        opt.Step();
        double p0 = 1 - 0.01 * 0.5 / (0.05 + 1e-8), p1 = -2 - 0.01 * 0.25 / (0.025 + 1e-8);
        AssertClose(opt.State(p)["square_avg"], [0.0025, 0.000625]);
        AssertClose(p, [p0, p1]);
        // t=2, g = [-1, 0.5]: v = 0.99 v + 0.01 g^2 = [0.002475 + 0.01, 0.00061875 + 0.0025] = [0.012475, 0.00311875];
        //      p = p - 0.01 g / (sqrt(v) + 1e-8) = [0.98953231, -2.18953224]
        Grad(p, -1.0, 0.5);
        opt.Step();
        AssertClose(opt.State(p)["square_avg"], [0.012475, 0.00311875]);
        AssertClose(p, [p0 + 0.01 / (Math.Sqrt(0.012475) + 1e-8), p1 - 0.005 / (Math.Sqrt(0.00311875) + 1e-8)]);
        Assert.That(opt.State(p).Buffers.Keys, Is.EqualTo(new[] { "square_avg" }), "no momentum, not centered: one buffer");
        Assert.That(opt.StateBytes(), Is.EqualTo(2 * 8));
    }

    [Test]
    public void CenteredWithMomentumAndDecay_TwoSteps_FollowPyTorchsOrder()
    {
        using var p = Param(1.0, -2.0);
        using var opt = new RmsProp([p], new RmsPropOptions { Lr = 0.01, Alpha = 0.9, Momentum = 0.9, Centered = true, WeightDecay = 0.1 });
        // t=1: g' = g + 0.1 p = [0.5 + 0.1, 0.25 - 0.2] = [0.6, 0.05]
        //      v = 0.1 g'^2 = [0.036, 0.00025];  a = 0.1 g' = [0.06, 0.005] ("grad_avg")
        //      sqrt(v - a^2) = sqrt([0.0324, 0.000225]) = [0.18, 0.015]
        //      buf = g' / (sqrt(v - a^2) + eps) = [0.6/0.18000001, 0.05/0.01500001], about 3.33 each
        //      p = p - 0.01 buf = [0.96666667, -2.03333331]
        Grad(p, 0.5, 0.25);
        opt.Step();
        double[] buf1 = [0.6 / (0.18 + 1e-8), 0.05 / (0.015 + 1e-8)];
        double[] p1 = [1 - 0.01 * buf1[0], -2 - 0.01 * buf1[1]];
        AssertClose(opt.State(p)["grad_avg"], [0.06, 0.005]);
        AssertClose(opt.State(p)["momentum_buffer"], buf1);
        AssertClose(p, p1);
        // t=2, g = [-1, 0.5]: g' = g + 0.1 p1; v = 0.9 v + 0.1 g'^2; a = a + 0.1 (g' - a) (PyTorch's lerp);
        //      buf = 0.9 buf + g' / (sqrt(v - a^2) + eps); p = p1 - 0.01 buf. Coordinate by coordinate:
        Grad(p, -1.0, 0.5);
        opt.Step();
        double[] v1 = [0.036, 0.00025], a1 = [0.06, 0.005], g2 = [-1.0, 0.5];
        var expected = new double[2];
        for (int i = 0; i < 2; i++)
        {
            double g = g2[i] + 0.1 * p1[i];
            double v = 0.9 * v1[i] + 0.1 * g * g;
            double a = a1[i] + 0.1 * (g - a1[i]);
            double buf = 0.9 * buf1[i] + g / (Math.Sqrt(v - a * a) + 1e-8);
            expected[i] = p1[i] - 0.01 * buf;
        }
        AssertClose(p, expected);                         // about [0.96357723, -2.09679838]
        Assert.That(opt.StateBytes(), Is.EqualTo(3 * 2 * 8), "square_avg, momentum_buffer and grad_avg");
    }

    [Test]
    public void Momentum_WithoutCentering_AccumulatesTheScaledSteps()
    {
        using var p = Param(0.0);
        using var opt = new RmsProp([p], new RmsPropOptions { Lr = 0.1, Alpha = 0.5, Momentum = 0.5, Eps = 0 });
        // t=1, g = 2: v = 0.5 * 4 = 2; buf = 2 / sqrt(2) = sqrt(2); p = -0.1 sqrt(2)
        // t=2, g = 2: v = 0.5 * 2 + 0.5 * 4 = 3; buf = 0.5 sqrt(2) + 2/sqrt(3); p = -0.1 sqrt(2) - 0.1 buf
        Grad(p, 2.0);
        opt.Step();
        AssertClose(p, [-0.1 * Math.Sqrt(2)]);
        Grad(p, 2.0);
        opt.Step();
        AssertClose(p, [-0.1 * Math.Sqrt(2) - 0.1 * (0.5 * Math.Sqrt(2) + 2 / Math.Sqrt(3))]);
    }

    [TestCase(-0.1, 0.0, 1e-8, "Alpha")]
    [TestCase(1.5, 0.0, 1e-8, "Alpha")]
    [TestCase(0.99, -0.9, 1e-8, "Momentum")]
    [TestCase(0.99, 0.0, -1e-8, "Eps")]
    public void BadOptions_NameTheField(double alpha, double momentum, double eps, string field)
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new RmsProp([p], new RmsPropOptions { Alpha = alpha, Momentum = momentum, Eps = eps }));
        Assert.That(e!.Message, Does.Contain("RmsProp").And.Contain(field));
    }
}
