// Adam and AdamW by hand over two steps: moments, bias correction, coupled vs decoupled decay, AMSGrad.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class AdamTests
{
    // Step 1 gradient [0.5, 0.25], step 2 gradient [-1, 0.5]; lr 0.1, betas 0.9/0.999, eps 1e-8, p0 = [1, -2].
    private static void TwoSteps(Optimizer opt, Tensor p, double[] g2)
    {
        Grad(p, 0.5, 0.25);
        opt.Step();
        Grad(p, g2);
    }

    [Test]
    public void Adam_TwoSteps_MatchTheBiasCorrectedMoments()
    {
        using var p = Param(1.0, -2.0);
        using var adam = new Adam([p], new AdamOptions { Lr = 0.1 });
        // t=1: m = 0.1 g = [0.05, 0.025], v = 0.001 g^2 = [2.5e-4, 6.25e-5]; m_hat = g, v_hat = g^2,
        //      p = p - 0.1 * g / (|g| + 1e-8) = [1 - 0.1*0.5/0.50000001, -2 + 0.1*0.25/0.25000001] = [0.900000002, -2.099999996]
        TwoSteps(adam, p, [-1.0, 0.5]);
        AssertClose(p, [0.9000000019999999, -2.099999996]);
        // t=2: m = 0.9 m + 0.1 g = [0.045 - 0.1, 0.0225 + 0.05] = [-0.055, 0.0725],
        //      v = 0.999 v + 0.001 g^2 = [2.4975e-4 + 1e-3, 6.24375e-5 + 2.5e-4] = [1.24975e-3, 3.124375e-4],
        //      p = p - (0.1/0.19) m / (sqrt(v)/sqrt(0.001999) + 1e-8)
        adam.Step();
        AssertClose(adam.State(p)["exp_avg"], [-0.055, 0.0725]);
        AssertClose(adam.State(p)["exp_avg_sq"], [0.00124975, 0.0003124375]);
        AssertClose(p, [0.9366103542405653, -2.1965181961408047]);
    }

    [Test]
    public void Adam_WeightDecay_IsAddedToTheGradient()
    {
        using var p = Param(1.0, -2.0);
        using var adam = new Adam([p], new AdamOptions { Lr = 0.1, WeightDecay = 0.1 });
        // t=1: g' = g + 0.1 p = [0.6, 0.05], so the step is still about lr*sign: p = [0.9000000016666666, -2.09999998]
        // t=2: g' = [-1 + 0.09, 0.5 - 0.21] = [-0.91, 0.29]; m = [0.054 - 0.091, 0.0045 + 0.029] = [-0.037, 0.0335]
        TwoSteps(adam, p, [-1.0, 0.5]);
        AssertClose(p, [0.9000000016666666, -2.099999980000004]);
        adam.Step();
        AssertClose(adam.State(p)["exp_avg"], [-0.037, 0.0335], 1e-9);
        AssertClose(p, [0.9252635194456063, -2.1847119740372833]);
    }

    [Test]
    public void AdamW_DecaysDecoupled_ScaledByLr()
    {
        using var p = Param(1.0, -2.0);
        using var adamw = new AdamW([p], new AdamOptions { Lr = 0.1, WeightDecay = 0.1 });
        // t=1: p = p (1 - 0.1*0.1) - Adam step = [0.99 - 0.099999998, -1.98 - 0.099999996] = [0.890000002, -2.079999996]
        TwoSteps(adamw, p, [-1.0, 0.5]);
        AssertClose(p, [0.8900000019999998, -2.079999996]);
        // t=2: the moments are Adam's (the decay never enters them): m = [-0.055, 0.0725]
        adamw.Step();
        AssertClose(adamw.State(p)["exp_avg"], [-0.055, 0.0725]);
        AssertClose(p, [0.9177103542205652, -2.1557181961808047]);
    }

    [Test]
    public void AdamW_DefaultsToPyTorchsDecayOf0_01()
    {
        using var p = Param(1.0);
        using var adamw = new AdamW([p]);
        Assert.That(adamw.Defaults.WeightDecay, Is.EqualTo(0.01));
        Assert.That(adamw.Defaults.Lr, Is.EqualTo(1e-3));
        using var adam = new Adam([Param(1.0)]);
        Assert.That(adam.Defaults.WeightDecay, Is.Zero);
    }

    [Test]
    public void Amsgrad_DividesByTheRunningMaximumOfV()
    {
        using var p = Param(1.0, -2.0);
        using var adam = new Adam([p], new AdamOptions { Lr = 0.1, Amsgrad = true });
        // t=2 with g = [0, 0.25]: v[0] = 0.999 * 2.5e-4 = 2.4975e-4 falls below its max 2.5e-4, which is kept;
        // p[0] = 0.900000002 - (0.1/0.19) * 0.045 / (sqrt(2.5e-4)/sqrt(0.001999) + 1e-8) = 0.8330276897727609
        // (plain Adam would divide by sqrt(2.4975e-4) and give 0.8329941784820311).
        TwoSteps(adam, p, [0.0, 0.25]);
        adam.Step();
        AssertClose(adam.State(p)["max_exp_avg_sq"], [0.00025, 0.0001249375]);
        AssertClose(p, [0.8330276897727609, -2.1999999919999995]);
        Assert.That(adam.StateBytes(), Is.EqualTo(3 * 2 * 8), "three Float64 buffers of two");
    }
}
