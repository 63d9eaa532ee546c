// --keep N: a run keeps its N most recent checkpoints and the one with the best evaluation, so --save-every 1 cannot
// fill a disk; 0 keeps all; a run.json from before --keep existed keeps all.
using System.Globalization;

namespace DotGrad.Tests.Cli;

public class KeepCheckpointsTests
{
    [Test]
    public void ARun_KeepsItsMostRecentCheckpoints_AndTheBestEvaluated()
    {
        string dir = CliRunner.TempDir("keep");
        string[] tiny = [.. CliRunner.Tiny.Where((a, i) => a != "--eval-every" && (i == 0 || CliRunner.Tiny[i - 1] != "--eval-every"))];
        var r = CliRunner.Run(["train", "--steps", "12", "--save-every", "1", "--eval-every", "3", "--keep", "2", "--out", dir, .. tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var kept = Steps(dir);
        Assert.That(kept, Does.Contain(11).And.Contain(12), "the two most recent");
        // Evaluations at 3, 6, 9 and 12 (exact match: higher is better): the best of them stays too, if not among the recent.
        var evaluated = new[] { 3, 6, 9, 12 }.ToDictionary(s => s, s => Evaluation(dir, s));
        int best = evaluated.Where(e => e.Value is not null).OrderByDescending(e => e.Value).ThenBy(e => e.Key).First().Key;
        Assert.That(kept, Is.EquivalentTo(new[] { 11, 12, best }.Distinct()), $"evaluations {string.Join(", ", evaluated)}");
    }

    [Test]
    public void KeepZero_KeepsEveryCheckpoint_AndTheDefaultIsThree()
    {
        string all = CliRunner.TempDir("keep-all"), byDefault = CliRunner.TempDir("keep-default");
        Assert.That(CliRunner.Run(["train", "--steps", "6", "--save-every", "1", "--keep", "0", "--out", all, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        Assert.That(Steps(all), Is.EqualTo(Enumerable.Range(1, 6)));
        Assert.That(CliRunner.Run(["train", "--steps", "6", "--save-every", "1", "--out", byDefault, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        Assert.That(Steps(byDefault), Is.EqualTo(new[] { 4, 5, 6 }), "no evaluation before the end here, so only the 3 most recent");
    }

    [Test]
    public void NegativeKeep_IsAUserError() =>
        CliRunner.AssertUsageError(CliRunner.Run(["train", "--steps", "2", "--keep", "-1", "--out", CliRunner.TempDir("keep-bad"), .. CliRunner.Tiny]), "--keep must be 0");

    private static int[] Steps(string runDir) =>
        Directory.GetDirectories(Path.Combine(runDir, "checkpoints")).Select(Path.GetFileName)
            .Select(n => int.Parse(n!["step-".Length..], CultureInfo.InvariantCulture)).Order().ToArray();

    /// <summary>The evaluation metrics.csv recorded at <paramref name="step"/> (the 7th column), or null.</summary>
    private static double? Evaluation(string runDir, int step)
    {
        var row = File.ReadLines(Path.Combine(runDir, "metrics.csv")).Skip(1).Select(l => l.Split(',')).Single(c => c[0] == step.ToString(CultureInfo.InvariantCulture));
        return row[6].Length == 0 ? null : double.Parse(row[6], CultureInfo.InvariantCulture);
    }
}
