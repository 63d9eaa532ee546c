// The tensor's side of dispose scopes: opening one, and keeping a tensor beyond the scope it was created in.
namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>
    /// Opens a <see cref="DisposeScope"/> on this thread: until it is disposed, every tensor created here is tracked by it
    /// and disposed with it (TorchSharp's <c>torch.NewDisposeScope()</c>). Use one per training step:
    /// <c>using var scope = Tensor.NewDisposeScope();</c>.
    /// </summary>
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>The scope that will dispose this tensor, or null when none tracks it.</summary>
    public DisposeScope? OwningDisposeScope { get; internal set; }

    /// <summary>
    /// Hands this tensor to the scope enclosing its current one, so that it survives that scope's end (a result returned
    /// from a function that opened its own scope). With no enclosing scope the tensor is no longer tracked. A tensor no
    /// scope tracks is left as it is. Returns this tensor, for <c>return y.MoveToOuterDisposeScope();</c>.
    /// </summary>
    public Tensor MoveToOuterDisposeScope()
    {
        ThrowIfDisposed();
        OwningDisposeScope?.MoveToOuter(this);
        return this;
    }

    /// <summary>
    /// Takes this tensor out of its scope for good: no scope disposes it, so it lives until <see cref="Dispose"/> (or the
    /// GC). For tensors that outlive every step: parameters, optimizer state, data created inside a scope. Returns this tensor.
    /// </summary>
    public Tensor DetachFromDisposeScope()
    {
        ThrowIfDisposed();
        OwningDisposeScope?.Detach(this);
        return this;
    }
}
