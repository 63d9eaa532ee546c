// dotgrad train vit --dualized and the dualized optimizer's switches: the model line and run.json say what was built,
// the optimizer line and run.json what the switches resolved to, --resume continues such a run bit for bit, and the
// switches are refused where they do not apply. The MNIST run is skipped when ../shared/data/mnist is absent.
using System.Globalization;
using System.Text.Json.Nodes;

namespace DotGrad.Tests.Cli;

public class DualizedTrainTests
{
    private static readonly string[] Tiny = ["--width", "16", "--depth", "2", "--heads", "2", "--mlp-hidden", "32", "--eval-every", "0"];

    private string _synthetic = "";

    [OneTimeSetUp]
    public void WriteASmallMnistDirectory() =>
        _synthetic = IdxFiles.Directory(CliRunner.TempDir("dualized-mnist"), train: 64, test: 20, gzip: true);

    private static JsonNode RunJson(string dir, int step) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "checkpoints", $"step-{step:D6}", "run.json")))!;

    [Test]
    public void Dualized_BuildsThePortsBlocks_WithItsPositionsAndHead_AndPerLayerTargets()
    {
        string dir = CliRunner.TempDir("vit-dualized");
        var r = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--dualized", "--optimizer", "dualized", "--steps", "2", "--batch", "4",
                               "--out", dir, .. Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("gap head, sincos2d positions, dualized: 1/d attention x 1/3, pre-norm layernorm, serial, scaled residual, plain mlp, scaled-gelu"));
        Assert.That(r.Out, Does.Contain("optimizer dualized: lr 0.1,").And.Contain("targets per-layer, vectors dualized, fan raw"),
                    "per-layer targets get modula's lr 0.1 when no --lr is given");
        var run = RunJson(dir, 2);
        Assert.That(run["settings"]!["Lr"]!.GetValue<double>(), Is.EqualTo(0.1));
        Assert.That(run["config"]!["Dualized"]!.GetValue<bool>(), Is.True);
        Assert.That(run["config"]!["Head"]!.GetValue<string>(), Is.EqualTo("Gap"));
        Assert.That(run["config"]!["Positions"]!.GetValue<string>(), Is.EqualTo("SinCos2d"));
        Assert.That(run["settings"]!["DualizedTargets"]!.GetValue<string>(), Is.EqualTo("per-layer"));
        Assert.That(run["settings"]!["DualizedVectors"]!.GetValue<string>(), Is.EqualTo("dualized"));
        Assert.That(run["settings"]!["DualizedFan"]!.GetValue<string>(), Is.EqualTo("raw"));
    }

    [Test]
    public void Dualized_GivenPositionsAndHead_Win_AndOtherOptimizersLeaveTheSwitchesOut()
    {
        string dir = CliRunner.TempDir("vit-dualized-tok");
        var r = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--dualized", "--head", "tok", "--positions", "learned", "--steps", "1",
                               "--batch", "4", "--out", dir, .. Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("tok head, learned positions, dualized"));
        Assert.That(r.Out, Does.Not.Contain("targets "), "adamw has no dualized switches");
        Assert.That(RunJson(dir, 1)["settings"]!["DualizedTargets"], Is.Null);
    }

    [Test]
    public void TheStandardVit_WithTheDualizedOptimizer_DefaultsToUniformTargets()
    {
        string dir = CliRunner.TempDir("vit-standard-dualized");
        var r = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--optimizer", "dualized", "--dualized-fan", "clipped", "--steps", "1", "--batch", "4",
                               "--out", dir, .. Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("optimizer dualized: lr 0.02,").And.Contain("targets uniform, vectors dualized, fan clipped"));
    }

    [TestCase("per-layer", "adamw", "clipped")]
    [TestCase("uniform", "dualized", "raw")]
    public void Resume_WithEverySwitch_GivesTheLossesOfAnUninterruptedRun_BitForBit(string targets, string vectors, string fan)
    {
        const int N = 6;
        string whole = CliRunner.TempDir($"dualized-whole-{targets}"), resumed = CliRunner.TempDir($"dualized-resumed-{targets}");
        var a = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--dualized", "--optimizer", "dualized", "--lr", "0.1",
                               "--dualized-targets", targets, "--dualized-vectors", vectors, "--dualized-fan", fan,
                               "--steps", $"{N}", "--batch", "8", "--save-every", $"{N / 2}", "--out", whole, .. Tiny]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(a.Out, Does.Contain($"targets {targets}, vectors {vectors}, fan {fan}"));
        var b = CliRunner.Run("train", "--resume", Path.Combine(whole, "checkpoints", $"step-{N / 2:D6}"), "--out", resumed);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That(b.Out, Does.Contain($"targets {targets}, vectors {vectors}, fan {fan}").And.Contain("dualized: 1/d attention"));

        var lossesWhole = Losses(whole);
        var lossesResumed = Losses(resumed);
        Assert.That(lossesResumed.Keys, Is.EqualTo(Enumerable.Range(N / 2 + 1, N / 2)));
        foreach (var (step, loss) in lossesResumed)
            Assert.That(loss, Is.EqualTo(lossesWhole[step]), $"step {step}: the loss differs");
        string final = Path.Combine("checkpoints", $"step-{N:D6}", "model.safetensors");
        Assert.That(File.ReadAllBytes(Path.Combine(resumed, final)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, final))), "the same final weights");

        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", whole, "--steps", "9", "--dualized-fan", "raw"), "--dualized-fan");
    }

    [Test]
    public void OnMnist_ADualizedVitTrains()
    {
        string mnist = CliRunner.RequireDataDirectory("mnist"), dir = CliRunner.TempDir("mnist-dualized");
        var r = CliRunner.Run(["train", "vit", "--mnist", mnist, "--dualized", "--optimizer", "dualized", "--warmup", "0",
                               "--steps", "100", "--batch", "32", "--out", dir, .. Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var last = File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[^1].Split(',');
        double accuracy = double.Parse(last[6], CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine($"test accuracy after 100 steps: {accuracy}");
        Assert.That(accuracy, Is.GreaterThan(0.25), "well above chance (0.1) after 100 steps (39% when measured; the first 40 steps sit near ln 10)");
    }

    [Test]
    public void ASwitchWithAnotherOptimizer() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", _synthetic, "--optimizer", "muon", "--dualized-fan", "clipped", "--steps", "1"),
                                   "--dualized-fan applies to --optimizer dualized only");

    [TestCase("--dualized-targets", "layerwise", "per-layer, uniform")]
    [TestCase("--dualized-vectors", "lion", "dualized, adamw")]
    [TestCase("--dualized-fan", "max", "raw, clipped")]
    public void AnUnknownWord(string option, string word, string words) =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", _synthetic, "--optimizer", "dualized", option, word, "--steps", "1"), words);

    [Test]
    public void PerLayerTargetsOnAModelWithoutAModularRule() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "mixer", "--mnist", _synthetic, "--optimizer", "dualized", "--dualized-targets", "per-layer",
                                                 "--steps", "1"), "per-layer targets are defined for");

    [Test]
    public void DualizedWithAResidualOrActivationItWouldOverride() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", _synthetic, "--dualized", "--residual", "standard", "--steps", "1"),
                                   "--residual does not combine with --dualized");

    [Test]
    public void DualizedOnAModelThatHasNoDualizedBlocks() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "mixer", "--mnist", _synthetic, "--dualized", "--steps", "1"), "--dualized does not apply to mixer");

    private static Dictionary<int, string> Losses(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Skip(1)
            .Select(l => l.Split(','))
            .ToDictionary(c => int.Parse(c[0], CultureInfo.InvariantCulture), c => c[1]);
}
