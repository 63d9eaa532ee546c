// The architecture study's stability group: the quick study's table reports both instabilities (NaN and blown up),
// its baseline blows up at the calibrated learning rate, and the verdict judges the tricks on "finite and not blown
// up"; a run's blow-up is read from its metrics.csv (a spike above the first loss, or a final loss above ln V); the
// default plan holds the head dimension fixed in one heads configuration.
using DotGrad.Cli.Study;

namespace DotGrad.Tests.Cli;

public class ArchitectureStudyTests
{
    [Test]
    public void QuickStudy_StabilityTable_ReportsNaNAndBlowUp_AndTheBaselineBlowsUp()
    {
        string text = CliRunner.RequireData("tinyshakespeare.txt");
        string dir = CliRunner.TempDir("arch-study");
        var r = CliRunner.Run("study", "architecture", "--quick", "--text", text, "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        string report = File.ReadAllText(Path.Combine(dir, "report.md"));

        string stability = report[report.IndexOf("## stability", StringComparison.Ordinal)..report.IndexOf("## Runs", StringComparison.Ordinal)];
        Assert.That(stability, Does.Contain("| diverged (NaN) | blew up |"));
        Assert.That(stability, Does.Contain("constant learning rate of 1"));
        var baseline = stability.Split('\n').First(l => l.StartsWith("| baseline |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.That(baseline[4], Does.Contain("seed 1").And.Contain("seed 2"), "the quick baseline blows up in both seeds");

        string verdict = report[report.IndexOf("## Verdict", StringComparison.Ordinal)..report.IndexOf("## switches", StringComparison.Ordinal)];
        Assert.That(verdict, Does.Contain("blew up in 2 of 2 seeds, so the test of the stability tricks is meaningful"));
        Assert.That(verdict, Does.Contain("'--logit-cap 30 keeps training stable'"));
        Assert.That(verdict, Does.Contain("did not hold").Or.Contain("held, and it rescued"));
    }

    [Test]
    public void BlowUp_IsASpikeAboveTheFirstLoss_OrAFinalLossAboveLnV()
    {
        var run = new StudyRun("r", "stability", "baseline", 1, 3, []);
        RunOutcome Read(params string[] rows)
        {
            string dir = CliRunner.TempDir("blowup");
            File.WriteAllLines(Path.Combine(dir, "metrics.csv"), ["step,loss,lr,grad_norm,tok_per_s,elapsed_s,val_loss", .. rows]);
            return RunOutcome.Read(run, dir);
        }

        var calm = Read("1,4.2,1,1,100,0.1,", "2,3.9,1,1,100,0.2,", "3,3.5,1,1,100,0.3,3.6");
        Assert.That(calm.Status, Is.EqualTo(RunStatus.Finished));
        Assert.That(calm.BlewUp, Is.False);

        var spike = Read("1,4.2,1,1,100,0.1,", "2,9.0,1,1,100,0.2,", "3,3.5,1,1,100,0.3,3.6");
        Assert.That(spike.BlewUp, Is.True, "a spike of 4.8 nats above the first loss, even when it recovers");
        Assert.That((spike.PeakLoss, spike.PeakStep), Is.EqualTo((9.0, 2)));

        var nan = Read("1,4.2,1,1,100,0.1,", "2,NaN,1,1,100,0.2,");
        Assert.That(nan.Status, Is.EqualTo(RunStatus.Diverged));
        Assert.That(nan.BlewUp, Is.False, "NaN is reported on its own; no finite loss rose");
    }

    [Test]
    public void DefaultPlan_HasAHeadsPairAtAFixedHeadDimension()
    {
        var plan = new ArchitectureStudy().Plan(new StudyOptions(false, "t.txt", null));
        Assert.That(plan.Select(p => p.Config), Does.Contain("--heads 8 (head dim 8)").And.Contain("--heads 8 --width 128 (head dim 16)"));
        var wide = plan.First(p => p.Config == "--heads 8 --width 128 (head dim 16)");
        // width 128 / 8 heads = head dim 16, the baseline's 64 / 4; each option given once (the command line refuses repeats).
        Assert.That(string.Join(" ", wide.Args), Does.EndWith("--heads 8 --width 128 --seed 1"));
        foreach (var run in plan)
        {
            var options = run.Args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToList();
            Assert.That(options, Is.Unique, $"{run.Name} gives an option twice: {string.Join(" ", run.Args)}");
        }
        var stability = plan.First(p => p.Group == ArchitectureStudy.StabilityGroup);
        Assert.That(string.Join(" ", stability.Args), Does.Contain("--lr 1 --schedule constant --clip 0 --warmup 0"));
        var strain = plan.Where(p => p.Group == ArchitectureStudy.StrainGroup).ToArray();
        Assert.That(string.Join(" ", strain[0].Args), Does.Contain("--lr 0.03 --schedule constant --clip 0 --warmup 0"));
        Assert.That(strain.Select(p => p.Config).Distinct(), Is.EquivalentTo(new[] { "baseline", "--z-loss 1e-4", "--qk-norm", "--logit-cap 30", "--norm post" }));
    }
}
