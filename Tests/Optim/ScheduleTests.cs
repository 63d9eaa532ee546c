// Schedules at their boundaries: warmup start and end, decay end, cooldown start and end, and the composition.
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class ScheduleTests
{
    [Test]
    public void LinearWarmup_IsZeroAtStepZero_AndOneFromTheWarmupOn()
    {
        var s = Schedules.LinearWarmup(10);
        Assert.That(s(0), Is.Zero, "step 0 gets lr 0");
        Assert.That(s(5), Is.EqualTo(0.5));
        Assert.That(s(10), Is.EqualTo(1));
        Assert.That(s(1000), Is.EqualTo(1));
        Assert.That(Schedules.LinearWarmup(0)(0), Is.EqualTo(1), "no warmup, full lr from step 0");
    }

    [Test]
    public void LinearAndCosineDecay_RunFromStartAtTheWarmupEndToEndAtTotal()
    {
        var linear = Schedules.LinearDecay(total: 110, warmup: 10, start: 1, end: 0.1);
        Assert.That(linear(10), Is.EqualTo(1));
        Assert.That(linear(60), Is.EqualTo(0.55).Within(1e-15));   // progress 0.5: 0.1 + 0.9 * 0.5
        Assert.That(linear(110), Is.EqualTo(0.1).Within(1e-15));
        Assert.That(linear(500), Is.EqualTo(0.1).Within(1e-15), "clamped after the end");
        var cosine = Schedules.CosineDecay(total: 110, warmup: 10);
        Assert.That(cosine(10), Is.EqualTo(1));
        Assert.That(cosine(60), Is.EqualTo(0.5).Within(1e-15));     // 0.5 (1 + cos(pi/2))
        Assert.That(cosine(110), Is.EqualTo(0).Within(1e-15));
        Assert.That(cosine(0), Is.EqualTo(1), "flat before the warmup ends (the warmup factor is separate)");
    }

    [Test]
    public void RsqrtDecay_IsFlatThroughTheWarmup_ThenOneOverSqrt()
    {
        var s = Schedules.RsqrtDecay(warmup: 100, timescale: 1000);
        Assert.That(s(0), Is.EqualTo(1));
        Assert.That(s(100), Is.EqualTo(1));
        Assert.That(s(3100), Is.EqualTo(0.5).Within(1e-15));       // 1 / sqrt(1 + 3000/1000)
    }

    [Test]
    public void LinearCooldown_IsOneUntilItsStart_AndZeroAtTotal()
    {
        var s = Schedules.LinearCooldown(total: 100, cooldown: 20);
        Assert.That(s(0), Is.EqualTo(1));
        Assert.That(s(80), Is.EqualTo(1), "cooldown start");
        Assert.That(s(90), Is.EqualTo(0.5));
        Assert.That(s(99), Is.EqualTo(0.05).Within(1e-15), "the last step of a 100-step run");
        Assert.That(s(100), Is.Zero, "cooldown end");
    }

    [Test]
    public void WarmupRsqrtCooldown_ComposesTheThree()
    {
        var s = Schedules.WarmupRsqrtCooldown(total: 10_000, warmup: 1000, cooldown: 2000, timescale: 1000);
        Assert.That(s(0), Is.Zero);
        Assert.That(s(500), Is.EqualTo(0.5));
        Assert.That(s(1000), Is.EqualTo(1), "warmup end");
        Assert.That(s(4000), Is.EqualTo(0.5).Within(1e-15));       // 1 / sqrt(1 + 3000/1000)
        Assert.That(s(8000), Is.EqualTo(1 / Math.Sqrt(8)).Within(1e-15), "cooldown start: rsqrt alone");
        Assert.That(s(9000), Is.EqualTo(0.5 / Math.Sqrt(9)).Within(1e-15));
        Assert.That(s(10_000), Is.Zero, "cooldown end");
    }

    [Test]
    public void Create_ScalesTheShapeByWarmupAndCooldown()
    {
        var s = Schedules.Create(DecayKind.Cosine, total: 100, warmup: 10, cooldown: 0, start: 2, end: 0);
        Assert.That(s(0), Is.Zero);
        Assert.That(s(5), Is.EqualTo(1), "half the warmup of a start value of 2");
        Assert.That(s(10), Is.EqualTo(2));
        Assert.That(s(55), Is.EqualTo(1).Within(1e-15));
        var constant = Schedules.Create(DecayKind.Constant, total: 100, cooldown: 50);
        Assert.That(constant(0), Is.EqualTo(1));
        Assert.That(constant(75), Is.EqualTo(0.5));
    }

    [Test]
    public void BadSpans_NameTheScheduleAndTheField()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => Schedules.CosineDecay(total: 10, warmup: 20))!.Message,
            Does.Contain("CosineDecay").And.Contain("warmup (20)"));
        Assert.That(Assert.Throws<ArgumentException>(() => Schedules.LinearCooldown(total: 10, cooldown: 11))!.Message,
            Does.Contain("cooldown (11)"));
        Assert.That(Assert.Throws<ArgumentException>(() => Schedules.RsqrtDecay(timescale: 0))!.Message, Does.Contain("timescale"));
        Assert.Throws<ArgumentException>(() => Schedules.LinearWarmup(-1));
    }
}
