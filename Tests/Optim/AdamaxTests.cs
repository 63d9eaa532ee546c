// Adamax by hand over two steps: the first moment, the weighted infinity norm with eps inside the maximum, coupled decay.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class AdamaxTests
{
    [Test]
    public void TwoSteps_DivideByTheDecayedMaximumOfAbsG()
    {
        using var p = Param(1.0, -2.0);
        using var opt = new Adamax([p], new AdamaxOptions { Lr = 0.1 });        // betas 0.9/0.999, eps 1e-8
        // t=1, g = [0.5, 0.25]: m = 0.1 g = [0.05, 0.025]; u = max(0, |g| + 1e-8) = [0.50000001, 0.25000001]
        //      p = p - (0.1 / (1 - 0.9)) m / u = [1 - 0.05/0.50000001, -2 - 0.025/0.25000001], about [0.9, -2.1]
        Grad(p, 0.5, 0.25);
        opt.Step();
        double[] u1 = [0.5 + 1e-8, 0.25 + 1e-8];
        double[] p1 = [1 - 1.0 * 0.05 / u1[0], -2 - 1.0 * 0.025 / u1[1]];
        AssertClose(opt.State(p)["exp_inf"], u1);
        AssertClose(p, p1);
        // t=2, g = [-1, 0.1]: m = 0.9 m + 0.1 g = [0.045 - 0.1, 0.0225 + 0.01] = [-0.055, 0.0325]
        //      u = max(0.999 u, |g| + eps) = [max(0.49950001, 1.00000001), max(0.24975000999, 0.10000001)]
        //        = [1.00000001, 0.24975000999]: the second coordinate keeps its decayed old maximum
        //      p = p - (0.1 / 0.19) m / u
        Grad(p, -1.0, 0.1);
        opt.Step();
        double[] u2 = [1 + 1e-8, 0.999 * u1[1]];
        AssertClose(opt.State(p)["exp_avg"], [-0.055, 0.0325]);
        AssertClose(opt.State(p)["exp_inf"], u2);
        AssertClose(p, [p1[0] + 0.1 / 0.19 * 0.055 / u2[0], p1[1] - 0.1 / 0.19 * 0.0325 / u2[1]]);
        Assert.That(opt.StateBytes(), Is.EqualTo(2 * 2 * 8));
    }

    [Test]
    public void WeightDecay_IsAddedToTheGradient()
    {
        using var p = Param(2.0);
        using var opt = new Adamax([p], new AdamaxOptions { Lr = 0.1, WeightDecay = 0.5, Eps = 0 });
        // t=1: g' = 1 + 0.5 * 2 = 2; m = 0.2; u = 2; p = 2 - (0.1/0.1) 0.2/2 = 1.9
        // t=2: g' = 1 + 0.5 * 1.9 = 1.95; m = 0.18 + 0.195 = 0.375; u = max(1.998, 1.95) = 1.998;
        //      p = 1.9 - (0.1/0.19) 0.375/1.998
        Grad(p, 1.0);
        opt.Step();
        AssertClose(p, [1.9]);
        Grad(p, 1.0);
        opt.Step();
        AssertClose(p, [1.9 - 0.1 / 0.19 * 0.375 / 1.998]);
    }

    [TestCase(1.0, 0.999, "Beta1")]
    [TestCase(0.9, -0.1, "Beta2")]
    public void BadBetas_NameTheField(double beta1, double beta2, string field)
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Adamax([p], new AdamaxOptions { Beta1 = beta1, Beta2 = beta2 }));
        Assert.That(e!.Message, Does.Contain("Adamax").And.Contain(field));
    }
}
