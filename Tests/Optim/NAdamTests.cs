// NAdam by hand: the momentum schedule mu_t and its running product, the two-part Nesterov step, momentum_decay,
// coupled and decoupled decay.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class NAdamTests
{
    private static double Mu(double beta1, double psi, int t) => beta1 * (1 - 0.5 * Math.Pow(0.96, t * psi));

    /// <summary>
    /// The published NAdam (torch.optim.NAdam's documented algorithm) for one coordinate, written out with scalars:
    /// decay, mu_t, mu_t+1, the product P_t, m, v, then p -= lr (1 - mu_t)/(1 - P_t) g/d + lr mu_t+1/(1 - P_t mu_t+1) m/d
    /// with d = sqrt(v / (1 - b2^t)) + eps.
    /// </summary>
    private static double ByHand(double p, double[] grads, double lr, double wd = 0, double psi = 4e-3, bool decoupled = false,
                                 double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        double m = 0, v = 0, product = 1;
        for (int t = 1; t <= grads.Length; t++)
        {
            double g = grads[t - 1];
            if (decoupled) p *= 1 - lr * wd;
            else g += wd * p;
            double mu = Mu(b1, psi, t), muNext = Mu(b1, psi, t + 1);
            product *= mu;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double d = Math.Sqrt(v / (1 - Math.Pow(b2, t))) + eps;
            p -= lr * (1 - mu) / (1 - product) * g / d;
            p -= lr * muNext / (1 - product * muNext) * m / d;
        }
        return p;
    }

    [Test]
    public void FirstStep_IsTheGradientsShare_PlusTheLookAheadMomentum()
    {
        using var p = Param(1.0, -2.0);
        using var opt = new NAdam([p], new NAdamOptions { Lr = 0.1 });
        // t=1: mu_1 = 0.9 (1 - 0.5 * 0.96^0.004) = 0.45007347..., mu_2 = 0.9 (1 - 0.5 * 0.96^0.008) = 0.45014693...
        //      P_1 = mu_1, so the gradient's share is lr (1 - mu_1)/(1 - mu_1) = lr; m = 0.1 g; d = sqrt(0.001 g^2 / 0.001) + eps = |g| + eps
        //      p = p - 0.1 g/(|g| + eps) - 0.1 mu_2/(1 - mu_1 mu_2) * 0.1 g/(|g| + eps)
        Grad(p, 0.5, 0.25);
        opt.Step();
        double mu1 = Mu(0.9, 4e-3, 1), mu2 = Mu(0.9, 4e-3, 2);
        Assert.That(mu1, Is.EqualTo(0.45007347).Within(1e-8));
        double look = 0.1 * mu2 / (1 - mu1 * mu2) * 0.1;
        AssertClose(p, [1 - 0.1 * 0.5 / 0.50000001 - look * 0.5 / 0.50000001, -2 - 0.1 * 0.25 / 0.25000001 - look * 0.25 / 0.25000001]);
        AssertClose(opt.State(p)["mu_product"], [mu1]);
    }

    [Test]
    public void TwoSteps_FollowThePublishedAlgorithm_AndKeepTheProductOfMu()
    {
        using var p = Param(1.0, -2.0);
        using var opt = new NAdam([p], new NAdamOptions { Lr = 0.1 });
        Grad(p, 0.5, 0.25);
        opt.Step();
        Grad(p, -1.0, 0.5);
        opt.Step();
        // t=2: m = 0.09 g1 + 0.1 g2 = [-0.055, 0.0725]; v = 0.999 * 0.001 g1^2 + 0.001 g2^2; P_2 = mu_1 mu_2
        AssertClose(opt.State(p)["exp_avg"], [-0.055, 0.0725]);
        AssertClose(opt.State(p)["exp_avg_sq"], [0.00124975, 0.0003124375]);
        AssertClose(opt.State(p)["mu_product"], [Mu(0.9, 4e-3, 1) * Mu(0.9, 4e-3, 2)]);
        AssertClose(p, [ByHand(1.0, [0.5, -1.0], 0.1), ByHand(-2.0, [0.25, 0.5], 0.1)]);
        Assert.That(opt.StateBytes(), Is.EqualTo(2 * 2 * 8 + 8), "two Float64 buffers of two and the Float64 mu_product");
    }

    [Test]
    public void MomentumDecay_SetsHowFastMuRisesToBeta1()
    {
        // psi = 0.5: mu_1 = 0.9 (1 - 0.5 * 0.96^0.5) = 0.45909..., far above the default's 0.45007 after one step.
        using var p = Param(1.0, -2.0);
        using var opt = new NAdam([p], new NAdamOptions { Lr = 0.1, MomentumDecay = 0.5, Beta1 = 0.8 });
        Grad(p, 0.5, 0.25);
        opt.Step();
        Grad(p, -1.0, 0.5);
        opt.Step();
        AssertClose(opt.State(p)["mu_product"], [Mu(0.8, 0.5, 1) * Mu(0.8, 0.5, 2)]);
        AssertClose(p, [ByHand(1.0, [0.5, -1.0], 0.1, psi: 0.5, b1: 0.8), ByHand(-2.0, [0.25, 0.5], 0.1, psi: 0.5, b1: 0.8)]);
        // psi = 0 keeps mu at beta1 / 2 for every step.
        Assert.That(Mu(0.8, 0, 7), Is.EqualTo(0.4));
    }

    [Test]
    public void WeightDecay_CoupledEntersTheMoments_DecoupledShrinksTheWeightsFirst()
    {
        using var a = Param(1.0, -2.0);
        using var coupled = new NAdam([a], new NAdamOptions { Lr = 0.1, WeightDecay = 0.1 });
        using var b = Param(1.0, -2.0);
        using var decoupled = new NAdam([b], new NAdamOptions { Lr = 0.1, WeightDecay = 0.1, DecoupledWeightDecay = true });
        foreach (var g in new[] { new[] { 0.5, 0.25 }, [-1.0, 0.5] })
        {
            Grad(a, g);
            Grad(b, g);
            coupled.Step();
            decoupled.Step();
        }
        // Coupled, t=1: g' = g + 0.1 p = [0.6, 0.05], so m = [0.06, 0.005]. Decoupled: p = p (1 - 0.01) first, m from g alone.
        AssertClose(a, [ByHand(1.0, [0.5, -1.0], 0.1, wd: 0.1), ByHand(-2.0, [0.25, 0.5], 0.1, wd: 0.1)]);
        AssertClose(b, [ByHand(1.0, [0.5, -1.0], 0.1, wd: 0.1, decoupled: true), ByHand(-2.0, [0.25, 0.5], 0.1, wd: 0.1, decoupled: true)]);
        AssertClose(decoupled.State(b)["exp_avg"], [-0.055, 0.0725], what: "decoupled decay never reaches the moments");
        Assert.That(Values(a)[0], Is.Not.EqualTo(Values(b)[0]).Within(1e-6), "the two decays differ");
    }

    [Test]
    public void MuProduct_IsSavedAndRestored_SoAResumedRunContinuesExactly()
    {
        using var p = Param(1.0, -2.0);
        using var q = Param(1.0, -2.0);
        using var straight = new NAdam([p], new NAdamOptions { Lr = 0.1 });
        using var first = new NAdam([q], new NAdamOptions { Lr = 0.1 });
        double[][] grads = [[0.5, 0.25], [-1.0, 0.5], [0.3, -0.2]];
        for (int i = 0; i < 2; i++)
        {
            Grad(p, grads[i]);
            straight.Step();
            Grad(q, grads[i]);
            first.Step();
        }
        using var state = first.StateDict();
        Assert.That(state.Tensors.Keys, Does.Contain("0.mu_product"));
        using var r = Param(Values(q));
        using var resumed = new NAdam([r], new NAdamOptions { Lr = 0.1 });
        resumed.LoadStateDict(state);
        Grad(p, grads[2]);
        straight.Step();
        Grad(r, grads[2]);
        resumed.Step();
        Assert.That(Values(r), Is.EqualTo(Values(p)));
        AssertClose(r, [ByHand(1.0, [0.5, -1.0, 0.3], 0.1), ByHand(-2.0, [0.25, 0.5, -0.2], 0.1)]);
    }

    [Test]
    public void NegativeMomentumDecay_IsRejected()
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new NAdam([p], new NAdamOptions { MomentumDecay = -1e-3 }));
        Assert.That(e!.Message, Does.Contain("NAdam").And.Contain("MomentumDecay"));
    }
}
