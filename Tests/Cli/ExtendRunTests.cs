// Training a saved run on past its end: a longer --steps must not change the learning rate of a step already taken.
// A linear or cosine decay is laid over the run's length, so stretching it is refused (the README's recipe used to
// restart the schedule silently: the lr jumped back up); --extend trains on at the schedule's final rate instead;
// constant and rsqrt runs extend as they are (rsqrt keeping its timescale).
using System.Globalization;

namespace DotGrad.Tests.Cli;

public class ExtendRunTests
{
    private const double Lr = 0.003;

    [Test]
    public void ResumingACosineRun_WithALongerSteps_IsRefused_SayingWhatToDo()
    {
        string dir = Train("cosine-refused", "cosine", 8);
        var r = CliRunner.Run("train", "--resume", dir, "--steps", "16");
        CliRunner.AssertUsageError(r, "a cosine decay is laid over the run's 8 steps");
        Assert.That(r.Err, Does.Contain("--extend"));
        Assert.That(LearningRates(dir).Keys, Is.EqualTo(Enumerable.Range(1, 8)), "nothing was trained");
    }

    [TestCase("cosine")]
    [TestCase("linear")]
    public void Extend_TrainsOnAtTheScheduleFinalRate_AndKeepsTheStepsTaken(string schedule)
    {
        string dir = Train($"extend-{schedule}", schedule, 8);
        var before = LearningRates(dir);
        var r = CliRunner.Run("train", "--resume", dir, "--steps", "12", "--extend");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var after = LearningRates(dir);
        Assert.That(after.Keys, Is.EqualTo(Enumerable.Range(1, 12)));
        foreach (var (step, lr) in before)
            Assert.That(after[step], Is.EqualTo(lr), $"step {step} keeps its learning rate");
        for (int step = 9; step <= 12; step++)
            Assert.That(after[step], Is.EqualTo(0.1 * Lr).Within(1e-12), $"step {step} trains at the decay's end value, 0.1 x lr");
        // The extended run keeps its schedule: resuming it further needs no --extend.
        var again = CliRunner.Run("train", "--resume", dir, "--steps", "14");
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(LearningRates(dir)[14], Is.EqualTo(0.1 * Lr).Within(1e-12));
    }

    [TestCase("constant")]
    [TestCase("rsqrt")]
    public void ConstantAndRsqrtRuns_ExtendAsTheyAre(string schedule)
    {
        // The 8-step run's schedule, continued to 12 steps: rsqrt's timescale (a tenth of the
        // run's --steps unless pinned) is pinned at the first run's, so the whole curve is the 8-step run's, continued.
        string dir = Train($"grow-{schedule}", schedule, 8);
        var before = LearningRates(dir);
        var r = CliRunner.Run("train", "--resume", dir, "--steps", "12");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var after = LearningRates(dir);
        foreach (var (step, lr) in before)
            Assert.That(after[step], Is.EqualTo(lr), $"step {step} keeps its learning rate");
        var shape = DotGrad.Optim.Schedules.Create(schedule == "rsqrt" ? DotGrad.Optim.DecayKind.Rsqrt : DotGrad.Optim.DecayKind.Constant,
            12, warmup: 2, end: 0.1, timescale: 1);   // max(1, 8 / 10): the first run's timescale
        for (int step = 9; step <= 12; step++)
            Assert.That(after[step], Is.EqualTo(Lr * shape(step - 1)).Within(1e-12), $"step {step} continues the first run's curve");
    }

    [Test]
    public void ABranchOfAnExtendedRun_LaysItsScheduleOverItsOwnLength()
    {
        string dir = Train("extended-source", "constant", 8, "--save-every", "4");
        Assert.That(CliRunner.Run("train", "--resume", dir, "--steps", "12", "--extend").ExitCode, Is.EqualTo(0));
        string branch = CliRunner.TempDir("extended-branch");
        var r = CliRunner.Run("train", "--branch", Path.Combine(dir, "checkpoints", "step-000012"), "--steps", "16", "--cooldown", "4", "--out", branch);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var lr = LearningRates(branch);
        Assert.That(lr[12], Is.EqualTo(Lr).Within(1e-12), "the source's constant rate up to the branch point");
        Assert.That(lr[14], Is.LessThan(Lr), "the cooldown over the branch's last 4 steps (step 13 is its first, at full rate)");
        Assert.That(lr[16], Is.LessThan(lr[14]));
    }

    [Test]
    public void Extend_IsRefused_WithoutResume_WithoutALongerRun_AndAfterACooldown()
    {
        CliRunner.AssertUsageError(CliRunner.Run(["train", "--steps", "2", "--extend", "--out", CliRunner.TempDir("extend-fresh"), .. CliRunner.Tiny]),
            "--extend applies to --resume");
        string dir = Train("extend-short", "cosine", 8);
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", dir, "--steps", "8", "--extend"), "pass --steps N with N > 8");
        string cooled = Train("extend-cooled", "constant", 8, "--cooldown", "2");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", cooled, "--steps", "12", "--extend"), "cooldown to a learning rate of 0");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", cooled, "--steps", "12"), "the run's cooldown started at step 6");
    }

    private static string Train(string name, string schedule, int steps, params string[] extra)
    {
        string dir = CliRunner.TempDir(name);
        var r = CliRunner.Run(["train", "--steps", $"{steps}", "--warmup", "2", "--schedule", schedule, "--lr", $"{Lr}", "--out", dir, .. extra, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return dir;
    }

    /// <summary>metrics.csv's lr column by step.</summary>
    private static Dictionary<int, double> LearningRates(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => int.Parse(c[0], CultureInfo.InvariantCulture), c => double.Parse(c[2], CultureInfo.InvariantCulture));
}
