// The tensor's side of autograd: RequiresGrad, Grad, GradFn, Backward, Detach and gradient hooks.
using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>
    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs); tensors computed from one that
    /// requires grad require grad too. Only Float32 and Float64 tensors can require grad.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
                throw new InvalidOperationException($"RequiresGrad: only leaf tensors can change it; this one was computed by {GradFn.Name} (use Detach() for a new leaf)");
            if (value && DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"RequiresGrad: only floating-point tensors (Float32, Float64) can require gradients, got {DType}");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining (PyTorch's <c>requires_grad_()</c>).</summary>
    public Tensor RequireGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>The op that computed this tensor, or null for a leaf.</summary>
    public Function? GradFn { get; private set; }

    /// <summary>True when no recorded op computed this tensor (parameters, inputs, anything under NoGrad).</summary>
    public bool IsLeaf => GradFn is null;

    private Tensor? _grad;

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/> (null until then, or after ZeroGrad).</summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && !value.ShapeRef.SequenceEqual(_shape))
                throw new ArgumentException($"Grad: the gradient's shape {ShapeMath.Format(value.ShapeRef)} must equal the tensor's shape {ShapeMath.Format(_shape)}");
            _grad = value;
        }
    }

    /// <summary>Forgets the accumulated gradient (sets <see cref="Grad"/> to null, like PyTorch's set_to_none).</summary>
    public void ZeroGrad() => _grad = null;

    internal List<Func<Tensor, Tensor?>>? LeafHooks;

    internal void SetGradFn(Function fn) => GradFn = fn;

    /// <summary>
    /// Back-propagates from this tensor, accumulating (+=) into the <see cref="Grad"/> of every leaf that requires one.
    /// A one-element tensor needs no <paramref name="gradient"/>; any other needs one of its shape. The graph is freed
    /// afterwards unless <paramref name="retainGraph"/>; <paramref name="createGraph"/> records the backward itself, so
    /// the gradients can be differentiated again.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Engine.Run([this], gradient is null ? null : [gradient], null, retainGraph || createGraph, createGraph, "backward");

    /// <summary>A tensor sharing this one's storage but cut from the graph: a leaf that does not require grad.</summary>
    public Tensor Detach() => AsStrided(_shape, _strides, Offset);

    /// <summary>
    /// Calls <paramref name="hook"/> with this tensor's gradient whenever one is computed; returning a tensor replaces
    /// the gradient, returning null keeps it. Dispose the result to remove the hook.
    /// </summary>
    public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!RequiresGrad) throw new InvalidOperationException("RegisterHook: the tensor does not require grad, so no gradient will reach a hook");
        var list = GradFn is { } fn ? fn.Hooks ??= [] : LeafHooks ??= [];
        list.Add(hook);
        return new HookHandle(list, hook);
    }

    /// <summary>Keeps the gradient of a non-leaf tensor in <see cref="Grad"/> after backward (PyTorch's <c>retain_grad()</c>).</summary>
    public void RetainGrad()
    {
        if (IsLeaf) return;
        RegisterHook(g =>
        {
            var add = g.Detach();
            Grad = Grad is null ? add : Autograd.AddUnrecorded(Grad, add);
            return null;
        });
    }

    private sealed class HookHandle(List<Func<Tensor, Tensor?>> list, Func<Tensor, Tensor?> hook) : IDisposable
    {
        public void Dispose() => list.Remove(hook);
    }
}
