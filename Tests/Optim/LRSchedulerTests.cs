// PyTorch's schedulers at chosen steps, each value worked out by hand from the closed form in PyTorch's documentation
// (torch.optim.lr_scheduler), with PyTorch's defaults; "t" is the optimizer's 0-based step (PyTorch's last_epoch).
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class LRSchedulerTests
{
    private const double Tol = 1e-15;

    private static double Lr(LRScheduler s, int t, double baseLr = 1) => s.LrAt(t, 0, baseLr);

    [Test]
    public void StepLR_DecaysByGammaEveryStepSize_DefaultGammaOneTenth()
    {
        // PyTorch's docstring: base 0.05, step_size 30, gamma 0.1: 0.05 below 30, 0.005 below 60, 0.0005 below 90.
        var s = new StepLR(30);
        Assert.That(s.Gamma, Is.EqualTo(0.1), "PyTorch's default gamma");
        Assert.That(Lr(s, 0, 0.05), Is.EqualTo(0.05));
        Assert.That(Lr(s, 29, 0.05), Is.EqualTo(0.05));
        Assert.That(Lr(s, 30, 0.05), Is.EqualTo(0.005).Within(Tol));
        Assert.That(Lr(s, 59, 0.05), Is.EqualTo(0.005).Within(Tol));
        Assert.That(Lr(s, 60, 0.05), Is.EqualTo(0.0005).Within(Tol));
        // gamma 0.5, step_size 3, base 0.8: floor(t/3) halvings.
        var h = new StepLR(3, 0.5);
        Assert.That(new[] { 0, 2, 3, 5, 6, 9 }.Select(t => Lr(h, t, 0.8)), Is.EqualTo(new[] { 0.8, 0.8, 0.4, 0.4, 0.2, 0.1 }));
    }

    [Test]
    public void MultiStepLR_CountsTheMilestonesPassed_SortedAndWithRepeats()
    {
        // Docstring: milestones [30, 80], base 0.05: 0.05 below 30, 0.005 below 80, 0.0005 from 80.
        var s = new MultiStepLR([30, 80]);
        Assert.That(Lr(s, 29, 0.05), Is.EqualTo(0.05));
        Assert.That(Lr(s, 30, 0.05), Is.EqualTo(0.005).Within(Tol));
        Assert.That(Lr(s, 79, 0.05), Is.EqualTo(0.005).Within(Tol));
        Assert.That(Lr(s, 80, 0.05), Is.EqualTo(0.0005).Within(Tol));
        // PyTorch keeps the milestones in a Counter: a repeated milestone decays twice, and order does not matter.
        var twice = new MultiStepLR([5, 2, 5], gamma: 0.5);
        Assert.That(new[] { 1, 2, 4, 5, 100 }.Select(t => Lr(twice, t)), Is.EqualTo(new[] { 1, 0.5, 0.5, 0.125, 0.125 }));
        Assert.That(twice.Milestones, Is.EqualTo(new[] { 2, 5, 5 }));
    }

    [Test]
    public void ExponentialLR_IsBaseTimesGammaToTheT()
    {
        var s = new ExponentialLR(0.5);
        Assert.That(new[] { 0, 1, 2, 10 }.Select(t => Lr(s, t, 2)), Is.EqualTo(new[] { 2, 1, 0.5, 2.0 / 1024 }));
    }

    [Test]
    public void ConstantLR_DefaultsToAThirdForFiveSteps()
    {
        var s = new ConstantLR();
        Assert.That((s.Factor, s.TotalIters), Is.EqualTo((1.0 / 3, 5)), "PyTorch's defaults");
        // base 0.3: 0.3/3 = 0.1 for t < 5, then 0.3 (factor + (1 - factor) = 1).
        Assert.That(Lr(s, 0, 0.3), Is.EqualTo(0.1).Within(Tol));
        Assert.That(Lr(s, 4, 0.3), Is.EqualTo(0.1).Within(Tol));
        Assert.That(Lr(s, 5, 0.3), Is.EqualTo(0.3).Within(Tol));
        Assert.That(Lr(s, 500, 0.3), Is.EqualTo(0.3).Within(Tol));
        // Docstring: factor 0.5, total_iters 40, base 0.05: 0.025 below 40, 0.05 from 40.
        var d = new ConstantLR(0.5, 40);
        Assert.That((Lr(d, 39, 0.05), Lr(d, 40, 0.05)), Is.EqualTo((0.025, 0.05)));
    }

    [Test]
    public void LinearLR_MovesTheFactorFromStartToEndOverTotalIters()
    {
        var s = new LinearLR();
        Assert.That((s.StartFactor, s.EndFactor, s.TotalIters), Is.EqualTo((1.0 / 3, 1.0, 5)), "PyTorch's defaults");
        // base 0.3: factor 1/3 + (2/3) min(5, t)/5, so lr = 0.1 + 0.04 t up to t = 5, then 0.3.
        double[] expected = [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3];
        for (int t = 0; t < expected.Length; t++) Assert.That(Lr(s, t, 0.3), Is.EqualTo(expected[t]).Within(Tol), $"t = {t}");
        // A decay: start 1, end 0.5 over 4 steps, base 2: 2 (1 - 0.125 t), holding 1 from t = 4.
        var down = new LinearLR(1, 0.5, 4);
        Assert.That(new[] { 0, 1, 2, 4, 9 }.Select(t => Lr(down, t, 2)), Is.EqualTo(new[] { 2, 1.75, 1.5, 1, 1 }));
    }

    [Test]
    public void PolynomialLR_IsBaseTimesOneMinusProgressToThePower()
    {
        var s = new PolynomialLR();
        Assert.That((s.TotalIters, s.Power), Is.EqualTo((5, 1.0)), "PyTorch's defaults");
        // base 0.5, power 1: 0.5 (1 - t/5), 0 from t = 5 on.
        double[] expected = [0.5, 0.4, 0.3, 0.2, 0.1, 0, 0];
        for (int t = 0; t < expected.Length; t++) Assert.That(Lr(s, t, 0.5), Is.EqualTo(expected[t]).Within(Tol), $"t = {t}");
        // power 2 over 4 steps: (1 - t/4)^2 = 0.5625, 0.25, 0.0625, 0.
        var q = new PolynomialLR(4, 2);
        Assert.That(new[] { 1, 2, 3, 4 }.Select(t => Lr(q, t)), Is.EqualTo(new[] { 0.5625, 0.25, 0.0625, 0 }));
    }

    [Test]
    public void CosineAnnealingLR_ReachesEtaMinAtTMax_ThenTheCosineGoesOn()
    {
        // T_max 4, eta_min 0.1, base 1.1 (so base - eta_min = 1): lr = 0.1 + (1 + cos(pi t / 4)) / 2.
        var s = new CosineAnnealingLR(4, 0.1);
        double r = Math.Sqrt(2) / 2;                                      // cos(pi/4)
        Assert.That(Lr(s, 0, 1.1), Is.EqualTo(1.1).Within(Tol));
        Assert.That(Lr(s, 1, 1.1), Is.EqualTo(0.1 + (1 + r) / 2).Within(Tol));
        Assert.That(Lr(s, 2, 1.1), Is.EqualTo(0.6).Within(Tol));
        Assert.That(Lr(s, 4, 1.1), Is.EqualTo(0.1).Within(Tol), "eta_min at T_max");
        // Past T_max PyTorch's closed form rises again: cos(5 pi / 4) = -r, cos(6 pi / 4) = 0, cos(2 pi) = 1.
        Assert.That(Lr(s, 5, 1.1), Is.EqualTo(0.1 + (1 - r) / 2).Within(Tol));
        Assert.That(Lr(s, 6, 1.1), Is.EqualTo(0.6).Within(Tol));
        Assert.That(Lr(s, 8, 1.1), Is.EqualTo(1.1).Within(Tol), "back at base after 2 T_max");
        Assert.That(new CosineAnnealingLR(10).EtaMin, Is.Zero, "PyTorch's default eta_min");
        // The optax-style decay holds its end value instead (a different name on purpose).
        Assert.That(Schedules.CosineDecay(4)(6), Is.Zero);
    }

    [Test]
    public void CosineAnnealingLR_EtaMinIsAbsolute_TheSameForEveryGroup()
    {
        var s = new CosineAnnealingLR(2, 0.1);
        // At T_max every group is at eta_min whatever its base; halfway each is halfway between its base and eta_min.
        Assert.That(s.LrAt(2, 0, 1.0), Is.EqualTo(0.1).Within(Tol));
        Assert.That(s.LrAt(2, 1, 0.3), Is.EqualTo(0.1).Within(Tol));
        Assert.That(s.LrAt(1, 0, 1.0), Is.EqualTo(0.55).Within(Tol));
        Assert.That(s.LrAt(1, 1, 0.3), Is.EqualTo(0.2).Within(Tol));
    }

    [Test]
    public void CosineAnnealingWarmRestarts_WithTMultTwo_RestartsAt2_6_14()
    {
        // T_0 2, T_mult 2: cycles [0, 2), [2, 6), [6, 14), [14, 30); lr = (1 + cos(pi T_cur / T_i)) / 2 at base 1.
        var s = new CosineAnnealingWarmRestarts(2, 2);
        double r = Math.Sqrt(2) / 2;
        (int T, double Lr, long TCur, long TI)[] cases =
        [
            (0, 1, 0, 2), (1, 0.5, 1, 2),                                     // cos(pi/2) = 0
            (2, 1, 0, 4), (3, (1 + r) / 2, 1, 4), (4, 0.5, 2, 4), (5, (1 - r) / 2, 3, 4),
            (6, 1, 0, 8), (10, 0.5, 4, 8), (13, (1 + Math.Cos(7 * Math.PI / 8)) / 2, 7, 8),
            (14, 1, 0, 16), (30, 1, 0, 32),
        ];
        foreach (var (t, lr, tCur, tI) in cases)
        {
            Assert.That(s.CycleAt(t), Is.EqualTo((tCur, tI)), $"cycle at t = {t}");
            Assert.That(Lr(s, t), Is.EqualTo(lr).Within(Tol), $"lr at t = {t}");
        }
    }

    [Test]
    public void CosineAnnealingWarmRestarts_Defaults_RestartEveryT0_AboveEtaMin()
    {
        var s = new CosineAnnealingWarmRestarts(3, etaMin: 0.5);
        Assert.That(s.TMult, Is.EqualTo(1), "PyTorch's default T_mult");
        // base 1.5 (base - eta_min = 1): t = 3 and 6 restart to 1.5; t = 4 and 7 give 0.5 + (1 + cos(pi/3))/2 = 1.25.
        Assert.That(new[] { 0, 3, 6 }.Select(t => Lr(s, t, 1.5)), Is.EqualTo(new[] { 1.5, 1.5, 1.5 }));
        Assert.That(Lr(s, 4, 1.5), Is.EqualTo(1.25).Within(Tol));
        Assert.That(Lr(s, 7, 1.5), Is.EqualTo(1.25).Within(Tol));
    }

    [Test]
    public void LambdaLR_MultipliesTheBase_OneFunctionOrOnePerGroup()
    {
        var s = new LambdaLR(t => 1.0 / (t + 1));
        Assert.That(Lr(s, 3, 2), Is.EqualTo(0.5));
        var each = new LambdaLR([t => t, t => 0.5]);
        Assert.That((each.LrAt(4, 0, 0.1), each.LrAt(4, 1, 0.1)), Is.EqualTo((0.4, 0.05)));
    }

    [Test]
    public void SequentialLR_StartsEachSchedulerFromItsOwnStepZeroAtItsMilestone()
    {
        // PyTorch's docstring: ConstantLR(0.1, 20) then ExponentialLR(0.9) at milestone 20, base 0.05:
        // 0.005 up to t = 19, then 0.05, 0.045, 0.0405 at t = 20, 21, 22 (the exponential from its own t = 0).
        var s = new SequentialLR([new ConstantLR(0.1, 20), new ExponentialLR(0.9)], [20]);
        Assert.That(Lr(s, 0, 0.05), Is.EqualTo(0.005).Within(Tol));
        Assert.That(Lr(s, 19, 0.05), Is.EqualTo(0.005).Within(Tol));
        Assert.That(Lr(s, 20, 0.05), Is.EqualTo(0.05).Within(Tol));
        Assert.That(Lr(s, 21, 0.05), Is.EqualTo(0.045).Within(Tol));
        Assert.That(Lr(s, 22, 0.05), Is.EqualTo(0.0405).Within(Tol));
        Assert.That(s.Locate(22), Is.EqualTo((1, 2)));
    }

    [Test]
    public void SequentialLR_WarmupThenCosine_WithTwoMilestones()
    {
        // LinearLR(0.25, 1, 2) for t < 2: 0.25, 0.625; CosineAnnealingLR(4) from t = 2 at local t - 2; StepLR(1, 0.5)
        // from t = 8 at local t - 8.
        var s = new SequentialLR([new LinearLR(0.25, 1, 2), new CosineAnnealingLR(4), new StepLR(1, 0.5)], [2, 8]);
        Assert.That(Lr(s, 0), Is.EqualTo(0.25));
        Assert.That(Lr(s, 1), Is.EqualTo(0.625));
        Assert.That(Lr(s, 2), Is.EqualTo(1), "the cosine from its own step 0");
        Assert.That(Lr(s, 4), Is.EqualTo(0.5).Within(Tol));
        Assert.That(Lr(s, 6), Is.EqualTo(0).Within(Tol));
        Assert.That(Lr(s, 7), Is.EqualTo((1 - Math.Sqrt(2) / 2) / 2).Within(Tol), "local 5, past T_max");
        Assert.That((Lr(s, 8), Lr(s, 9), Lr(s, 10)), Is.EqualTo((1.0, 0.5, 0.25)));
    }

    [Test]
    public void ChainedScheduler_AppliesEveryScheduler_TheProductOfTheirFactors()
    {
        // ConstantLR(0.1, 2) with ExponentialLR(0.9), base 1: 0.1 x 1, 0.1 x 0.9, 1 x 0.81, 0.729, 0.6561 (PyTorch's
        // chained recursive updates give the same: x0.1 at construction, x0.9 each step, x10 at t = 2).
        var s = new ChainedScheduler(new ConstantLR(0.1, 2), new ExponentialLR(0.9));
        double[] expected = [0.1, 0.09, 0.81, 0.729, 0.6561];
        for (int t = 0; t < expected.Length; t++) Assert.That(Lr(s, t), Is.EqualTo(expected[t]).Within(Tol), $"t = {t}");
        // Its docstring's 20-step version at base 0.05: 0.005 x 0.9^19 at t = 19, 0.05 x 0.9^20 at t = 20.
        var d = new ChainedScheduler(new ConstantLR(0.1, 20), new ExponentialLR(0.9));
        Assert.That(Lr(d, 19, 0.05), Is.EqualTo(0.005 * Math.Pow(0.9, 19)).Within(Tol));
        Assert.That(Lr(d, 20, 0.05), Is.EqualTo(0.05 * Math.Pow(0.9, 20)).Within(Tol));
    }

    [Test]
    public void BadArguments_NameTheSchedulerAndTheField()
    {
        void Throws(Action make, params string[] words)
        {
            var e = Assert.Throws<ArgumentException>(() => make())!;
            foreach (var w in words) Assert.That(e.Message, Does.Contain(w));
        }
        Throws(() => _ = new StepLR(0), "StepLR", "step_size", "got 0");
        Throws(() => _ = new StepLR(3, double.NaN), "StepLR", "gamma");
        Throws(() => _ = new MultiStepLR([3, -1]), "MultiStepLR", "milestones");
        Throws(() => _ = new ExponentialLR(-0.5), "ExponentialLR", "gamma");
        Throws(() => _ = new ConstantLR(1.5), "ConstantLR", "factor", "1.5");
        Throws(() => _ = new LinearLR(0), "LinearLR", "start_factor", "(0, 1]");
        Throws(() => _ = new LinearLR(0.5, 2), "LinearLR", "end_factor");
        Throws(() => _ = new LinearLR(totalIters: 0), "LinearLR", "total_iters");
        Throws(() => _ = new PolynomialLR(0), "PolynomialLR", "total_iters");
        Throws(() => _ = new CosineAnnealingLR(0), "CosineAnnealingLR", "T_max");
        Throws(() => _ = new CosineAnnealingLR(10, -1), "CosineAnnealingLR", "eta_min");
        Throws(() => _ = new CosineAnnealingWarmRestarts(0), "CosineAnnealingWarmRestarts", "T_0");
        Throws(() => _ = new CosineAnnealingWarmRestarts(5, 0), "CosineAnnealingWarmRestarts", "T_mult");
        Throws(() => _ = new SequentialLR([new StepLR(1), new StepLR(2)], []), "SequentialLR", "2 schedulers and 0 milestones");
        Throws(() => _ = new SequentialLR([new StepLR(1), new StepLR(2), new StepLR(3)], [5, 5]), "SequentialLR", "rising strictly");
        Throws(() => _ = new SequentialLR([new StepLR(1), new StepLR(2)], [0]), "SequentialLR", "from 1");
        Throws(() => _ = new SequentialLR([], []), "SequentialLR", "at least one");
        Throws(() => _ = new ChainedScheduler(), "ChainedScheduler", "at least one");
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(2).LrAt(-1, 0, 1))!.Message, Does.Contain("StepLR").And.Contain(">= 0"));
    }
}
