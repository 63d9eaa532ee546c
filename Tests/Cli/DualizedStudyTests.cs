// dotgrad study dualized: the quick study writes report.md with its table, figures, parameter-norm section and the
// computed verdict on the modula thread's claims; every run finished; each bisection run differs from the baseline
// in exactly one dualized switch.
using DotGrad.Cli.Study;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class DualizedStudyTests
{
    [Test]
    public void QuickDualizedStudy_WritesTheReport_WithTheParameterNorm()
    {
        string mnist = CliRunner.RequireDataDirectory("mnist");
        string dir = CliRunner.TempDir("study-dualized");
        var r = CliRunner.Run("study", "dualized", "--quick", "--mnist", mnist, "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

        string report = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (var section in new[] { "## Verdict", "## dualized", "## Parameter norm", "## Runs", "## Commands", "final test accuracy, mean (min-max)" })
            Assert.That(report, Does.Contain(section), section);
        foreach (var claim in new[] { "'momentum with dualized updates trails Adam a little on MNIST'", "'the dualized updates need a learning-rate warm-up'",
                                      "Of the three differences from Muon", "'the parameter norm grows many-fold under dualized updates'" })
            Assert.That(report, Does.Contain(claim), claim);
        foreach (var png in new[] { "dualized-steps.png", "dualized-time.png", "param-norm.png" })
        {
            Assert.That(report, Does.Contain($"]({png})"), png);
            using var bitmap = SKBitmap.Decode(Path.Combine(dir, png));
            Assert.That(bitmap, Is.Not.Null, $"{png} decodes as an image");
        }
        var norms = report[report.IndexOf("## Parameter norm", StringComparison.Ordinal)..report.IndexOf("## Runs", StringComparison.Ordinal)];
        Assert.That(norms.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && l.EndsWith(" x |", StringComparison.Ordinal)), Is.EqualTo(7),
                    "a growth for every configuration");
        var runs = report[report.IndexOf("## Runs", StringComparison.Ordinal)..report.IndexOf("## Commands", StringComparison.Ordinal)]
            .Split('\n').Where(l => l.StartsWith("| dualized-", StringComparison.Ordinal)).Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToArray();
        Assert.That(runs, Has.Length.EqualTo(14));
        foreach (var row in runs) Assert.That(row[2], Is.EqualTo("finished"), string.Join("|", row));
    }

    [Test]
    public void Bisection_SwitchesOneDifferenceEach()
    {
        var plan = new DualizedStudy().Plan(new StudyOptions(false, "t.txt", null, "mnist"));
        string[] Of(string config) => plan.First(p => p.Config == config).Args;
        var baseline = Of(DualizedStudy.Dualized);
        Assert.That(string.Join(" ", baseline), Does.Contain("--dualized --optimizer dualized --lr 0.1 --schedule cosine --warmup 0").And.Contain("--steps 1000"));
        foreach (var (config, extra) in new[] { (DualizedStudy.UniformTargets, "--dualized-targets uniform"), (DualizedStudy.AdamWVectors, "--dualized-vectors adamw"),
                                                (DualizedStudy.ClippedFan, "--dualized-fan clipped") })
            Assert.That(string.Join(" ", Of(config)), Is.EqualTo(string.Join(" ", baseline).Replace(" --seed 1", $" {extra} --seed 1")), config);
        Assert.That(Of(DualizedStudy.AdamWStandard), Does.Not.Contain("--dualized"), "the standard ViT");
        Assert.That(plan.Select(p => p.Seed).Distinct().Count(), Is.EqualTo(3));
    }
}
