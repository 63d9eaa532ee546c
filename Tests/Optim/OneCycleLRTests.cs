// OneCycleLR's phases, endpoints and momentum, worked out from PyTorch's definition: initial = max_lr / div_factor,
// min = initial / final_div_factor; phase ends pct_start T - 1 (and 2 pct_start T - 2 with three phases) and T - 1,
// not rounded; pct = (t - start)/(end - start); cos: end + (start - end)/2 (cos(pi pct) + 1); linear: (end - start) pct + start.
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class OneCycleLRTests
{
    private const double Tol = 1e-15;
    private const double Min = 1.0 / 25 / 1e4;          // max_lr 1: initial 0.04, min 4e-6

    [Test]
    public void Defaults_AreTorchs()
    {
        var s = new OneCycleLR(1.0, totalSteps: 100);
        Assert.That((s.PctStart, s.Strategy, s.CycleMomentum, s.DivFactor, s.FinalDivFactor, s.ThreePhase),
            Is.EqualTo((0.3, AnnealStrategy.Cos, true, 25.0, 1e4, false)));
        Assert.That((s.BaseMomentum[0], s.MaxMomentum[0]), Is.EqualTo((0.85, 0.95)));
        Assert.That((s.InitialLr(0), s.MinLr(0)), Is.EqualTo((0.04, Min)));
    }

    [Test]
    public void TwoPhases_StartAtInitial_PeakAtPctStartTMinusOne_EndAtMinOnTheLastStep()
    {
        // T = 100: phase 1 ends at 0.3 x 100 - 1 = 29, phase 2 at 99.
        var s = new OneCycleLR(1.0, totalSteps: 100);
        Assert.That(s.LrAt(0, 0, 123), Is.EqualTo(0.04).Within(Tol), "initial_lr; the group's own lr is not used");
        Assert.That(s.LrAt(29, 0, 123), Is.EqualTo(1), "max_lr at the end of phase 1 (cos(pi) = -1 exactly)");
        Assert.That(s.LrAt(99, 0, 123), Is.EqualTo(Min), "min_lr = initial_lr / final_div_factor on step T - 1, the last of T steps");
        // Phase 2 runs 29 -> 99; t = 64 is halfway: min + (max - min)/2 = (1 + 4e-6)/2.
        Assert.That(s.LrAt(64, 0, 123), Is.EqualTo(0.500002).Within(Tol));
        // Momentum goes the other way: max_momentum at 0 and 99, base_momentum at 29, halfway 0.9 at 64.
        Assert.That(new[] { 0, 29, 99 }.Select(t => s.MomentumAt(t, 0)), Is.EqualTo(new double?[] { 0.95, 0.85, 0.95 }));
        Assert.That(s.MomentumAt(64, 0)!.Value, Is.EqualTo(0.9).Within(Tol));
        // PyTorch allows step T itself (a little above min under cos: pct 71/70) and refuses the one after.
        double past = Min + (1 - Min) / 2 * (Math.Cos(Math.PI * 71 / 70) + 1);
        Assert.That(s.LrAt(100, 0, 123), Is.EqualTo(past).Within(1e-18));
        Assert.That(s.LrAt(100, 0, 123), Is.GreaterThan(Min));
        var e = Assert.Throws<InvalidOperationException>(() => s.LrAt(101, 0, 123))!;
        Assert.That(e.Message, Does.Contain("OneCycleLR").And.Contain("101").And.Contain("total_steps is 100"));
    }

    [Test]
    public void CosAndLinear_AtAQuarterOfPhaseTwo()
    {
        // T = 10, pct_start 0.2: phase 1 is 0 -> 1, phase 2 is 1 -> 9 (8 steps), so t = 3 is pct 0.25.
        var cos = new OneCycleLR(1.0, totalSteps: 10, pctStart: 0.2);
        Assert.That(cos.LrAt(0, 0, 1), Is.EqualTo(0.04).Within(Tol));
        Assert.That(cos.LrAt(1, 0, 1), Is.EqualTo(1));
        Assert.That(cos.LrAt(3, 0, 1), Is.EqualTo(Min + (1 - Min) / 2 * (1 + Math.Sqrt(2) / 2)).Within(Tol));   // cos(pi/4)
        Assert.That(cos.LrAt(5, 0, 1), Is.EqualTo(0.500002).Within(Tol));
        Assert.That(cos.LrAt(9, 0, 1), Is.EqualTo(Min));
        var linear = new OneCycleLR(1.0, totalSteps: 10, pctStart: 0.2, annealStrategy: AnnealStrategy.Linear);
        Assert.That(linear.LrAt(3, 0, 1), Is.EqualTo(1 - 0.25 * (1 - Min)).Within(Tol));                     // 0.750001
        // (min - max) x 1 + max, as PyTorch writes it, reaches min only to within an ulp of max_lr (cos reaches it exactly).
        Assert.That(linear.LrAt(9, 0, 1), Is.EqualTo(Min).Within(2.3e-16));
        Assert.That(linear.MomentumAt(3, 0)!.Value, Is.EqualTo(0.85 + 0.25 * 0.1).Within(Tol));               // 0.875
    }

    [Test]
    public void PhaseEnds_AreNotRounded()
    {
        // T = 11, pct_start 0.3: phase 1 ends at 3.3 - 1 = 2.3, so t = 2 is 2/2.3 of the way up (not at the peak), and
        // t = 3 is (3 - 2.3)/(10 - 2.3) = 1/11 of the way down. Linear, so the values are plain fractions.
        var s = new OneCycleLR(1.0, totalSteps: 11, annealStrategy: AnnealStrategy.Linear);
        Assert.That(s.LrAt(2, 0, 1), Is.EqualTo(0.04 + 0.96 * 2 / 2.3).Within(1e-12));
        Assert.That(s.LrAt(3, 0, 1), Is.EqualTo(1 - (1 - Min) / 11).Within(1e-12));
        Assert.That(s.LrAt(10, 0, 1), Is.EqualTo(Min).Within(2.3e-16), "to an ulp of max_lr, as linear annealing computes it");
    }

    [Test]
    public void ThreePhases_GoUpDownToInitial_ThenToMin_WithMomentumHeldAtMaxInPhaseThree()
    {
        // T = 10, pct_start 0.2: ends 1, 2 x 0.2 x 10 - 2 = 2, and 9.
        var s = new OneCycleLR(1.0, totalSteps: 10, pctStart: 0.2, threePhase: true);
        Assert.That(s.LrAt(0, 0, 1), Is.EqualTo(0.04).Within(Tol));
        Assert.That(s.LrAt(1, 0, 1), Is.EqualTo(1));
        Assert.That(s.LrAt(2, 0, 1), Is.EqualTo(0.04).Within(Tol), "back at initial_lr");
        Assert.That(s.LrAt(5, 0, 1), Is.EqualTo(Min + (0.04 - Min) / 2 * (Math.Cos(Math.PI * 3 / 7) + 1)).Within(Tol), "3/7 of phase 3");
        Assert.That(s.LrAt(9, 0, 1), Is.EqualTo(Min).Within(1e-20));
        Assert.That(new[] { 0, 1, 2, 5, 9 }.Select(t => s.MomentumAt(t, 0)), Is.EqualTo(new double?[] { 0.95, 0.85, 0.95, 0.95, 0.95 }));
    }

    [Test]
    public void TotalSteps_ComeFromEpochsTimesStepsPerEpoch_WhenNotGiven()
    {
        Assert.That(new OneCycleLR(1.0, epochs: 3, stepsPerEpoch: 5).TotalSteps, Is.EqualTo(15));
        Assert.That(new OneCycleLR(1.0, totalSteps: 7, epochs: 3, stepsPerEpoch: 5).TotalSteps, Is.EqualTo(7), "total_steps takes precedence");
    }

    [Test]
    public void PerGroupValues_GiveEachGroupItsOwnCycle()
    {
        var s = new OneCycleLR(new[] { 1.0, 0.1 }, totalSteps: 10, pctStart: 0.2, baseMomentum: new[] { 0.8, 0.85 }, maxMomentum: 0.9);
        Assert.That(s.LrAt(0, 1, 1), Is.EqualTo(0.004).Within(Tol));                  // 0.1 / 25
        Assert.That(s.LrAt(1, 1, 1), Is.EqualTo(0.1));
        Assert.That(s.LrAt(9, 1, 1), Is.EqualTo(0.1 / 25 / 1e4).Within(1e-20));
        Assert.That((s.MomentumAt(1, 0), s.MomentumAt(1, 1), s.MomentumAt(0, 1)), Is.EqualTo(((double?)0.8, (double?)0.85, (double?)0.9)));
        Assert.That(new OneCycleLR(1.0, totalSteps: 10, cycleMomentum: false).MomentumAt(3, 0), Is.Null);
    }

    [Test]
    public void BadArguments_SayWhatWasExpected()
    {
        void Throws(Action make, params string[] words)
        {
            var e = Assert.Throws<ArgumentException>(() => make())!;
            foreach (var w in words) Assert.That(e.Message, Does.Contain(w));
        }
        Throws(() => _ = new OneCycleLR(1.0), "OneCycleLR", "total_steps or (epochs and steps_per_epoch)");
        Throws(() => _ = new OneCycleLR(1.0, epochs: 3), "total_steps or (epochs and steps_per_epoch)");
        Throws(() => _ = new OneCycleLR(1.0, totalSteps: 0), "total_steps", "got 0");
        Throws(() => _ = new OneCycleLR(1.0, epochs: 0, stepsPerEpoch: 4), "epochs");
        Throws(() => _ = new OneCycleLR(1.0, totalSteps: 10, pctStart: 1.5), "pct_start", "1.5");
        Throws(() => _ = new OneCycleLR(-1.0, totalSteps: 10), "max_lr");
        Throws(() => _ = new OneCycleLR(1.0, totalSteps: 10, maxMomentum: 1.0), "max_momentum", "[0, 1)");
        Throws(() => _ = new OneCycleLR(1.0, totalSteps: 10, divFactor: 0), "div_factor");
        Throws(() => _ = new OneCycleLR(1.0, totalSteps: 10, annealStrategy: (AnnealStrategy)7), "anneal_strategy");
        // pct_start x T = 1 puts the first phase's end at step 0: a phase of length 0.
        Throws(() => _ = new OneCycleLR(1.0, totalSteps: 10, pctStart: 0.1), "pct_start x total_steps", "0 steps long");
    }
}
