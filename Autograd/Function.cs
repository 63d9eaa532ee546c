// A node of the autograd graph: the differentiable op that produced a tensor, with what its backward needs.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// The op that produced a tensor (its <see cref="Tensor.GradFn"/>). A subclass keeps what its backward needs
/// (inputs or the output), and <see cref="Backward"/> maps the gradient of the output to one gradient per input,
/// written with tensor operations so that it runs on every backend and can itself be differentiated.
/// Every function has exactly one output.
/// <para>Your own differentiable op, like PyTorch's <c>torch.autograd.Function</c>: subclass this, compute the forward
/// without recording (under <see cref="Autograd.NoGrad"/>), link the result with <see cref="Record"/>, and override
/// <see cref="Backward"/> (as <c>protected override</c>):</para>
/// <code>
/// sealed class Softplus : Function
/// {
///     public static Tensor Apply(Tensor x)
///     {
///         Tensor y;
///         using (Autograd.NoGrad()) y = (x.Exp() + 1).Log();           // the forward: nothing recorded
///         return Record(y, () => new Softplus(), x);                    // one node, with x as its input
///     }
///     protected override Tensor?[] Backward(Tensor dOut) => [dOut * Inputs[0].Sigmoid()];
/// }
/// </code>
/// A backward written with tensor operations is itself recorded when a graph of the gradient is asked for
/// (<c>createGraph: true</c>), so second derivatives work too; check both with <see cref="GradCheck"/>.
/// </summary>
public abstract class Function
{
    private Tensor[] _inputs = [];
    private int[] _inputVersions = [];
    private Storage? _outputStorage;
    private int _outputVersion;
    private bool _released;
    internal List<Func<Tensor, Tensor?>>? Hooks;

    /// <summary>The op's name as shown in graphs and errors (the class name by default).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Where the forward call that made this node was, when <see cref="Autograd.DetectAnomaly"/> was on (else null).</summary>
    public string? CreatedAt { get; private set; }

    /// <summary>The tensors this op consumed, in order.</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    /// <summary>Shape of the output (what the incoming gradient must have).</summary>
    public int[] OutputShape { get; private set; } = [];

    /// <summary>True once the graph through this node was freed by a backward pass without retainGraph.</summary>
    public bool IsReleased => _released;

    /// <summary>
    /// The gradient of each input given the gradient of the output (<paramref name="dOut"/>, shaped like the output).
    /// An entry may be null for an input that needs no gradient (an index, a mask) or gets none.
    /// Inside a dispose scope (and without createGraph) the engine runs this in a nested scope and frees what it
    /// created, and later dOut, once nothing needs them: return what you compute, and keep none of it in the node.
    /// </summary>
    protected internal abstract Tensor?[] Backward(Tensor dOut);

    /// <summary>
    /// Whether the backward reads the values of input <paramref name="index"/> (true unless overridden): an in-place
    /// write into an input it reads, after the forward, makes the backward refuse to run rather than use the new values.
    /// </summary>
    protected internal virtual bool ReadsInput(int index) => true;

    /// <summary>Whether the backward reads the output's values (exp, tanh, softmax: derivatives written in terms of y).</summary>
    protected internal virtual bool ReadsOutput => false;

    /// <summary>
    /// Throws when a tensor this node's backward reads was written in place after the forward (PyTorch's "modified by
    /// an inplace operation"): the gradient would be computed from values the forward never saw.
    /// </summary>
    internal void CheckSavedVersions(string op)
    {
        for (int i = 0; i < _inputs.Length; i++)
        {
            if (!ReadsInput(i) || _inputs[i].StorageOrNull is not { } storage || storage.Version == _inputVersions[i]) continue;
            throw new InvalidOperationException(
                $"{op}: {Name}.Backward needs its input {i} (shape {ShapeMath.Format(_inputs[i].ShapeRef)}) as the forward saw it, but it was " +
                $"written in place since (now at version {storage.Version}, saved at version {_inputVersions[i]}); clone it before writing into it, " +
                "or write before using it");
        }
        if (ReadsOutput && _outputStorage is { } output && output.Version != _outputVersion)
            throw new InvalidOperationException(
                $"{op}: {Name}.Backward needs its output (shape {ShapeMath.Format(OutputShape)}) as the forward computed it, but it was written in " +
                $"place since (now at version {output.Version}, saved at version {_outputVersion}); clone the output before writing into it");
    }

    /// <summary>Drops saved tensors when the graph is freed; override in functions that save any.</summary>
    protected virtual void ReleaseSaved()
    {
    }

    internal void Release()
    {
        _released = true;
        ReleaseSaved();
        _inputs = [];
    }

    /// <summary>
    /// Connects <paramref name="output"/> to the graph through the node <paramref name="fn"/> makes, with
    /// <paramref name="inputs"/> as its inputs, when gradients are being recorded and some input requires one;
    /// otherwise leaves it a plain tensor (and <paramref name="fn"/> is never called). Returns the output. The output
    /// must be a fresh result with no node of its own: compute it under <see cref="Autograd.NoGrad"/>.
    /// </summary>
    protected internal static Tensor Record(Tensor output, Func<Function> fn, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(fn);
        if (output.GradFn is { } existing)
            throw new InvalidOperationException($"Function.Record: the output was already computed by {existing.Name} in the graph; " +
                                                "compute the forward under Autograd.NoGrad() so that the new function is its only node");
        Function? node = null;
        if (Autograd.IsAnomalyDetectionEnabled)
            Autograd.CheckForward(() => (node ??= fn()).Name, output, inputs);
        // Integer and Bool results (indices, masks, casts to Int32) never carry gradients.
        if (!Autograd.IsRecording(inputs) || output.DType is not (DType.Float32 or DType.Float64)) return output;
        node ??= fn();
        node.Connect(output, inputs);
        ShapeTrace.Add(node, inputs, output);
        return output;
    }

    /// <summary>Makes this node <paramref name="output"/>'s, with <paramref name="inputs"/>, noting the versions its backward will check.</summary>
    private void Connect(Tensor output, Tensor[] inputs)
    {
        _inputs = inputs;
        // Every recorded op passes here: a plain loop, no LINQ allocation on the hot path.
        _inputVersions = new int[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) _inputVersions[i] = inputs[i].StorageOrNull?.Version ?? 0;
        _outputStorage = output.StorageOrNull;
        _outputVersion = _outputStorage?.Version ?? 0;
        OutputShape = output.ShapeRef;
        if (Autograd.IsAnomalyDetectionEnabled) CreatedAt = Autograd.CallSite();
        output.SetGradFn(this);
    }

    /// <summary>
    /// Records an in-place write into <paramref name="target"/> as this node: the target's history so far becomes
    /// <paramref name="inputs"/>' first entry (a handle on the same memory that keeps the old node), and the target is
    /// now this node's output (PyTorch's rebase_history). Used after the write, with the target's new version.
    /// </summary>
    internal static void RecordInPlace(Tensor target, Function node, params Tensor[] inputs)
    {
        node.Connect(target, inputs);
        ShapeTrace.Add(node, inputs, target);
    }

    public override string ToString() => $"{Name}{ShapeMath.Format(OutputShape)}";
}
