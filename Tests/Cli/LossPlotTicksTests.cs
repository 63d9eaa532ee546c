// The log-axis ticks of the loss figures: 1-2-5 values per decade when there are enough, 1 to 9 when not, and a
// labelled end when the range runs well past the last round value.
using DotGrad.Cli.Output;

namespace DotGrad.Tests.Cli;

public class LossPlotTicksTests
{
    [Test]
    public void ManyDecades_Get1_2_5()
        => Assert.That(LossPlot.TickValues(0.001, 2.0), Is.EqualTo(new[] { 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2 }).Within(1e-12));

    [Test]
    public void LessThanADecade_Gets1To9()
        => Assert.That(LossPlot.TickValues(1.6, 4.2), Is.EqualTo(new[] { 2.0, 3, 4 }).Within(1e-12));

    [Test]
    public void ARangeWellPastTheLastRoundValue_LabelsItsEnd()
    {
        var ticks = LossPlot.TickValues(0.046, 0.195).ToArray();
        Assert.That(ticks[^1], Is.EqualTo(0.2).Within(1e-12), "0.195 is 1.95x the last tick 0.1: its end is labelled");
        Assert.That(ticks[0], Is.EqualTo(0.05).Within(1e-12), "0.046 is close to 0.05: no extra tick");
        Assert.That(ticks, Is.Ordered);
    }
}
