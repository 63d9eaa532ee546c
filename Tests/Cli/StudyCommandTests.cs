// dotgrad study: the quick architecture study runs and writes report.md with its tables, PNGs, commands and verdict,
// every run it names finished (or diverged, recorded); the same --out again skips finished runs and redoes the
// others; --list; an unknown study and a missing data file (text, or an MNIST directory) are usage errors.
using DotGrad.Cli;
using DotGrad.Cli.Commands;
using DotGrad.Cli.Study;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class StudyCommandTests
{
    [Test]
    public void QuickArchitectureStudy_WritesTheReport_AndResumeSkipsFinishedRuns()
    {
        string text = CliRunner.RequireData("tinyshakespeare.txt");
        string dir = CliRunner.TempDir("study");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var r = CliRunner.Run("study", "architecture", "--quick", "--text", text, "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(watch.Elapsed.TotalSeconds, Is.LessThan(60), "the quick study is meant to take well under a minute");
        Assert.That(r.Out, Does.Contain("estimate"));

        string report = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (var section in new[] { "## Machine", "## Verdict", "## switches", "## stability", "## strain", "## Runs", "## Commands", "| cores |", "| .NET |" })
            Assert.That(report, Does.Contain(section), section);
        Assert.That(report, Does.Contain("final val loss, mean (min-max)"));
        Assert.That(report, Does.Contain("held").Or.Contain("did not hold"), "the verdict judges claims");
        Assert.That(report, Does.Contain("--qk-norm helps at a learning rate that strains the baseline'"), "the strain group is judged");
        Assert.That(report, Does.Contain("dotgrad train gpt --text"), "the exact command of every run");
        foreach (var png in new[] { "switches-steps.png", "switches-time.png", "stability-steps.png", "stability-time.png", "strain-steps.png", "strain-time.png" })
        {
            Assert.That(report, Does.Contain($"]({png})"));
            using var bitmap = SKBitmap.Decode(Path.Combine(dir, png));
            Assert.That(bitmap, Is.Not.Null, $"{png} decodes as an image");
        }

        // Every run the report names finished (metrics to the last step) or diverged (a NaN row).
        var runs = report[report.IndexOf("## Runs", StringComparison.Ordinal)..report.IndexOf("## Commands", StringComparison.Ordinal)]
            .Split('\n').Where(l => l.StartsWith("| switches-", StringComparison.Ordinal) || l.StartsWith("| stability-", StringComparison.Ordinal)
                        || l.StartsWith("| strain-", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToArray();
        Assert.That(runs, Has.Length.EqualTo(22));
        foreach (var row in runs)
        {
            Assert.That(row[2], Does.StartWith("finished").Or.StartWith("diverged at step"), string.Join("|", row));
            Assert.That(File.Exists(Path.Combine(dir, row[1], "metrics.csv")), row[1]);
        }
        Assert.That(runs.Count(r => r[2] == "finished"), Is.GreaterThan(0));

        // Resume: one run's metrics removed; the study redoes that one only.
        File.Delete(Path.Combine(dir, "switches-rope-seed2", "metrics.csv"));
        var again = CliRunner.Run("study", "architecture", "--quick", "--text", text, "--out", dir);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(again.Out, Does.Contain("21 of 22 runs already finished"));
        Assert.That(again.Out.Split('\n').Count(l => l.EndsWith("skipped", StringComparison.Ordinal)), Is.EqualTo(21), again.ToString());
        Assert.That(again.Out, Does.Contain("run 8 of 22: switches-rope-seed2\n"));
        Assert.That(File.Exists(Path.Combine(dir, "switches-rope-seed2", "metrics.csv")));
    }

    [Test]
    public void List_NamesTheArchitectureStudy()
    {
        var r = CliRunner.Run("study", "--list");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.StartWith("architecture "));
    }

    [Test]
    public void UnknownStudy_IsAUsageError_ListingTheKnownOnes()
    {
        var r = CliRunner.Run("study", "optimizers-galore");
        CliRunner.AssertUsageError(r, "optimizers-galore");
        Assert.That(r.Err, Does.Contain("architecture"));
    }

    [Test]
    public void MissingTextFile_IsAUsageError_NamingItAndWhereToGetIt()
    {
        string missing = Path.Combine(CliRunner.TempDir("study-missing"), "nowhere.txt");
        var r = CliRunner.Run("study", "architecture", "--quick", "--text", missing);
        CliRunner.AssertUsageError(r, "nowhere.txt");
        Assert.That(r.Err, Does.Contain("tinyshakespeare"));
    }

    /// <summary>A study that needs MNIST, to test the data check before any such study exists in the list.</summary>
    private sealed class MnistNeedingStudy : Study
    {
        public override string Name => "mnist-probe";
        public override string Summary => "needs MNIST";
        public override string Question => "none";
        public override StudyData Data => StudyData.Mnist;
    }

    [Test]
    public void MissingMnist_IsAUserError_NamingTheDirectoryAndWhereToGetIt()
    {
        string dir = CliRunner.TempDir("study-mnist");
        var study = new MnistNeedingStudy();
        string absent = Path.Combine(dir, "no-mnist-here");
        var e = Assert.Throws<UserError>(() => StudyCommand.CheckData(study, new StudyOptions(true, "unused.txt", null, absent)));
        Assert.That(e!.Message, Does.Contain("no-mnist-here").And.Contain("does not exist").And.Contain("--mnist DIR").And.Contain("train-images-idx3-ubyte"));

        // Three of the four files (one raw, two gzipped): the fourth is named as missing.
        foreach (var f in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz" })
            File.WriteAllBytes(Path.Combine(dir, f), [0]);
        e = Assert.Throws<UserError>(() => StudyCommand.CheckData(study, new StudyOptions(true, "unused.txt", null, dir)));
        Assert.That(e!.Message, Does.Contain("lacks t10k-labels-idx1-ubyte").And.Not.Contain("lacks train"));

        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), [0]);
        // All four there; the text file is missing, but the text check belongs to the text studies only.
        Assert.DoesNotThrow(() => StudyCommand.CheckData(study, new StudyOptions(true, "unused.txt", null, dir)), "all four files present");
        Assert.That(new StudyOptions(true, "t.txt", null).MnistDir, Is.EqualTo(Studies.DefaultMnist));
    }
}
