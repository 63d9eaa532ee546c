// --init-from: a new run from a checkpoint's weights, with its model and task but its own optimizer, learning rate,
// schedule and data order (what --resume refuses: it continues a run exactly).
using DotGrad.Backends;

namespace DotGrad.Tests.Cli;

public class InitFromTests
{
    [Test]
    public void ANewRun_StartsFromTheCheckpointWeights_WithItsOwnSettings()
    {
        string source = CliRunner.TempDir("init-source"), target = CliRunner.TempDir("init-target");
        Assert.That(CliRunner.Run(["train", "--steps", "4", "--out", source, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        // One step at a vanishing learning rate: the new run's weights are the source's, to within the step.
        var r = CliRunner.Run("train", "--init-from", source, "--steps", "1", "--lr", "1e-12", "--warmup", "0", "--schedule", "constant",
                              "--out", target, "--eval-every", "0");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("Initialising from").And.Contain("(step 4)"));
        var saved = DotGrad.Cli.Training.Checkpoint.Read(Path.Combine(target, "checkpoints", "step-000001"));
        Assert.That(saved.Step, Is.EqualTo(1), "a new run counts from 0");
        Assert.That(saved.Settings.Lr, Is.EqualTo(1e-12));
        using var before = new DisposeAll(Safetensors.Load(Path.Combine(source, "checkpoints", "step-000004", "model.safetensors")));
        using var after = new DisposeAll(Safetensors.Load(Path.Combine(target, "checkpoints", "step-000001", "model.safetensors")));
        Assert.That(after.Tensors.Keys, Is.EqualTo(before.Tensors.Keys));
        foreach (var (name, t) in before.Tensors)
        {
            var a = t.To(DType.Float64).ToArray<double>();
            var b = after.Tensors[name].To(DType.Float64).ToArray<double>();
            Assert.That(b.Zip(a, (x, y) => Math.Abs(x - y)).Max(), Is.LessThan(1e-6), name);
        }
    }

    [Test]
    public void ModelOptions_AndResume_AreRefused()
    {
        string source = CliRunner.TempDir("init-refused");
        Assert.That(CliRunner.Run(["train", "--steps", "2", "--out", source, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        CliRunner.AssertUsageError(CliRunner.Run("train", "--init-from", source, "--width", "32", "--out", CliRunner.TempDir("init-w")), "the model options cannot be given");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--init-from", source, "--resume", source), "excludes --resume and --branch");
    }

    private sealed class DisposeAll(System.Collections.Generic.OrderedDictionary<string, Tensor> tensors) : IDisposable
    {
        public System.Collections.Generic.OrderedDictionary<string, Tensor> Tensors { get; } = tensors;

        public void Dispose()
        {
            foreach (var t in Tensors.Values) t.Dispose();
        }
    }
}
