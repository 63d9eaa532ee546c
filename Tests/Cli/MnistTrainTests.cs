// dotgrad train vit|mixer|gmlp --mnist DIR: tiny runs of each model on MNIST write metrics, a plot and checkpoints
// that parse; a short ViT run is far above chance; --resume is exact for a vision model; bad data and options that do
// not fit the model are usage errors. The MNIST runs are skipped when ../shared/data/mnist is absent; the resume and
// bad-input tests use small hand-made IDX directories, so they run everywhere.
using System.Globalization;
using System.Text.Json.Nodes;
using SkiaSharp;
using DotGrad.Backends;

namespace DotGrad.Tests.Cli;

public class MnistTrainTests
{
    /// <summary>Small shapes of each model, for runs that test plumbing rather than learning.</summary>
    private static readonly Dictionary<string, string[]> TinyModel = new()
    {
        ["vit"] = ["--width", "16", "--depth", "1", "--heads", "2", "--mlp-hidden", "32"],
        ["mixer"] = ["--width", "16", "--depth", "1", "--mlp-hidden", "32", "--token-mlp-hidden", "8"],
        ["gmlp"] = ["--width", "16", "--depth", "1", "--mlp-hidden", "32"],
    };

    private string _synthetic = "";

    /// <summary>64 training and 20 test images, written once: enough for the plumbing, read in a blink.</summary>
    [OneTimeSetUp]
    public void WriteASmallMnistDirectory() =>
        _synthetic = IdxFiles.Directory(CliRunner.TempDir("synthetic-mnist"), train: 64, test: 20, gzip: true);

    [TestCase("vit")]
    [TestCase("mixer")]
    [TestCase("gmlp")]
    public void TinyRun_WritesMetricsPlotAndCheckpoints_ThatParse(string model)
    {
        string mnist = CliRunner.RequireDataDirectory("mnist"), dir = CliRunner.TempDir($"mnist-{model}");
        var r = CliRunner.Run(["train", model, "--mnist", mnist, "--steps", "30", "--batch", "32", "--eval-every", "15", "--save-every", "15",
                               "--out", dir, .. TinyModel[model]]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"model     {model}: width 16"));
        Assert.That(r.Out, Does.Contain("step 15: test accuracy").And.Contain("of 2000 test images"), "the periodic evaluation uses 2,000 test images");
        Assert.That(r.Out, Does.Match(@"result    test accuracy [\d.]+% \(\d+ of 10000 test images"), "the final one all 10,000");
        Assert.That(r.Out, Does.Not.Contain("dotgrad sample"), "an image classifier is not sampled");

        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.That(lines[0], Is.EqualTo("step,loss,lr,grad_norm,img_per_s,elapsed_s,accuracy,param_norm"));
        Assert.That(lines, Has.Length.EqualTo(31));
        foreach (var line in lines[1..])
            foreach (var cell in line.Split(',')[1..6])
                Assert.That(double.TryParse(cell, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v), Is.True, $"'{line}'");
        Assert.That(double.Parse(lines[15].Split(',')[6], CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0), "row 15 holds the periodic accuracy");
        Assert.That(double.Parse(lines[^1].Split(',')[6], CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0), "the last row the final accuracy");

        using (var png = SKBitmap.Decode(Path.Combine(dir, "loss.png")))
            Assert.That(png, Is.Not.Null, "loss.png decodes as an image");

