// The same checks for every optimizer in the zoo, on a tiny GPT: it trains, a zero gradient changes nothing,
// StateBytes matches the formula, resuming from a saved state continues bit for bit, and OpenCL agrees with the CPU.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Optim;

[TestFixtureSource(typeof(OptimizerZoo), nameof(OptimizerZoo.Entries))]
public class OptimizerSuiteTests(ZooEntry entry)
{
    private const int B = 4, T = 8;

    // The task: predict (token + 1) mod V at every position, from a fixed batch drawn once.
    private static (Tensor Tokens, Tensor Targets) Batch(Device device)
    {
        int V = OptimizerZoo.Config.VocabSize;
        var ids = Tensor.Randint(0, V, [B, T], new Generator(7), DType.Int32).ToArray<int>();
        var tokens = Tensor.FromArray(ids, [B, T], device);
        var targets = Tensor.FromArray(ids.Select(t => (t + 1) % V).ToArray(), [B, T], device);
        return (tokens.DetachFromDisposeScope(), targets.DetachFromDisposeScope());
    }

    private static double TrainStep(Gpt model, Optimizer opt, Tensor tokens, Tensor targets)
    {
        using var scope = Tensor.NewDisposeScope();
        opt.ZeroGrad();
        var logits = model.Call(tokens);                                        // [B, T, V]
        var loss = F.CrossEntropy(logits.Reshape(B * T, -1), targets.Reshape(-1));
        loss.Backward();
        opt.Step();
        return loss.Item();
    }

    [Test]
    public void Trains_TheTinyGpt_ToAQuarterOfItsFirstLoss()
    {
        using var model = new Gpt(OptimizerZoo.Config, new Generator(1));
        using var opt = entry.Create(model, true);
        var (tokens, targets) = Batch(Device.Cpu);
        double first = TrainStep(model, opt, tokens, targets), last = first;
        for (int i = 0; i < 60; i++) last = TrainStep(model, opt, tokens, targets);
        Assert.That(last, Is.LessThan(first / 4), $"{entry.Name}: loss {first:F4} -> {last:F4}");
        Assert.That(double.IsFinite(last));
    }

    [Test]
    public void ZeroGradient_LeavesEveryParameterAsItWas_WithoutNaN()
    {
        using var model = new Gpt(OptimizerZoo.Config, new Generator(1));
        using var opt = entry.Create(model, false);
        var before = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int step = 0; step < 3; step++)
        {
            foreach (var p in model.Parameters()) p.Grad = Tensor.ZerosLike(p).DetachFromDisposeScope();
            opt.Step();
        }
        var after = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i], Is.EqualTo(before[i]), $"parameter {i}");
        using var state = opt.StateDict();
        foreach (var (name, t) in state.Tensors)
            Assert.That(t.To(DType.Float64).ToArray<double>().All(double.IsFinite), $"state {name} holds NaN or infinity");
    }

    [Test]
    public void StateBytes_MatchesTheFormula()
    {
        using var model = new Gpt(OptimizerZoo.Config, new Generator(1));
        using var opt = entry.Create(model, true);
        Assert.That(opt.StateBytes(), Is.EqualTo(entry.ExpectedBytes(model)));
        var (tokens, targets) = Batch(Device.Cpu);
        TrainStep(model, opt, tokens, targets);
        Assert.That(opt.StateBytes(), Is.EqualTo(entry.ExpectedBytes(model)), "state does not grow with steps");
    }

    [Test]
    public void Resume_FromASavedState_ContinuesBitForBit()
    {
        var (tokens, targets) = Batch(Device.Cpu);
        // Ten uninterrupted steps.
        using var straight = new Gpt(OptimizerZoo.Config, new Generator(1));
        using var straightOpt = entry.Create(straight, true);
        var expected = Enumerable.Range(0, 10).Select(_ => TrainStep(straight, straightOpt, tokens, targets)).ToArray();

        // Five steps, then the weights and the optimizer through files, into a model built from another seed.
        string dir = Directory.CreateTempSubdirectory("dotgrad-resume-").FullName;
        try
        {
            var losses = new List<double>();
            using (var first = new Gpt(OptimizerZoo.Config, new Generator(1)))
            using (var firstOpt = entry.Create(first, true))
            {
                for (int i = 0; i < 5; i++) losses.Add(TrainStep(first, firstOpt, tokens, targets));
                first.SaveSafetensors(Path.Combine(dir, "model.safetensors"));
                using var state = firstOpt.StateDict();
                state.Save(Path.Combine(dir, "optimizer.safetensors"));
            }
            using var resumed = new Gpt(OptimizerZoo.Config, new Generator(99));
            resumed.LoadSafetensors(Path.Combine(dir, "model.safetensors"));
            using var resumedOpt = entry.Create(resumed, true);
            using (var loaded = OptimizerState.Load(Path.Combine(dir, "optimizer.safetensors"), Device.Cpu))
                resumedOpt.LoadStateDict(loaded);
            Assert.That(resumedOpt.StepCount, Is.EqualTo(5));
            for (int i = 0; i < 5; i++) losses.Add(TrainStep(resumed, resumedOpt, tokens, targets));

            Assert.That(losses, Is.EqualTo(expected), "losses of 5 + 5 steps equal those of 10 uninterrupted steps");
            var a = straight.NamedParameters().ToArray();
            var b = resumed.NamedParameters().ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.That(b[i].Parameter.ToArray<float>(), Is.EqualTo(a[i].Parameter.ToArray<float>()), a[i].Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void OpenCL_FollowsTheCpu_OverFiveSteps()
    {
        var device = Device.OpenCL(0);
        TestDevices.Require(device);
        double[] Run(Device d)
        {
            using var model = new Gpt(OptimizerZoo.Config, new Generator(1), device: d);
            using var opt = entry.Create(model, true);
            var (tokens, targets) = Batch(d);
            return Enumerable.Range(0, 5).Select(_ => TrainStep(model, opt, tokens, targets)).ToArray();
        }
        var cpu = Run(Device.Cpu);
        var gpu = Run(device);
        for (int i = 0; i < cpu.Length; i++)
            Assert.That(gpu[i], Is.EqualTo(cpu[i]).Within(2e-3 * Math.Abs(cpu[i])), $"step {i}: cpu {cpu[i]}, opencl {gpu[i]}");
    }
}
