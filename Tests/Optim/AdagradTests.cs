// Adagrad by hand over two steps: the summed squares, the lr decay, the initial accumulator and coupled decay.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class AdagradTests
{
    [Test]
    public void TwoSteps_DivideByTheRootOfTheSummedSquares()
    {
        using var p = Param(1.0, 2.0);
        using var opt = new Adagrad([p], new AdagradOptions { Lr = 0.1 });     // eps 1e-10, no lr decay, sum starts at 0
        // t=1, g = [0.3, -0.4]: s = g^2 = [0.09, 0.16]; p = p - 0.1 g / (|g| + 1e-10) = [1 - 0.03/0.3000000001, 2 + 0.04/0.4000000001]
        Grad(p, 0.3, -0.4);
        opt.Step();
        double[] p1 = [1 - 0.1 * 0.3 / (0.3 + 1e-10), 2 + 0.1 * 0.4 / (0.4 + 1e-10)];
        AssertClose(opt.State(p)["sum"], [0.09, 0.16]);
        AssertClose(p, p1);
        // t=2, g = [0.4, 0.3]: s = [0.09 + 0.16, 0.16 + 0.09] = [0.25, 0.25], sqrt = 0.5;
        //      p = p - 0.1 [0.4, 0.3] / 0.5000000001 = p - [0.08, 0.06]
        Grad(p, 0.4, 0.3);
        opt.Step();
        AssertClose(opt.State(p)["sum"], [0.25, 0.25]);
        AssertClose(p, [p1[0] - 0.04 / (0.5 + 1e-10), p1[1] - 0.03 / (0.5 + 1e-10)]);
        Assert.That(opt.StateBytes(), Is.EqualTo(2 * 8));
    }

    [Test]
    public void LrDecay_InitialAccumulatorAndDecay_TwoSteps()
    {
        using var p = Param(1.0, 2.0);
        using var opt = new Adagrad([p], new AdagradOptions { Lr = 0.1, LrDecay = 0.5, InitialAccumulatorValue = 1.0, WeightDecay = 0.1 });
        Assert.That(Values(opt.State(p)["sum"]), Is.EqualTo(new[] { 1.0, 1.0 }), "the sum starts at the initial value");
        // t=1: lr_1 = 0.1 / (1 + 0 * 0.5) = 0.1; g' = g + 0.1 p = [0.3 + 0.1, -0.4 + 0.2] = [0.4, -0.2]
        //      s = 1 + g'^2 = [1.16, 1.04]; p = p - 0.1 g' / (sqrt(s) + 1e-10)
        Grad(p, 0.3, -0.4);
        opt.Step();
        double[] p1 = [1 - 0.1 * 0.4 / (Math.Sqrt(1.16) + 1e-10), 2 + 0.1 * 0.2 / (Math.Sqrt(1.04) + 1e-10)];
        AssertClose(opt.State(p)["sum"], [1.16, 1.04]);
        AssertClose(p, p1);
        // t=2: lr_2 = 0.1 / (1 + 1 * 0.5) = 0.1/1.5; g' = [0.4, 0.3] + 0.1 p1; s = s + g'^2; p = p1 - lr_2 g' / (sqrt(s) + eps)
        Grad(p, 0.4, 0.3);
        opt.Step();
        double[] g2 = [0.4 + 0.1 * p1[0], 0.3 + 0.1 * p1[1]];
        double[] s2 = [1.16 + g2[0] * g2[0], 1.04 + g2[1] * g2[1]];
        AssertClose(opt.State(p)["sum"], s2);
        AssertClose(p, [p1[0] - 0.1 / 1.5 * g2[0] / (Math.Sqrt(s2[0]) + 1e-10), p1[1] - 0.1 / 1.5 * g2[1] / (Math.Sqrt(s2[1]) + 1e-10)]);
    }

    [Test]
    public void LrDecay_CountsTheParametersOwnSteps()
    {
        // A parameter that had no gradient at step 1 takes its first update at lr / (1 + 0 * decay), as PyTorch
        // counts steps per parameter: both end at the same value after their one update.
        using var a = Param(1.0);
        using var b = Param(1.0);
        using var opt = new Adagrad([a, b], new AdagradOptions { Lr = 0.1, LrDecay = 1.0, Eps = 0 });
        Grad(a, 2.0);
        opt.Step();
        a.Grad = null;
        Grad(b, 2.0);
        opt.Step();
        AssertClose(a, [0.9]);
        AssertClose(b, [0.9]);
    }

    [TestCase(-0.1, 0.0, 1e-10, "LrDecay")]
    [TestCase(0.0, -1.0, 1e-10, "InitialAccumulatorValue")]
    [TestCase(0.0, 0.0, double.NaN, "Eps")]
    public void BadOptions_NameTheField(double lrDecay, double initial, double eps, string field)
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Adagrad([p], new AdagradOptions { LrDecay = lrDecay, InitialAccumulatorValue = initial, Eps = eps }));
        Assert.That(e!.Message, Does.Contain("Adagrad").And.Contain(field));
    }
}
