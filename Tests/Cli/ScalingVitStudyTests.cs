// dotgrad study scaling-vit: the quick study writes report.md with every group's table and figure, the optimizer
// memory, the few-shot probes, the head memory, the schedules by length and the scaling fit; every run finished; the
// schedules' cooldown branches name checkpoints their main run writes; the error-compute frontier keeps only the
// points no cheaper point beats.
using DotGrad.Cli.Study;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class ScalingVitStudyTests
{
    [Test]
    public void QuickScalingVitStudy_WritesTheReport_WithEveryGroupAndMeasurement()
    {
        string mnist = CliRunner.RequireDataDirectory("mnist");
        string dir = CliRunner.TempDir("study-scaling-vit");
        var r = CliRunner.Run("study", "scaling-vit", "--quick", "--mnist", mnist, "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

        string report = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (var section in new[] { "## Verdict", "## optimizers", "## head-decay", "## heads", "## schedules", "## scaling", "## Optimizer memory",
                                        "## Few-shot transfer", "## Head memory", "## Schedules by training length", "## Scaling", "## Runs", "## Commands",
                                        "final test accuracy, mean (min-max)", "images/s" })
            Assert.That(report, Does.Contain(section), section);
        foreach (var claim in new[] { "'the modified Adafactor performs on par with Adam or better'", "'Adafactor as published does not work out of the box'",
                                      "'the modified Adafactor needs about 50% of the parameters' memory", "'a high head weight decay lowers upstream accuracy'",
                                      "'a high head weight decay raises few-shot transfer'", "'the class token, GAP and MAP heads perform similarly'",
                                      "'GAP and MAP heads need less memory than the class token'", "'linear decay is best when the length is known'",
                                      "'the largest model benefits from more data'" })
            Assert.That(report, Does.Contain(claim), claim);
        Assert.That(report, Does.Contain("dotgrad train vit --branch ").And.Contain("--head-weight-decay 3e-2").And.Contain("--labels 0-4")
                                .And.Contain("--train-examples 600").And.Contain("--optimizer adafactor-paper"), "the exact commands");
        foreach (var png in new[] { "optimizers-steps.png", "head-decay-time.png", "heads-steps.png", "schedules-steps.png", "scaling-steps.png", "schedules-lengths.png" })
        {
            Assert.That(report, Does.Contain($"]({png})"), png);
            using var bitmap = SKBitmap.Decode(Path.Combine(dir, png));
            Assert.That(bitmap, Is.Not.Null, $"{png} decodes as an image");
        }

        // Every run the report names finished, and each probed run left its probe.json.
        var rows = report[report.IndexOf("## Runs", StringComparison.Ordinal)..report.IndexOf("## Commands", StringComparison.Ordinal)]
            .Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| run ", StringComparison.Ordinal) && !l.StartsWith("| ---", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToArray();
        Assert.That(rows, Has.Length.EqualTo(new ScalingVitStudy().Plan(new StudyOptions(true, "t.txt", null, mnist)).Count));
        foreach (var row in rows) Assert.That(row[2], Is.EqualTo("finished"), string.Join("|", row));
        foreach (var probed in rows.Where(row => row[1].StartsWith("head-decay-", StringComparison.Ordinal)))
            Assert.That(File.Exists(Path.Combine(dir, probed[1], "probe.json")), probed[1]);
    }

    [Test]
    public void Branches_StartFromCheckpointsTheirMainRunWrites()
    {
        var plan = new ScalingVitStudy().Plan(new StudyOptions(false, "t.txt", null, "mnist"));
        var branches = plan.Where(p => p.Args.Contains("--branch")).ToArray();
        Assert.That(branches, Has.Length.EqualTo(2 * 3 * 2), "rsqrt and constant, three lengths, two seeds");
        foreach (var b in branches)
        {
            string checkpoint = b.Args[Array.IndexOf(b.Args, "--branch") + 1];
            string main = checkpoint.Split(Path.DirectorySeparatorChar)[1];
            int at = int.Parse(Path.GetFileName(checkpoint)["step-".Length..]);
            var source = plan.Single(p => p.Name == main);
            Assert.That(plan.ToList().IndexOf(source), Is.LessThan(plan.ToList().IndexOf(b)), "the main run comes first");
            int saveEvery = int.Parse(source.Args[Array.IndexOf(source.Args, "--save-every") + 1]);
            Assert.That(at % saveEvery, Is.EqualTo(0), $"{b.Name}: the main run keeps step {at}");
            Assert.That(source.Args[Array.IndexOf(source.Args, "--keep") + 1], Is.EqualTo("0"), $"{main}: keeps every checkpoint for its branches");
            Assert.That(at, Is.LessThanOrEqualTo(source.Steps));
            int cooldown = int.Parse(b.Args[Array.IndexOf(b.Args, "--cooldown") + 1]);
            Assert.That(at + cooldown, Is.EqualTo(b.Steps), $"{b.Name}: the cooldown starts where it branches");
        }
    }

    [Test]
    public void Frontier_KeepsThePointsNoCheaperPointBeats()
    {
        ScalingVitStudy.ScalingPoint P(double c, double e) => new("m", 100, 10, c, e);
        var frontier = ScalingVitStudy.Frontier([P(1, 0.5), P(2, 0.6), P(3, 0.4), P(3, 0.45), P(4, 0.4), P(5, 0.1)]);
        Assert.That(frontier.Select(p => (p.Compute, p.Error)), Is.EqualTo(new[] { (1.0, 0.5), (3.0, 0.4), (5.0, 0.1) }));
    }
}
