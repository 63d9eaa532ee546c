// RAdam by hand: the un-adapted steps while rho_t <= 5, the rectified adaptive step once rho_t > 5, coupled and
// decoupled decay.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class RAdamTests
{
    [Test]
    public void Rho_PassesFive_AtTheSixthStep_WithTheDefaultBeta2()
    {
        // rho_inf = 2/(1 - 0.999) - 1 = 1999; rho_t = 1999 - 2 t 0.999^t / (1 - 0.999^t).
        // t=1: 1999 - 2 * 0.999 / 0.001 = 1999 - 1998 = 1 (the SMA of one sample has length 1).
        Assert.That(RAdam.Rho(0.999, 1), Is.EqualTo(1).Within(1e-9));
        // It grows by just under 1 a step: 4.996 at t = 5, 5.994 at t = 6.
        Assert.That(RAdam.Rho(0.999, 5), Is.LessThan(5));
        Assert.That(RAdam.Rho(0.999, 6), Is.GreaterThan(5));
        // A beta2 of 0.5 has rho_inf = 3, so the adaptive step never comes.
        Assert.That(RAdam.Rho(0.5, 1000), Is.LessThan(5));
    }

    [Test]
    public void BelowTheThreshold_TheStepIsTheBiasCorrectedMomentumTimesLr()
    {
        using var p = Param(1.0, -2.0);
        using var opt = new RAdam([p], new RAdamOptions { Lr = 0.1 });
        // t=1 (rho 1): m = 0.1 g, m_hat = g: p = p - 0.1 [0.5, 0.25] = [0.95, -2.025]
        Grad(p, 0.5, 0.25);
        opt.Step();
        AssertClose(p, [0.95, -2.025]);
        // t=2 (rho 1.9995): m = 0.09 g1 + 0.1 g2 = [-0.055, 0.0725], m_hat = m / 0.19: p = p - 0.1 m / 0.19
        Grad(p, -1.0, 0.5);
        opt.Step();
        AssertClose(opt.State(p)["exp_avg"], [-0.055, 0.0725]);
        AssertClose(p, [0.95 + 0.1 * 0.055 / 0.19, -2.025 - 0.1 * 0.0725 / 0.19]);
        Assert.That(opt.StateBytes(), Is.EqualTo(2 * 2 * 8));
    }

    [Test]
    public void AboveTheThreshold_TheStepIsAdaptive_AndRectified()
    {
        // A constant gradient g makes m = (1 - b1^t) g and v = (1 - b2^t) g^2, so m_hat = g and
        // l = sqrt(1 - b2^t) / (sqrt(v) + eps) = sqrt(1 - b2^t) / (sqrt(1 - b2^t) |g| + eps), about 1/|g|.
        // Steps 1-5 (rho_t <= 5) each move by lr g; step 6 (rho_6 = 5.994) moves by lr g l r_6 with
        // r_6 = sqrt((rho_6 - 4)(rho_6 - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_6))
        //     = sqrt(1.994 * 3.994 * 1999 / (1995 * 1997 * 5.994)), about 0.0258: the first adaptive steps are small.
        using var p = Param(1.0, -2.0);
        using var opt = new RAdam([p], new RAdamOptions { Lr = 0.1 });
        double[] g = [0.5, -0.25];
        for (int t = 1; t <= 5; t++)
        {
            Grad(p, g);
            opt.Step();
        }
        AssertClose(p, [1 - 5 * 0.1 * 0.5, -2 + 5 * 0.1 * 0.25], 1e-11, "five momentum-SGD steps");
        Grad(p, g);
        opt.Step();
        double rhoInf = 1999, b2t = Math.Pow(0.999, 6), rho6 = rhoInf - 2 * 6 * b2t / (1 - b2t);
        double r6 = Math.Sqrt((rho6 - 4) * (rho6 - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho6));
        Assert.That(r6, Is.EqualTo(0.0258).Within(1e-4));
        double L(double gi) => Math.Sqrt(1 - b2t) / (Math.Sqrt(1 - b2t) * Math.Abs(gi) + 1e-8);
        AssertClose(p, [1 - 5 * 0.05 - 0.1 * 0.5 * L(0.5) * r6, -2 + 5 * 0.025 + 0.1 * 0.25 * L(0.25) * r6], 1e-11);
    }

    [Test]
    public void EpsIsAddedToSqrtV_BeforeTheBiasCorrectionMultiplies()
    {
        // beta2 0.9 (rho_6 = 5.39 > 5) and a large eps make the placement visible: with g = 1 constant,
        // l = sqrt(1 - 0.9^6) / (sqrt(1 - 0.9^6) + 0.1), where Adam's placement would give 1 / (1 + 0.1).
        using var p = Param(0.0);
        using var opt = new RAdam([p], new RAdamOptions { Lr = 0.1, Beta2 = 0.9, Eps = 0.1 });
        for (int t = 1; t <= 6; t++)
        {
            Grad(p, 1.0);
            opt.Step();
        }
        double b2t = Math.Pow(0.9, 6), rhoInf = 2 / 0.1 - 1, rho6 = rhoInf - 2 * 6 * b2t / (1 - b2t);
        Assert.That(rho6, Is.GreaterThan(5).And.LessThan(5.5));
        double r6 = Math.Sqrt((rho6 - 4) * (rho6 - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho6));
        double l = Math.Sqrt(1 - b2t) / (Math.Sqrt(1 - b2t) + 0.1);
        AssertClose(p, [-5 * 0.1 - 0.1 * l * r6], 1e-11);
    }

    [Test]
    public void WeightDecay_Coupled_EntersTheMomentum_Decoupled_ShrinksTheWeights()
    {
        using var a = Param(1.0);
        using var coupled = new RAdam([a], new RAdamOptions { Lr = 0.1, WeightDecay = 0.5 });
        using var b = Param(1.0);
        using var decoupled = new RAdam([b], new RAdamOptions { Lr = 0.1, WeightDecay = 0.5, DecoupledWeightDecay = true });
        // Coupled, t=1: g' = 1 + 0.5 = 1.5, m_hat = 1.5, p = 1 - 0.15 = 0.85;
        //          t=2: g' = 1 + 0.425 = 1.425, m = 0.9 * 0.15 + 0.1425 = 0.2775, p = 0.85 - 0.1 * 0.2775 / 0.19
        // Decoupled, t=1: p = 1 (1 - 0.05) - 0.1 * 1 = 0.85 as well; t=2: p = 0.85 * 0.95 - 0.1 * (0.09 + 0.1)/0.19 = 0.8075 - 0.1
        foreach (var (p, opt) in new[] { (a, (Optimizer)coupled), (b, decoupled) })
            for (int t = 0; t < 2; t++)
            {
                Grad(p, 1.0);
                opt.Step();
            }
        AssertClose(a, [0.85 - 0.1 * 0.2775 / 0.19]);
        AssertClose(b, [0.8075 - 0.1]);
    }

    [Test]
    public void BadBeta2_IsRejected()
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new RAdam([p], new RAdamOptions { Beta2 = 1.0 }));
        Assert.That(e!.Message, Does.Contain("RAdam").And.Contain("Beta2"));
    }
}