        string checkpoints = Path.Combine(dir, "checkpoints");
        Assert.That(Directory.GetDirectories(checkpoints).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "step-000015", "step-000030" }),
                    "a checkpoint every 15 steps and no temporary directory left behind");
        string last = Path.Combine(checkpoints, "step-000030");
        Assert.That(Directory.GetFiles(last).Select(Path.GetFileName), Is.EquivalentTo(new[] { "model.safetensors", "optimizer.safetensors", "run.json" }));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(last, "run.json")))!;
        Assert.That(run["model"]!.GetValue<string>(), Is.EqualTo(model));
        Assert.That(run["task"]!["name"]!.GetValue<string>(), Is.EqualTo("mnist"));
        Assert.That(run["config"]!["ImageSize"]!.GetValue<int>(), Is.EqualTo(28));
        Assert.That(run["config"]!["Classes"]!.GetValue<int>(), Is.EqualTo(10));
        Assert.That(run["config"]!["Width"]!.GetValue<int>(), Is.EqualTo(16));
        Assert.That(run["step"]!.GetValue<int>(), Is.EqualTo(30));
        Assert.That(run["evaluation"]!.GetValue<string>(), Does.StartWith("test accuracy"));
        var weights = DotGrad.Safetensors.Load(Path.Combine(last, "model.safetensors"));
        Assert.That(weights["head.weight"].Shape, Is.EqualTo(new[] { 10, 16 }));
    }

    /// <summary>About 10 s: 150 steps of 64 take the default ViT from 10% to well past half of the test images.</summary>
    [Test]
    public void Vit_AfterAShortRun_ClassifiesMostTestImages()
    {
        string mnist = CliRunner.RequireDataDirectory("mnist"), dir = CliRunner.TempDir("mnist-short");
        var r = CliRunner.Run("train", "vit", "--mnist", mnist, "--steps", "150", "--batch", "64", "--eval-every", "0", "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var last = File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[^1].Split(',');
        Assert.That(double.Parse(last[6], CultureInfo.InvariantCulture), Is.GreaterThan(0.5), r.Out);
    }

    [Test]
    public void Resume_OfAVisionModel_GivesTheLossesOfAnUninterruptedRun_BitForBit()
    {
        const int N = 8;
        string whole = CliRunner.TempDir("vit-whole"), resumed = CliRunner.TempDir("vit-resumed");
        var a = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--steps", $"{N}", "--batch", "8", "--save-every", $"{N / 2}", "--eval-every", "0",
                               "--out", whole, .. TinyModel["vit"]]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        // No model name: the checkpoint says it is a vit.
        var b = CliRunner.Run("train", "--resume", Path.Combine(whole, "checkpoints", $"step-{N / 2:D6}"), "--out", resumed);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That(b.Out, Does.Contain($"at step {N / 2} of {N}").And.Contain("model     vit:"));

        var lossesWhole = Losses(whole);
        var lossesResumed = Losses(resumed);
        Assert.That(lossesResumed.Keys, Is.EqualTo(Enumerable.Range(N / 2 + 1, N / 2)));
        foreach (var (step, loss) in lossesResumed)
            Assert.That(loss, Is.EqualTo(lossesWhole[step]), $"step {step}: the loss (as written, every bit) differs");
        string final = Path.Combine("checkpoints", $"step-{N:D6}", "model.safetensors");
        Assert.That(File.ReadAllBytes(Path.Combine(resumed, final)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, final))), "the same final weights");

        CliRunner.AssertUsageError(CliRunner.Run("train", "gmlp", "--resume", whole, "--steps", "12"), "holds a vit");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", whole, "--prompt", "1"), "does not generate text");
    }

    [Test]
    public void ModelSwitches_ReachTheSavedConfig()
    {
        string dir = CliRunner.TempDir("vit-switches");
        var r = CliRunner.Run("train", "vit", "--mnist", _synthetic, "--steps", "2", "--batch", "4", "--eval-every", "0", "--out", dir,
                              "--width", "16", "--depth", "1", "--heads", "2", "--patch", "4", "--head", "map", "--positions", "sincos2d",
                              "--norm-kind", "rmsnorm", "--mlp", "swiglu", "--activation", "silu", "--qk-norm", "--agc", "0.01");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("patch 4 (49 tokens)").And.Contain("map head, sincos2d positions, pre-norm rmsnorm"));
        var c = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "checkpoints", "step-000002", "run.json")))!["config"]!;
        Assert.That(c["PatchSize"]!.GetValue<int>(), Is.EqualTo(4));
        Assert.That(c["Head"]!.GetValue<string>(), Is.EqualTo("Map"));
        Assert.That(c["Positions"]!.GetValue<string>(), Is.EqualTo("SinCos2d"));
        Assert.That(c["BlockOptions"]!["NormKind"]!.GetValue<string>(), Is.EqualTo("RmsNorm"));
        Assert.That(c["BlockOptions"]!["Mlp"]!.GetValue<string>(), Is.EqualTo("SwiGlu"));
        Assert.That(c["BlockOptions"]!["QkNorm"]!.GetValue<bool>(), Is.True);
        Assert.That(c.AsObject().ContainsKey("PatchCount"), Is.False, "derived properties are not saved");
    }

    [Test]
    public void OnOpenCL_ATinyVitRunTrains()
    {
        TestDevices.Require(Device.OpenCL(0));
        string dir = CliRunner.TempDir("vit-opencl");
        var r = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--steps", "2", "--batch", "4", "--eval-every", "0", "--device", "opencl:0",
                               "--out", dir, .. TinyModel["vit"]]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("device opencl:0").And.Contain("test accuracy"));
    }

    [Test]
    public void MissingMnistDirectory() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", "/no/such/mnist"), "does not exist");

    [Test]
    public void NoMnistOption() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "mixer"), "--mnist DIR");

    [Test]
    public void TruncatedIdxFile()
    {
        string dir = IdxFiles.Directory(CliRunner.TempDir("truncated"), train: 8, test: 4, gzip: false);
        string images = Path.Combine(dir, "train-images-idx3-ubyte");
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..1000]);
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", dir), "truncated");
    }

    [Test]
    public void ForeignFileInPlaceOfAnIdxFile()
    {
        string dir = IdxFiles.Directory(CliRunner.TempDir("foreign"), train: 8, test: 4, gzip: false);
        File.WriteAllText(Path.Combine(dir, "t10k-labels-idx1-ubyte"), "these are not the labels you are looking for");
        CliRunner.AssertUsageError(CliRunner.Run("train", "gmlp", "--mnist", dir), "IDX magic");
    }

    [Test]
    public void AMissingIdxFile()
    {
        string dir = IdxFiles.Directory(CliRunner.TempDir("incomplete"), train: 8, test: 4, gzip: true);
        File.Delete(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", dir), "train-labels-idx1-ubyte");
    }

    [Test]
    public void TextWithAVisionModel() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--text", "input.txt"), "--text applies to gpt");

    [Test]
    public void MnistWithGpt() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "gpt", "--mnist", _synthetic), "--mnist trains an image model");

    [Test]
    public void WidthNotDivisibleByHeads() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", _synthetic, "--width", "30", "--heads", "4", "--steps", "1"), "must divide");

    [Test]
    public void PatchNotDividingTheImages() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "mixer", "--mnist", _synthetic, "--patch", "5", "--steps", "1"), "1, 2, 4, 7, 14, 28");

    [Test]
    public void ASwitchTheModelDoesNotTake() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "mixer", "--mnist", _synthetic, "--heads", "2", "--steps", "1"), "--heads does not apply to mixer");

    [Test]
    public void AHeadOfTheWrongKind() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "vit", "--mnist", _synthetic, "--head", "tied", "--steps", "1"), "tok, gap, map");

    /// <summary>Step -> the loss exactly as metrics.csv has it (round-trip text, so equal strings mean equal bits).</summary>
    private static Dictionary<int, string> Losses(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Skip(1)
            .Select(l => l.Split(','))
            .ToDictionary(c => int.Parse(c[0], CultureInfo.InvariantCulture), c => c[1]);
}
