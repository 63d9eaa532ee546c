// One training step of a reference model on one fixed batch: the unit the step benchmarks time and the tests check.
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Benchmarks;

/// <summary>
/// A model, its optimizer, one fixed batch and a loss: <see cref="Step"/> is zero grads + forward + loss + backward +
/// optimizer step + reading the loss value, the step the reference benchmarks time. Build one with
/// <see cref="ReferenceSteps"/>.
/// </summary>
public sealed class ReferenceStep : IDisposable
{
    private readonly Func<Tensor> _loss;
    private readonly Tensor[] _batch;

    internal ReferenceStep(string name, Module model, Optimizer optimizer, Tensor[] batch, Func<Tensor> loss, MatMulFlops flops)
    {
        Name = name;
        Model = model;
        Optimizer = optimizer;
        _batch = batch;
        _loss = loss;
        Flops = flops;
        foreach (var t in batch) t.DetachFromDisposeScope();
    }

    /// <summary>"gpt", "mlp" or "vit".</summary>
    public string Name { get; }

    /// <summary>The model being trained.</summary>
    public Module Model { get; }

    /// <summary>The optimizer that updates <see cref="Model"/>'s parameters.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The matrix-multiply FLOPs of one step, counted from the shapes.</summary>
    public MatMulFlops Flops { get; }

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount => Model.ParameterCount();

    /// <summary>Runs one step on the fixed batch and returns the loss before the update.</summary>
    public double Step()
    {
        using var scope = Tensor.NewDisposeScope();
        Optimizer.ZeroGrad();
        var loss = _loss();
        loss.Backward();
        Optimizer.Step();
        return loss.Item();
    }

    /// <summary>
    /// A plain timed run: <paramref name="warmup"/> untimed steps, then <paramref name="steps"/> steps timed one by one
    /// (each reads its loss, so on a device with a queue each waits for it). What the quick runners report; the
    /// README's figures come from BenchmarkDotNet.
    /// </summary>
    public StepTimings Time(int warmup, int steps)
    {
        for (int i = 0; i < warmup; i++) Step();
        var seconds = new double[steps];
        double loss = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            loss = Step();
            seconds[i] = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return new StepTimings(seconds, loss);
    }

    /// <summary>Frees the optimizer's state, the model's parameters and the batch.</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
        foreach (var t in _batch) t.Dispose();
    }
}

/// <summary>The seconds of each timed step, in order, and the loss the last one read.</summary>
public sealed record StepTimings(double[] Seconds, double LastLoss)
{
    /// <summary>The median step time in seconds (the upper of the middle two for an even count).</summary>
    public double Median => Seconds.Order().ElementAt(Seconds.Length / 2);

    public double Min => Seconds.Min();

    public double Max => Seconds.Max();
}
