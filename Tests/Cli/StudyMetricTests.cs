// What a training study compares by: a loss (lower is better, printed in nats) or an accuracy (higher is better,
// printed in percent and points); the comparison against a baseline turns around with it.
using DotGrad.Cli.Study;

namespace DotGrad.Tests.Cli;

public class StudyMetricTests
{
    private static ConfigSummary Config(string name, params double[] finals) =>
        new("g", name, finals.Select((f, i) => new RunOutcome(new StudyRun($"{name}{i}", "g", name, (ulong)i, 10, []), RunStatus.Finished, 10, null,
                                                               f, f, 1, 1, [], [], [])).ToArray());

    [Test]
    public void Comparison_TurnsAroundForAnAccuracy()
    {
        var baseline = Config("base", 0.90, 0.91);
        var higher = Config("higher", 0.95, 0.96);
        var loss = new Comparison(higher, baseline);
        var accuracy = new Comparison(higher, baseline, HigherIsBetter: true);
        Assert.That(loss.Significant && accuracy.Significant, "a 5-point gap beyond a 1-point spread is significant");
        Assert.That((loss.SignificantlyWorse, loss.SignificantlyBetter), Is.EqualTo((true, false)), "a higher loss is worse");
        Assert.That((accuracy.SignificantlyWorse, accuracy.SignificantlyBetter), Is.EqualTo((false, true)), "a higher accuracy is better");

        var results = new StudyResults([.. baseline.Runs, .. higher.Runs], higherIsBetter: true);
        Assert.That(results.Compare("g", "higher")!.SignificantlyBetter, Is.True, "the results compare in the study's direction");
    }

    [Test]
    public void Metrics_PrintTheirValuesAndDifferences()
    {
        Assert.That(StudyMetric.TextLoss.Format(2.34567), Is.EqualTo("2.3457"));
        Assert.That(StudyMetric.TextLoss.FormatDelta(-0.0123), Is.EqualTo("-0.0123"));
        Assert.That(StudyMetric.TestAccuracy.Format(0.98312), Is.EqualTo("98.31%"));
        Assert.That(StudyMetric.TestAccuracy.FormatDelta(-0.0123), Is.EqualTo("-1.23 points"));
        Assert.That(StudyMetric.TestAccuracy.Plotted(0.98), Is.EqualTo(0.02).Within(1e-12), "figures draw the error");
        Assert.That(StudyMetric.TextLoss.Format(double.NaN), Is.EqualTo("-"));
    }

    [Test]
    public void BestEvaluation_IsTheHighestAccuracy_OrTheLowestLoss()
    {
        string dir = CliRunner.TempDir("best");
        File.WriteAllLines(Path.Combine(dir, "metrics.csv"),
            ["step,loss,lr,grad_norm,img_per_s,elapsed_s,accuracy", "1,2.3,0,1,10,0.1,0.4", "2,2.1,0,1,10,0.2,0.9", "3,2.0,0,1,10,0.3,0.8"]);
        var run = new StudyRun("r", "g", "c", 1, 3, []);
        Assert.That(RunOutcome.Read(run, dir, higherIsBetter: true).BestVal, Is.EqualTo(0.9));
        Assert.That(RunOutcome.Read(run, dir).BestVal, Is.EqualTo(0.4));
        Assert.That(RunOutcome.Read(run, dir, higherIsBetter: true).FinalVal, Is.EqualTo(0.8));
    }
}
