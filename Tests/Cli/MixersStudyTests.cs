// dotgrad study mixers: the quick study writes report.md with its tables, PNGs and verdict, every run finished or
// diverged, and every run's model within 5% of the same parameter count; the default plan matches its counts too;
// --sm3-momentum is accepted for sm3 and refused for the other optimizers.
using System.Globalization;
using System.Text.Json.Nodes;
using DotGrad.Cli.Study;
using DotGrad.Models;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class MixersStudyTests
{
    [Test]
    public void QuickMixersStudy_WritesTheReport_WithMatchedParameterCounts()
    {
        string text = CliRunner.RequireData("tinyshakespeare.txt");
        string dir = CliRunner.TempDir("study-mixers");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var r = CliRunner.Run("study", "mixers", "--quick", "--text", text, "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(watch.Elapsed.TotalSeconds, Is.LessThan(60), "the quick study is meant to take well under a minute");

        string report = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (var section in new[] { "## Verdict", "## mixers", "## optimizers", "## Sizes and memory", "## Runs", "## Commands", "mixing memory", "optimizer state" })
            Assert.That(report, Does.Contain(section), section);
        foreach (var claim in new[] { "'an MLP-Mixer converges best'", "'the Mixer runs faster'", "'the Mixer uses the least memory'",
                                      "'gMLP is unstable (NaN)'", "'attention is a strong baseline'", "'SM3 with Nesterov momentum beats Adam" })
            Assert.That(report, Does.Contain(claim), claim);
        Assert.That(report, Does.Contain("dotgrad train lm --text"), "the exact command of every run");
        foreach (var png in new[] { "mixers-steps.png", "mixers-time.png", "optimizers-steps.png", "optimizers-time.png" })
        {
            Assert.That(report, Does.Contain($"]({png})"));
            using var bitmap = SKBitmap.Decode(Path.Combine(dir, png));
            Assert.That(bitmap, Is.Not.Null, $"{png} decodes as an image");
        }

        var runs = report[report.IndexOf("## Runs", StringComparison.Ordinal)..report.IndexOf("## Commands", StringComparison.Ordinal)]
            .Split('\n').Where(l => l.StartsWith("| mixers-", StringComparison.Ordinal) || l.StartsWith("| optimizers-", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToArray();
        Assert.That(runs, Has.Length.EqualTo(12));
        var counts = new List<long>();
        foreach (var row in runs)
        {
            Assert.That(row[2], Does.StartWith("finished").Or.StartWith("diverged at step"), string.Join("|", row));
            // The parameter count from the run's own checkpoint: the config it trained, counted by the model's formula.
            string runJson = Directory.GetFiles(Path.Combine(dir, row[1], "checkpoints"), "run.json", SearchOption.AllDirectories).Single();
            var config = JsonNode.Parse(File.ReadAllText(runJson))!["config"]!;
            var c = new MixerLmConfig(config["VocabSize"]!.GetValue<int>(), config["ContextLength"]!.GetValue<int>(), config["Width"]!.GetValue<int>(),
                                      config["Depth"]!.GetValue<int>(), Enum.Parse<TokenMixerKind>(config["Mixer"]!.ToString()), config["Heads"]!.GetValue<int>(),
                                      config["MlpHidden"]!.GetValue<int>(), config["ReZero"]!.GetValue<bool>());
            counts.Add(c.ParameterCount());
        }
        Assert.That(runs.Count(r => r[2] == "finished"), Is.GreaterThan(0));
        Assert.That(counts.Max() / (double)counts.Min(), Is.LessThan(1.05 / 0.95), string.Join(", ", counts));
        foreach (long n in counts) Assert.That(Math.Abs(n - 24_000) / 24_000.0, Is.LessThanOrEqualTo(0.05), n.ToString(CultureInfo.InvariantCulture));
    }

    [Test]
    public void DefaultPlan_MatchesEveryMixerWithin5Percent_AndNamesEveryMixer()
    {
        var study = (TrainingStudy)Studies.Find("mixers")!;
        var plan = study.Plan(new StudyOptions(Quick: false, Path.Combine("nowhere", "tiny.txt"), null));  // vocabulary 65 when absent
        Assert.That(plan.Select(p => p.Config).Distinct(), Is.EquivalentTo(new[]
        {
            "attention", "mixer", "mixer h=4", "gmlp", "gmlp-tanh", "synthesizer-dense", "synthesizer-random", "container",
            "mixer --rezero", "gmlp --rezero", "adam", "sm3 nesterov",
        }));
        foreach (var run in plan)
        {
            string Arg(string name) => run.Args[Array.LastIndexOf(run.Args, name) + 1];
            int I(string name) => int.Parse(Arg(name), CultureInfo.InvariantCulture);
            var kind = DotGrad.Cli.Training.MixerLmModel.Mixers.First(m => m.Word == Arg("--mixer")).Value;
            var c = new MixerLmConfig(65, I("--context"), I("--width"), I("--depth"), kind, I("--mixer-heads"), I("--mlp-hidden"), run.Args.Contains("--rezero"));
            Assert.That(Math.Abs(c.ParameterCount() - 320_000) / 320_000.0, Is.LessThanOrEqualTo(0.05), run.Name);
            Assert.That(Arg("--context"), Is.EqualTo("128"));
        }
        Assert.That(plan.Sum(p => p.Steps) * study.SecondsPerStep(new StudyOptions(false, "", null)), Is.LessThan(30 * 60), "the default fits in 30 minutes");
    }

    [Test]
    public void Sm3Momentum_IsRefusedForOtherOptimizers()
    {
        string dir = CliRunner.TempDir("sm3-momentum");
        string text = Path.Combine(dir, "tiny.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat.\n", 20)));
        CliRunner.AssertUsageError(CliRunner.Run("train", "lm", "--text", text, "--context", "8", "--optimizer", "adam", "--sm3-momentum", "nesterov"),
                                   "--sm3-momentum applies to --optimizer sm3 only");
        CliRunner.AssertUsageError(CliRunner.Run("train", "lm", "--text", text, "--context", "8", "--optimizer", "sm3", "--sm3-momentum", "nag"),
                                   "--sm3-momentum 'nag' is not one of");
        var ok = CliRunner.Run("train", "lm", "--text", text, "--context", "8", "--width", "16", "--depth", "1", "--batch", "2", "--steps", "2",
                               "--eval-every", "0", "--optimizer", "sm3", "--sm3-momentum", "nesterov", "--out", Path.Combine(dir, "run"));
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.ToString());
    }
}
