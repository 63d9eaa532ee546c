// What the Mixer, gMLP and ViT tests share: an overfitting loop (with TinyAdam), a gradient check through every parameter of a module, and bad-input assertions.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Tests.Models;

internal static class VisionTestKit
{
    /// <summary>
    /// Trains <paramref name="model"/> with Adam on one fixed batch for <paramref name="steps"/> steps and returns the
    /// cross entropy after each step. Logits of rank 3 (a language model's [B, T, V]) are flattened to [B*T, V].
    /// </summary>
    public static double[] Overfit(Module<Tensor, Tensor> model, Tensor input, Tensor labels, int steps, double lr)
    {
        var losses = new double[steps];
        using var adam = new TinyAdam(model.Parameters(), lr);
        for (int step = 0; step < steps; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            foreach (var p in model.Parameters()) p.ZeroGrad();
            var logits = model.Call(input);
            if (logits.Rank == 3) logits = logits.Reshape(-1, logits.Size(-1));
            var loss = Functional.CrossEntropy(logits, labels.Reshape(-1));
            loss.Backward();
            adam.Step();
            losses[step] = loss.Item();
        }
        foreach (var p in model.Parameters()) p.ZeroGrad();
        return losses;
    }

    /// <summary>
    /// GradCheck through <paramref name="model"/> (built in Float64) with respect to its input (when floating point)
    /// and every parameter. The output is reduced to one number, sum(model(x) * r) with a fixed random r, so one
    /// backward gives the whole analytic gradient.
    /// </summary>
    public static GradCheckResult GradCheckModel(Module<Tensor, Tensor> model, Tensor input, ulong seed = 7)
    {
        Tensor r;
        using (global::DotGrad.Autodiff.Autograd.NoGrad()) r = Tensor.Randn(model.Call(input).Shape, new Generator(seed), DType.Float64, input.Device);
        Tensor[] inputs = [input, .. model.Parameters()];
        return GradCheck.Check(xs => (model.Call(xs[0]) * r).Sum(), inputs);
    }

    /// <summary>Overwrites a parameter with N(0, std^2) values (to make a zero-initialised head non-zero before a gradient check).</summary>
    public static void Randomize(Tensor parameter, ulong seed, double std = 0.5)
    {
        using var _ = global::DotGrad.Autodiff.Autograd.NoGrad();
        using var values = Tensor.Normal(parameter.Shape, 0, std, new Generator(seed), parameter.DType, parameter.Device);
        using var target = parameter.Detach();
        target[TensorIndex.Ellipsis] = values;
    }

    /// <summary>Asserts an ArgumentException (or subclass) whose message contains every fragment.</summary>
    public static void Bad(Action code, params string[] fragments)
    {
        var ex = Assert.Throws(Is.InstanceOf<ArgumentException>(), code);
        foreach (var f in fragments) Assert.That(ex!.Message, Does.Contain(f), $"message: {ex.Message}");
    }

    /// <summary>Images [B, size, size, channels] ~ N(0, 1).</summary>
    public static Tensor Images(int batch, int size, int channels, ulong seed, DType dtype = DType.Float32) =>
        Tensor.Randn([batch, size, size, channels], new Generator(seed), dtype);
}
