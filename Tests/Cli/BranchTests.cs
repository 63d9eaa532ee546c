// --branch: a new run from another run's checkpoint, with a new --steps and --cooldown. A branch of a run at step k
// is that run up to k (its metrics rows are copied, and its schedule agrees there), then follows its own cooldown;
// a branch with the length and cooldown a run had from the start is that run, bit for bit; the source run is left
// untouched; any other change, or a schedule that would differ before the branch point, is a usage error.
using System.Globalization;
using System.Text.Json.Nodes;

namespace DotGrad.Tests.Cli;

public class BranchTests
{
    [Test]
    public void ABranch_WithTheLengthAndCooldownOfARun_IsThatRun_BitForBit()
    {
        string main = CliRunner.TempDir("main"), cooled = CliRunner.TempDir("cooled"), branch = CliRunner.TempDir("branch");
        string[] common = ["train", "--steps", "8", "--schedule", "rsqrt", .. CliRunner.Tiny];
        Assert.That(CliRunner.Run([.. common, "--save-every", "4", "--out", main]).ExitCode, Is.EqualTo(0));
        Assert.That(CliRunner.Run([.. common, "--cooldown", "4", "--out", cooled]).ExitCode, Is.EqualTo(0));
        var before = Snapshot(main);

        var r = CliRunner.Run("train", "--branch", Path.Combine(main, "checkpoints", "step-000004"), "--cooldown", "4", "--out", branch);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("Branching").And.Contain("at step 4").And.Contain("rows 1-4 copied"));

        var expected = Rows(cooled);
        var got = Rows(branch);
        Assert.That(got.Keys, Is.EqualTo(Enumerable.Range(1, 8)), "the branch's metrics.csv is whole: the source's rows 1-4, then its own");
        foreach (var (step, cells) in got)
        {
            Assert.That(cells[1], Is.EqualTo(expected[step][1]), $"step {step}: the loss (every bit)");
            Assert.That(cells[2], Is.EqualTo(expected[step][2]), $"step {step}: the learning rate");
            Assert.That(cells[7], Is.EqualTo(expected[step][7]), $"step {step}: the parameter norm");
        }
        string final = Path.Combine("checkpoints", "step-000008", "model.safetensors");
        Assert.That(File.ReadAllBytes(Path.Combine(branch, final)), Is.EqualTo(File.ReadAllBytes(Path.Combine(cooled, final))), "the same final weights");
        Assert.That(Snapshot(main), Is.EqualTo(before), "the source run is untouched");
    }

    [Test]
    public void AShorterBranch_FollowsTheRunToItsCheckpoint_ThenCoolsLinearlyToZero()
    {
        string main = CliRunner.TempDir("main-long"), branch = CliRunner.TempDir("branch-short");
        const double Lr = 0.003;
        Assert.That(CliRunner.Run(["train", "--steps", "20", "--schedule", "rsqrt", "--lr", "0.003", "--warmup", "0", "--save-every", "6", "--keep", "0", "--out", main, .. CliRunner.Tiny]).ExitCode,
                    Is.EqualTo(0));
        // Branch at k = 6 with a cooldown of c = 4: --steps k + c.
        var r = CliRunner.Run("train", "--branch", Path.Combine(main, "checkpoints", "step-000006"), "--steps", "10", "--cooldown", "4", "--out", branch);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

        var source = Rows(main);
        var rows = Rows(branch);
        Assert.That(rows.Keys, Is.EqualTo(Enumerable.Range(1, 10)));
        for (int step = 1; step <= 6; step++)
            Assert.That(rows[step][1], Is.EqualTo(source[step][1]), $"step {step}: the source run's loss");
        // Row 7 (0-based step 6) is the first after the branch point: the cooldown factor is still 1, so the rsqrt
        // decay alone sets its lr, with the source's timescale (a tenth of its 20 steps, not of the branch's 10).
        Assert.That(rows[7][2], Is.EqualTo(source[7][2]), "the rsqrt shape is the source's");
        double Lr_(int row) => double.Parse(rows[row][2], CultureInfo.InvariantCulture);
        double rsqrt(int step) => Lr / Math.Sqrt(1 + step / 2.0);
        for (int step = 6; step < 10; step++)
            Assert.That(Lr_(step + 1), Is.EqualTo(rsqrt(step) * (10 - step) / 4.0).Within(1e-15), $"step {step}: rsqrt x (10 - step) / 4, to 0 at step 10");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(branch, "checkpoints", "step-000010", "run.json")))!["settings"]!;
        Assert.That((run["Steps"]!.GetValue<int>(), run["Cooldown"]!.GetValue<int>(), run["RsqrtTimescale"]!.GetValue<double>()), Is.EqualTo((10, 4, 2.0)));
        Assert.That(Rows(main).Keys, Has.Count.EqualTo(20), "the source's metrics.csv is as it was");
    }

    [Test]
    public void BranchingAConstantRun_AtEachOfItsCheckpoints_GivesEveryLength()
    {
        string main = CliRunner.TempDir("main-constant");
        Assert.That(CliRunner.Run(["train", "--steps", "9", "--schedule", "constant", "--save-every", "3", "--out", main, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        foreach (int k in new[] { 3, 6 })
        {
            string branch = CliRunner.TempDir($"branch-{k}");
            var r = CliRunner.Run("train", "--branch", Path.Combine(main, "checkpoints", $"step-{k:D6}"), "--steps", $"{k + 2}", "--cooldown", "2", "--out", branch);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            var rows = Rows(branch);
            Assert.That(rows.Keys.Max(), Is.EqualTo(k + 2));
            double lr = double.Parse(rows[k][2], CultureInfo.InvariantCulture);
            Assert.That(new[] { rows[k + 1][2], rows[k + 2][2] }.Select(c => double.Parse(c, CultureInfo.InvariantCulture)),
                        Is.EqualTo(new[] { lr, lr / 2 }), "the last two steps at lr x 2/2 and x 1/2, reaching 0 after them");
        }
    }

    [Test]
    public void BadBranches_AreUsageErrors()
    {
        string main = CliRunner.TempDir("main-bad");
        Assert.That(CliRunner.Run(["train", "--steps", "8", "--schedule", "cosine", "--save-every", "4", "--out", main, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        string k4 = Path.Combine(main, "checkpoints", "step-000004"), elsewhere = CliRunner.TempDir("elsewhere");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--cooldown", "2"), "--out");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--cooldown", "2", "--lr", "0.1", "--out", elsewhere), "--lr");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--cooldown", "2", "--width", "32", "--out", elsewhere), "model options");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--cooldown", "2", "--out", Path.Combine(main, "branch")), "source run");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--resume", k4, "--out", elsewhere), "exclude each other");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--steps", "4", "--out", elsewhere), "--steps N with N > 4");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--steps", "6", "--cooldown", "2", "--out", elsewhere), "cosine decay is laid over the run's --steps");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--branch", k4, "--cooldown", "6", "--out", elsewhere), "the cooldown would start at step 2");
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty, "a refused branch writes nothing");
    }

    /// <summary>Step -> the cells of metrics.csv as written (round-trip text, so equal strings mean equal bits).</summary>
    private static Dictionary<int, string[]> Rows(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Skip(1)
            .Select(l => l.Split(','))
            .ToDictionary(c => int.Parse(c[0], CultureInfo.InvariantCulture));

    /// <summary>Every file of a run directory with its bytes, to tell whether anything changed.</summary>
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
                 .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
