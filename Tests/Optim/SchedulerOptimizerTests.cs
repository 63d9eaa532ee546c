// Schedulers driving real optimizers: each group's lr from its own base, momentum and beta1 cycled into real steps,
// a resumed run continuing bit for bit, and the errors when a scheduler does not fit the optimizer.
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class SchedulerOptimizerTests
{
    private const double Min = 1.0 / 25 / 1e4;

    [Test]
    public void EachGroupsLr_IsTheSchedulersValueForItsOwnBase()
    {
        using var a = Param(0.0);
        using var b = Param(0.0);
        using var sgd = new Sgd([a], new SgdOptions { Lr = 1 });
        sgd.AddParamGroup([b], sgd.Defaults with { Lr = 0.1 });
        sgd.Scheduler = new StepLR(2, 0.5);
        var seen = new List<(double, double)>();
        for (int t = 0; t < 5; t++)
        {
            seen.Add((sgd.CurrentLr(sgd.ParamGroups[0]), sgd.CurrentLr(sgd.ParamGroups[1])));
            Grad(a, -1.0);
            Grad(b, -1.0);
            sgd.Step();
        }
        // base x 0.5^floor(t/2) per group; with g = -1 each step moves p up by its lr.
        Assert.That(seen, Is.EqualTo(new[] { (1, 0.1), (1, 0.1), (0.5, 0.05), (0.5, 0.05), (0.25, 0.025) }));
        AssertClose(a, [1 + 1 + 0.5 + 0.5 + 0.25]);
        AssertClose(b, [0.1 + 0.1 + 0.05 + 0.05 + 0.025]);
        Assert.That(sgd.ParamGroups[0].Lr, Is.EqualTo(1), "the group keeps its base lr; the scheduler does not overwrite it");
    }

    [Test]
    public void ReadmeExample_WarmupThenCosine_AndOneCycle()
    {
        // The README's two lines, as written there.
        using var w = Param(0.0);
        using var v = Param(0.0);
        using var opt = new AdamW([w], new AdamOptions { Lr = 3e-3 });
        using var sgd = new Sgd([v], new SgdOptions { Lr = 0.1 });
        opt.Scheduler = new SequentialLR([new LinearLR(startFactor: 0.01, totalIters: 100), new CosineAnnealingLR(tMax: 1900)], milestones: [100]);
        sgd.Scheduler = new OneCycleLR(maxLr: 0.1, totalSteps: 2000);   // momentum 0.95 -> 0.85 -> 0.95 as the lr rises and falls
        // Warmup: 3e-3 (0.01 + 0.99 t/100); the cosine from the milestone: 3e-3 (1 + cos(pi (t - 100)/1900))/2.
        Assert.That(opt.Scheduler.LrAt(0, 0, 3e-3), Is.EqualTo(3e-5).Within(1e-18));
        Assert.That(opt.Scheduler.LrAt(50, 0, 3e-3), Is.EqualTo(3e-3 * 0.505).Within(1e-18));
        Assert.That(opt.Scheduler.LrAt(100, 0, 3e-3), Is.EqualTo(3e-3));
        Assert.That(opt.Scheduler.LrAt(1050, 0, 3e-3), Is.EqualTo(1.5e-3).Within(1e-18));
        // 1cycle: the peak at 0.3 x 2000 - 1 = 599 with momentum 0.85.
        Assert.That(sgd.Scheduler.LrAt(599, 0, 0.1), Is.EqualTo(0.1));
        Assert.That(sgd.Scheduler.MomentumAt(599, 0), Is.EqualTo(0.85));
    }

    [Test]
    public void OneCycle_CyclesSgdMomentum_AndGivesMomentumToAnSgdMadeWithout()
    {
        // PyTorch: SGD has "momentum" among its defaults, so OneCycleLR sets it even when it was 0.
        using var p = Param(0.0);
        using var sgd = new Sgd([p], new SgdOptions { Lr = 5 });
        sgd.Scheduler = new OneCycleLR(1.0, totalSteps: 10, pctStart: 0.2);
        Assert.That(((SgdOptions)sgd.ParamGroups[0].Options).Momentum, Is.EqualTo(0.95), "max_momentum is set when the scheduler is, as PyTorch's constructor does");
        // Step 0: lr 0.04, momentum 0.95, the buffer starts at g = 1: p = -0.04.
        Grad(p, 1.0);
        sgd.Step();
        AssertClose(p, [-0.04], 1e-15);
        // Step 1: lr 1 (the peak), momentum 0.85: b = 0.85 x 1 + 1 = 1.85, p = -0.04 - 1.85.
        Grad(p, 1.0);
        sgd.Step();
        AssertClose(p, [-1.89], 1e-15);
        Assert.That(((SgdOptions)sgd.ParamGroups[0].Options).Momentum, Is.EqualTo(0.85), "the options show the momentum last used");
        Assert.That(sgd.State(p).Has("momentum_buffer"));
        // Next: phase 2 at pct 1/8, lr = min + (1 - min)/2 (1 + cos(pi/8)).
        Assert.That(sgd.CurrentLr(sgd.ParamGroups[0]), Is.EqualTo(Min + (1 - Min) / 2 * (1 + Math.Cos(Math.PI / 8))).Within(1e-15));
    }

    [Test]
    public void OneCycle_CyclesAdamWsBeta1_IntoTheBiasCorrection()
    {
        using var p = Param(0.0);
        using var adamw = new AdamW([p], new AdamOptions { WeightDecay = 0 });
        adamw.Scheduler = new OneCycleLR(1.0, totalSteps: 10, pctStart: 0.2);
        // Step 0 (lr 0.04, b1 0.95), g = 1: m = 0.05, v = 0.001, so m/(1 - 0.95) = 1 and sqrt(v/(1 - 0.999)) = 1.
        Grad(p, 1.0);
        adamw.Step();
        // Step 1 (lr 1, b1 0.85), g = -1: m = 0.85 x 0.05 - 0.15 = -0.1075, bias1 = 1 - 0.85^2 = 0.2775;
        // v = 0.999 x 0.001 + 0.001 = 0.001999 = 1 - 0.999^2, so v_hat = 1.
        Grad(p, -1.0);
        adamw.Step();
        double expected = -0.04 / (1 + 1e-8) + 0.1075 / 0.2775 / (1 + 1e-8);
        AssertClose(p, [expected], 1e-12);
        var o = (AdamOptions)adamw.ParamGroups[0].Options;
        Assert.That((o.Beta1, o.Beta2), Is.EqualTo((0.85, 0.999)), "beta1 cycled, beta2 kept");
    }

    [Test]
    public void OneCycle_SetsLionsBeta1()
    {
        using var p = Param(0.0);
        using var lion = new Lion([p]) { Scheduler = new OneCycleLR(1e-3, totalSteps: 10) };
        Assert.That(((LionOptions)lion.ParamGroups[0].Options).Beta1, Is.EqualTo(0.95));
    }

    [Test]
    public void OneCycle_CyclesTheMomentumOfRmsProp_AndTheBeta1OfAdamaxNAdamRAdam_WhileAdagradIsRefused()
    {
        // Step 0 of 1cycle is the phase start: momentum = max_momentum 0.95; one step later (of 10, pct_start 0.3:
        // the first phase ends at step 0.3*10 - 1 = 2) it has moved halfway down the cosine towards 0.85:
        // 0.85 + (0.95 - 0.85)(1 + cos(pi/2))/2 = 0.9.
        using var p = Param(0.5, -0.5);
        Optimizer[] made =
        [
            new RmsProp([p]) { Scheduler = new OneCycleLR(1e-3, totalSteps: 10) },
            new Adamax([p]) { Scheduler = new OneCycleLR(1e-3, totalSteps: 10) },
            new NAdam([p]) { Scheduler = new OneCycleLR(1e-3, totalSteps: 10) },
            new RAdam([p]) { Scheduler = new OneCycleLR(1e-3, totalSteps: 10) },
        ];
        foreach (var opt in made)
        {
            Assert.That(((IMomentumOptions)opt.ParamGroups[0].Options).MomentumOrBeta1, Is.EqualTo(0.95), opt.GetType().Name);
            Grad(p, 1.0, 1.0);
            opt.Step();
            Grad(p, 1.0, 1.0);
            opt.Step();
            Assert.That(((IMomentumOptions)opt.ParamGroups[0].Options).MomentumOrBeta1, Is.EqualTo(0.9).Within(1e-15), opt.GetType().Name);
            opt.Dispose();
        }
        using var adagrad = new Adagrad([p]);
        Assert.Throws<ArgumentException>(() => adagrad.Scheduler = new OneCycleLR(0.01, totalSteps: 10));
    }

    private static double[] GradAt(int k) => [Math.Sin(k + 1), Math.Cos(2.0 * k), 0.5 - 0.1 * k];

    private static void Run(Optimizer opt, Tensor p, int from, int to)
    {
        for (int k = from; k < to; k++)
        {
            Grad(p, GradAt(k));
            opt.Step();
        }
    }

    private static void AssertResumesBitForBit(Func<Tensor, Optimizer> make, Func<LRScheduler> scheduler, int total, int cut)
    {
        using var straight = Param(0.3, -0.2, 1.0);
        using var first = Param(0.3, -0.2, 1.0);
        using var a = make(straight);
        a.Scheduler = scheduler();
        Run(a, straight, 0, total);

        using var b = make(first);
        b.Scheduler = scheduler();
        Run(b, first, 0, cut);
        using var saved = b.StateDict();
        using var second = Param(Values(first));
        using var c = make(second);
        c.LoadStateDict(saved);
        c.Scheduler = scheduler();                     // set again: a scheduler is not part of the state
        Assert.That(c.StepCount, Is.EqualTo(cut));
        Run(c, second, cut, total);

        Assert.That(Values(second), Is.EqualTo(Values(straight)), "bit for bit");
        Assert.That(c.ParamGroups[0].Options, Is.EqualTo(a.ParamGroups[0].Options), "the same cycled momentum");
    }

    [Test]
    public void ResumedMidCycle_SgdUnderOneCycle_ContinuesBitForBit() =>
        AssertResumesBitForBit(p => new Sgd([p], new SgdOptions { Momentum = 0.9, Nesterov = true, WeightDecay = 1e-2 }),
                               () => new OneCycleLR(0.5, totalSteps: 12, threePhase: true), total: 12, cut: 5);

    [Test]
    public void ResumedMidSchedule_AdamWUnderWarmupThenRestarts_ContinuesBitForBit() =>
        AssertResumesBitForBit(p => new AdamW([p], new AdamOptions { Lr = 0.01 }),
                               () => new SequentialLR([new LinearLR(0.1, 1, 3), new CosineAnnealingWarmRestarts(3, 2, 1e-4)], [3]), total: 14, cut: 7);

    [Test]
    public void ScheduleAndScheduler_AreOneOrTheOther()
    {
        using var p = Param(0.0);
        using var sgd = new Sgd([p]) { Schedule = Schedules.LinearWarmup(3) };
        var e = Assert.Throws<InvalidOperationException>(() => sgd.Scheduler = new StepLR(2))!;
        Assert.That(e.Message, Does.Contain("Sgd").And.Contain("Schedule").And.Contain("LambdaLR"));
        sgd.Schedule = null;
        sgd.Scheduler = new ChainedScheduler(new LambdaLR(Schedules.LinearWarmup(3)), new StepLR(2));
        Assert.Throws<InvalidOperationException>(() => sgd.Schedule = Schedules.LinearWarmup(3));
        // The multiplier works as a LambdaLR inside the chain: warmup 1/3 at step 1, times StepLR's 1 there.
        Grad(p, 1.0);
        sgd.Step();
        Assert.That(sgd.CurrentLr(sgd.ParamGroups[0]), Is.EqualTo(1e-3 / 3).Within(1e-18));
    }

    [Test]
    public void CycleMomentum_OnAnOptimizerWithoutMomentum_IsRefused()
    {
        using var p = Param(0.0, 0.0);
        using var adafactor = new Adafactor([p]);
        var e = Assert.Throws<ArgumentException>(() => adafactor.Scheduler = new OneCycleLR(0.01, totalSteps: 10))!;
        Assert.That(e.Message, Does.Contain("OneCycleLR").And.Contain("momentum or beta1").And.Contain("cycleMomentum: false"));
        Assert.That(adafactor.Scheduler, Is.Null);
        adafactor.Scheduler = new OneCycleLR(0.01, totalSteps: 10, cycleMomentum: false);
        Assert.That(adafactor.CurrentLr(adafactor.ParamGroups[0]), Is.EqualTo(0.01 / 25).Within(1e-18));
    }

    [Test]
    public void PerGroupLists_MustMatchTheGroups_WhenSetAndWhenAGroupIsAdded()
    {
        using var a = Param(0.0);
        using var b = Param(0.0);
        using var sgd = new Sgd([a]);
        var e = Assert.Throws<ArgumentException>(() => sgd.Scheduler = new OneCycleLR(new[] { 0.1, 0.2 }, totalSteps: 10))!;
        Assert.That(e.Message, Does.Contain("max_lr").And.Contain("2 values").And.Contain("1 group"));
        Assert.Throws<ArgumentException>(() => sgd.Scheduler = new LambdaLR([t => 1, t => 2]));
        sgd.Scheduler = new OneCycleLR(new[] { 0.1 }, totalSteps: 10);
        sgd.AddParamGroup([b]);
        Grad(a, 1.0);
        Assert.Throws<ArgumentException>(sgd.Step);
        Assert.That(Values(a), Is.EqualTo(new[] { 0.0 }), "nothing moved");
        Assert.That(sgd.StepCount, Is.Zero);
    }

    [Test]
    public void SteppingPastOneCyclesTotal_Throws_AndLeavesTheParameters()
    {
        using var p = Param(0.0);
        using var sgd = new Sgd([p]) { Scheduler = new OneCycleLR(0.1, totalSteps: 3, pctStart: 0.5) };
        for (int t = 0; t < 4; t++)                          // steps 0..3: PyTorch allows step_num == total_steps
        {
            Grad(p, 1.0);
            sgd.Step();
        }
        var before = Values(p);
        Grad(p, 1.0);
        var e = Assert.Throws<InvalidOperationException>(sgd.Step)!;
        Assert.That(e.Message, Does.Contain("tried to step 4 times").And.Contain("total_steps is 3"));
        Assert.That(Values(p), Is.EqualTo(before));
    }

    [Test]
    public void ASchedulerGivingANegativeLr_IsAnErrorNamingIt()
    {
        using var p = Param(0.0);
        using var sgd = new Sgd([p]) { Scheduler = new LambdaLR(t => t - 1.0) };        // base 1e-3 x (0 - 1)
        var e = Assert.Throws<InvalidOperationException>(() => sgd.CurrentLr(sgd.ParamGroups[0]))!;
        Assert.That(e.Message, Does.Contain("LambdaLR").And.Contain("-0.001").And.Contain("group 0").And.Contain("step 0"));
    }
}
