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

    /// <summary>Frees the optimizer's state, the model's parameters and the batch.</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
        foreach (var t in _batch) t.Dispose();
    }
}
