// dotgrad train: a tiny run writes metrics.csv, loss.png and a complete checkpoint that all parse; the default
// task reaches its 99% exact-match promise; the options reach the model and optimizer.
using System.Globalization;
using System.Text.Json.Nodes;
using SkiaSharp;
using DotGrad.Backends;

namespace DotGrad.Tests.Cli;

public class TrainCommandTests
{
    [Test]
    public void TinyRun_WritesMetricsPlotAndCheckpoint_ThatParse()
    {
        string dir = CliRunner.TempDir("train");
        var r = CliRunner.Run(["train", "--steps", "6", "--warmup", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("held-out exact match"));
        Assert.That(r.Out, Does.Contain("step 6/6"), "plain progress lines when stdout is not a terminal");
        Assert.That(r.Out, Does.Match(@"memory    peak [1-9][\d.]* (KiB|MiB) of tensors live on cpu during the training steps"),
                    "the peak of live bytes: at least the parameters, Adam's state and a step's activations");

        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.That(lines[0], Is.EqualTo("step,loss,lr,grad_norm,tok_per_s,elapsed_s,accuracy,param_norm"));
        Assert.That(lines, Has.Length.EqualTo(7));
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            Assert.That(int.Parse(cells[0], CultureInfo.InvariantCulture), Is.EqualTo(i));
            foreach (var cell in cells[1..6])
                Assert.That(double.TryParse(cell, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v), Is.True, $"row {i}: '{cell}'");
            Assert.That(double.Parse(cells[7], CultureInfo.InvariantCulture), Is.GreaterThan(0), $"row {i}: the parameter norm comes last");
        }
        Assert.That(double.Parse(lines[1].Split(',')[2], CultureInfo.InvariantCulture), Is.EqualTo(0), "warmup: step 0 gets lr 0");
        Assert.That(double.Parse(lines[^1].Split(',')[6], CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0), "the last row holds the final accuracy");

        using (var png = SKBitmap.Decode(Path.Combine(dir, "loss.png")))
        {
            Assert.That(png, Is.Not.Null, "loss.png decodes as an image");
            Assert.That((png.Width, png.Height), Is.EqualTo((900, 540)));
        }

        string checkpoint = Path.Combine(dir, "checkpoints", "step-000006");
        Assert.That(Directory.GetFiles(checkpoint).Select(Path.GetFileName), Is.EquivalentTo(new[] { "model.safetensors", "optimizer.safetensors", "run.json" }));
        Assert.That(Directory.GetDirectories(Path.Combine(dir, "checkpoints")), Has.Length.EqualTo(1), "no temporary directory is left behind");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "run.json")))!;
        Assert.That(run["format"]!.GetValue<string>(), Is.EqualTo("dotgrad.run"));
        Assert.That(run["step"]!.GetValue<int>(), Is.EqualTo(6));
        Assert.That(run["config"]!["Width"]!.GetValue<int>(), Is.EqualTo(16));
        Assert.That(run["settings"]!["Optimizer"]!.GetValue<string>(), Is.EqualTo("adamw"));
        Assert.That(run["data_rng"]!["offset"]!.GetValue<ulong>(), Is.GreaterThan(0UL));
        var weights = DotGrad.Safetensors.Load(Path.Combine(checkpoint, "model.safetensors"));
        Assert.That(weights.Keys, Does.Contain("wte.weight"));
        Assert.That(weights["wte.weight"].Shape, Is.EqualTo(new[] { 11, 16 }));
    }

    [Test]
    public void SaveEvery_WritesIntermediateCheckpoints()
    {
        string dir = CliRunner.TempDir("save-every");
        var r = CliRunner.Run(["train", "--steps", "6", "--save-every", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(Directory.GetDirectories(Path.Combine(dir, "checkpoints")).Select(Path.GetFileName).Order(),
                    Is.EqualTo(new[] { "step-000002", "step-000004", "step-000006" }));
    }

    [Test]
    public void ModelSwitches_ReachTheSavedConfig()
    {
        string dir = CliRunner.TempDir("switches");
        var r = CliRunner.Run(["train", "--steps", "2", "--out", dir, "--norm", "post", "--norm-kind", "rmsnorm", "--parallel", "--mlp", "swiglu",
                               "--rope", "--head", "untied", "--qk-norm", "--kv-heads", "1", "--optimizer", "sgd", "--schedule", "linear", "--agc", "0.01",
                               .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "checkpoints", "step-000002", "run.json")))!;
        var c = run["config"]!;
        Assert.That(c["Norm"]!.GetValue<string>(), Is.EqualTo("Post"));
        Assert.That(c["NormKind"]!.GetValue<string>(), Is.EqualTo("RmsNorm"));
        Assert.That(c["Parallel"]!.GetValue<bool>(), Is.True);
        Assert.That(c["Mlp"]!.GetValue<string>(), Is.EqualTo("SwiGlu"));
        Assert.That(c["Positions"]!.GetValue<string>(), Is.EqualTo("Rope"));
        Assert.That(c["TiedHead"]!.GetValue<bool>(), Is.False);
        Assert.That(c["KvHeads"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(run["settings"]!["Optimizer"]!.GetValue<string>(), Is.EqualTo("sgd"));
        Assert.That(run["optimizer"]!["name"]!.GetValue<string>(), Is.EqualTo("Sgd"));
    }

    [Test]
    public void OnOpenCL_ATinyRunTrains()
    {
        TestDevices.Require(Device.OpenCL(0));
        string dir = CliRunner.TempDir("opencl");
        var r = CliRunner.Run(["train", "--steps", "2", "--device", "opencl:0", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("device opencl:0"));
    }

    /// <summary>The main job's promise: the default command reaches 99% exact match (about 20 s on 2 cores).</summary>
    [Test]
    public void DefaultTask_ReachesAtLeast99PercentHeldOutExactMatch()
    {
        string dir = CliRunner.TempDir("default");
        var r = CliRunner.Run("train", "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "checkpoints", "step-000500", "run.json")))!;
        var match = System.Text.RegularExpressions.Regex.Match(run["evaluation"]!.GetValue<string>(), @"([\d.]+)% \((\d+) of (\d+)");
        Assert.That(match.Success, Is.True, run["evaluation"]!.ToString());
        double correct = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), total = double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.That(total, Is.EqualTo(2000));
        Assert.That(correct / total, Is.GreaterThanOrEqualTo(0.99), r.Out);
    }
}
