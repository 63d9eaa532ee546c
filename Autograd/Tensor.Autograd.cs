// The tensor's side of autograd: RequiresGrad, Grad, GradFn, Backward, Detach and gradient hooks.
using DotGrad.Autodiff;
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
    private bool _ownsGrad; // backward made _grad (a handle of its own), so dropping or replacing it may dispose it

    /// <summary>
    /// The accumulated gradient of a leaf after <see cref="Backward"/> (null until then, or after ZeroGrad).
    /// A gradient that backward stores here belongs to this tensor: it is taken out of any <see cref="DisposeScope"/>,
    /// so the step's scope does not kill it, and it is disposed when <see cref="ZeroGrad"/> drops it or a later backward
    /// replaces it with the sum (Clone() it to keep a copy). A tensor you assign here stays yours: it is never disposed
    /// for you, and assigning drops the previous gradient without disposing it.
    /// </summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && !value.ShapeRef.SequenceEqual(_shape))
                throw new ArgumentException($"Grad: the gradient's shape {ShapeMath.Format(value.ShapeRef)} must equal the tensor's shape {ShapeMath.Format(_shape)}");
            _grad = value;
            _ownsGrad = false;
        }
    }

    /// <summary>
    /// Forgets the accumulated gradient (sets <see cref="Grad"/> to null, like PyTorch's set_to_none) and disposes it at
    /// once when backward computed it, so its memory (device memory included) goes back to the allocator now rather than
    /// when the garbage collector gets to it. A reference to the old gradient is dead afterwards: Clone() it first to
    /// keep it. A gradient you assigned yourself is dropped, not disposed.
    /// </summary>
    public void ZeroGrad()
    {
        var old = _grad;
        bool owned = _ownsGrad;
        _grad = null;
        _ownsGrad = false;
        if (owned) old?.Dispose();
    }

    /// <summary>
    /// Adds a gradient computed by backward into <see cref="Grad"/> (a leaf's, or a retained one). The stored tensor is a
    /// handle of its own (never <paramref name="g"/> itself, which may be the caller's seed or still in use) and is
    /// detached from any dispose scope, because a gradient outlives the step that computed it. Without
    /// <paramref name="createGraph"/> the sum replaces the previous gradient, which is disposed; with it, the previous
    /// gradient is an input of the recorded sum and is left alive.
    /// </summary>
    internal void AccumulateGrad(Tensor g, bool createGraph)
    {
        Tensor next;
        if (createGraph)
            next = _grad is null ? g.Alias() : _grad + g; // recorded, so the gradient can be differentiated again
        else
        {
            var add = g.Detach();
            if (_grad is null) next = add;
            else
            {
                next = Autograd.AddUnrecorded(_grad, add);
                add.Dispose();
                if (_ownsGrad) _grad.Dispose();
            }
        }
        _grad = next;
        _ownsGrad = true;
        next.DetachFromDisposeScope();
    }

    /// <summary>
    /// Makes this tensor a view of <paramref name="source"/>'s data (PyTorch's <c>param.data = source</c>): same
    /// shape required; the tensor keeps its identity, gradient flag and scope, and drops its old storage. This is how
    /// a module moves its parameters to another device or dtype while layers keep their references.
    /// </summary>
    internal void SetData(Tensor source)
    {
        ThrowIfDisposed();
        if (source.DType.IsFloatingPoint() is false && RequiresGrad)
            throw new ArgumentException($"set_data: a tensor that requires grad needs floating-point data, got {source.DType}");
        ReplaceData(source);
    }

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
            AccumulateGrad(g, createGraph: false);
            return null;
        });
    }

    private sealed class HookHandle(List<Func<Tensor, Tensor?>> list, Func<Tensor, Tensor?> hook) : IDisposable
    {
        public void Dispose() => list.Remove(hook);
    }
}
