// dotgrad probe: end to end on a tiny ViT, Mixer and gMLP checkpoint (a small hand-made MNIST directory, so it runs
// everywhere): the table, the JSON results, repeatable draws; on the real MNIST when it is there; and usage errors for
// a checkpoint that is no image model, bad lists and more shots than there are images.
using System.Text.Json.Nodes;

namespace DotGrad.Tests.Cli;

public class ProbeCommandTests
{
    private static readonly Dictionary<string, string[]> TinyModel = new()
    {
        ["vit"] = ["--width", "16", "--depth", "1", "--heads", "2", "--mlp-hidden", "32"],
        ["mixer"] = ["--width", "16", "--depth", "1", "--mlp-hidden", "32", "--token-mlp-hidden", "8"],
        ["gmlp"] = ["--width", "16", "--depth", "1", "--mlp-hidden", "32"],
    };

    private string _mnist = "";
    private readonly Dictionary<string, string> _runs = [];

    /// <summary>100 training images (10 of each digit) and 50 test images (5 of each), each digit a bright column of its own.</summary>
    [OneTimeSetUp]
    public void WriteASmallMnistDirectory() =>
        _mnist = IdxFiles.Directory(CliRunner.TempDir("probe-mnist"), train: 100, test: 50, gzip: false);

    /// <summary>A two-step run of <paramref name="model"/> on the small MNIST, trained once per fixture.</summary>
    private string Run(string model)
    {
        if (_runs.TryGetValue(model, out var dir)) return dir;
        dir = CliRunner.TempDir($"probe-{model}");
        var r = CliRunner.Run(["train", model, "--mnist", _mnist, "--steps", "2", "--batch", "8", "--eval-every", "0", "--out", dir, .. TinyModel[model]]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return _runs[model] = dir;
    }

    [TestCase("vit")]
    [TestCase("mixer")]
    [TestCase("gmlp")]
    public void Probe_PrintsATable_AndWritesTheResultsAsJson(string model)
    {
        string run = Run(model), json = Path.Combine(CliRunner.TempDir("probe-out"), "sub", "probe.json");
        var r = CliRunner.Run("probe", "--checkpoint", run, "--labels", "5-9", "--shots", "1,5", "--draws", "3", "--seed", "1", "--out", json);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"probe     {model} features (width 16)"));
        Assert.That(r.Out, Does.Contain("digits    5-9: 5 classes, chance 20.0%; 25 test images"));
        Assert.That(r.Out, Does.Contain("mean accuracy"));
        Assert.That(r.Out, Does.Contain($"results   {json}"));

        var root = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.That(File.Exists(json + ".tmp"), Is.False, "written through a temporary file that is renamed");
        Assert.That(root["model"]!.GetValue<string>(), Is.EqualTo(model));
        Assert.That(root["labels"]!.AsArray().Select(n => n!.GetValue<int>()), Is.EqualTo(new[] { 5, 6, 7, 8, 9 }));
        Assert.That(root["test_images"]!.GetValue<int>(), Is.EqualTo(25));
        Assert.That(root["chance"]!.GetValue<double>(), Is.EqualTo(0.2));
        var results = root["results"]!.AsArray();
        Assert.That(results.Select(n => n!["shots"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 5 }));
        foreach (var result in results)
        {
            var accuracies = result!["accuracies"]!.AsArray().Select(a => a!.GetValue<double>()).ToArray();
            Assert.That(result["draws"]!.GetValue<int>(), Is.EqualTo(3));
            Assert.That(accuracies, Has.Length.EqualTo(3).And.All.InRange(0.0, 1.0));
            Assert.That(result["mean"]!.GetValue<double>(), Is.EqualTo(accuracies.Average()).Within(1e-12));
            Assert.That(result["min"]!.GetValue<double>(), Is.EqualTo(accuracies.Min()));
            Assert.That(result["max"]!.GetValue<double>(), Is.EqualTo(accuracies.Max()));
        }
        // Every digit is a column of its own: even a barely trained body's features tell them apart from five examples.
        Assert.That(results[1]!["mean"]!.GetValue<double>(), Is.GreaterThan(0.6), r.Out);
    }

    [Test]
    public void TheSameSeed_GivesTheSameAccuracies()
    {
        string run = Run("vit");
        string[] args = ["probe", "--checkpoint", run, "--labels", "0-2,7", "--shots", "1,3", "--draws", "4", "--seed", "9"];
        var a = CliRunner.Run(args);
        var b = CliRunner.Run(args);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(a.Out, Is.EqualTo(b.Out));
        Assert.That(a.Out, Does.Contain("digits    0-2,7: 4 classes, chance 25.0%; 20 test images"));
    }

    [Test]
    public void AGptCheckpoint_IsAUsageError()
    {
        string dir = CliRunner.TempDir("probe-gpt");
        Assert.That(CliRunner.Run(["train", "--steps", "1", "--out", dir, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        CliRunner.AssertUsageError(CliRunner.Run("probe", "--checkpoint", dir, "--mnist", _mnist), "needs a vit, mixer or gmlp checkpoint");
    }

    [TestCase("--labels", "9-5", "runs backwards")]
    [TestCase("--labels", "7", "names one digit")]
    [TestCase("--shots", "1,x", "'x' is not a positive whole number")]
    [TestCase("--shots", "0", "'0' is not a positive whole number")]
    [TestCase("--shots", "11", "hold only 10 of digit 0; give at most 10 shots")]
    [TestCase("--draws", "0", "--draws must be at least 1")]
    [TestCase("--l2", "0", "--l2 must be a finite number > 0")]
    public void BadOptions_AreUsageErrors(string option, string value, string mention) =>
        CliRunner.AssertUsageError(CliRunner.Run("probe", "--checkpoint", Run("vit"), option, value), mention);

    [Test]
    public void AMissingMnistDirectory_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("probe", "--checkpoint", Run("vit"), "--mnist", Path.Combine(_mnist, "absent")), "does not exist");

    /// <summary>
    /// On the real MNIST: a short ViT run, then digits 5-9 probed with 1 and 10 shots. Ten examples per digit beat one,
    /// and both beat chance by far.
    /// </summary>
    [Test]
    public void RealMnist_TenShotsBeatOne_AndBothBeatChance()
    {
        string mnist = CliRunner.RequireDataDirectory("mnist"), dir = CliRunner.TempDir("probe-real");
        var train = CliRunner.Run(["train", "vit", "--mnist", mnist, "--steps", "60", "--batch", "32", "--eval-every", "0", "--out", dir]);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.ToString());
        string json = Path.Combine(dir, "probe.json");
        var r = CliRunner.Run("probe", "--checkpoint", dir, "--labels", "5-9", "--shots", "1,10", "--draws", "3", "--out", json);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        TestContext.Out.WriteLine(r.Out);
        var results = JsonNode.Parse(File.ReadAllText(json))!["results"]!.AsArray();
        double one = results[0]!["mean"]!.GetValue<double>(), ten = results[1]!["mean"]!.GetValue<double>();
        Assert.That(JsonNode.Parse(File.ReadAllText(json))!["test_images"]!.GetValue<int>(), Is.EqualTo(4861), "every test image of digits 5-9");
        // Measured: 38% and 64% after these 60 steps; the bounds leave room for another machine's rounding.
        Assert.That(ten, Is.GreaterThan(one + 0.1), r.Out);
        Assert.That(one, Is.GreaterThan(0.25), r.Out);
        Assert.That(ten, Is.GreaterThan(0.45), r.Out);
    }
}
