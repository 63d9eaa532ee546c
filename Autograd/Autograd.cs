// The public face of reverse-mode differentiation: gradient mode, Grad for explicit gradients, and graph printing.
using System.Text;
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// Gradient mode and explicit gradients. Gradients are recorded while <see cref="IsEnabled"/> (the default) for
/// any op with an input that requires one; <c>using (Autograd.NoGrad()) { ... }</c> turns recording off for a scope
/// (per thread), like <c>torch.no_grad()</c>.
/// </summary>
public static partial class Autograd
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>Whether ops on this thread record a graph.</summary>
    public static bool IsEnabled => !_disabled;

    /// <summary>Turns gradient recording off until the returned scope is disposed.</summary>
    public static IDisposable NoGrad() => new ModeScope(enabled: false);

    /// <summary>Turns gradient recording on (or off) until the returned scope is disposed.</summary>
    public static IDisposable SetEnabled(bool enabled) => new ModeScope(enabled);

    /// <summary>
    /// NoGrad for the library's own hot paths (every kernel call): a struct scope, so entering it allocates nothing.
    /// </summary>
    internal static Paused Pause() => new(_disabled);

    internal readonly struct Paused : IDisposable
    {
        private readonly bool _previousDisabled;

        public Paused(bool previousDisabled)
        {
            _previousDisabled = previousDisabled;
            _disabled = true;
        }

        public void Dispose() => _disabled = _previousDisabled;
    }

    /// <summary>a + b without recording, for accumulating gradients into <c>.Grad</c>.</summary>
    internal static Tensor AddUnrecorded(Tensor a, Tensor b)
    {
        using (Pause()) return a + b;
    }

    internal static bool IsRecording(Tensor[] inputs)
    {
        if (_disabled) return false;
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    private sealed class ModeScope : IDisposable
    {
        private readonly bool _previousDisabled = _disabled;
        private bool _done;

        public ModeScope(bool enabled) => _disabled = !enabled;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _disabled = _previousDisabled;
        }
    }

    /// <summary>
    /// The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, returned rather than
    /// accumulated into <see cref="Tensor.Grad"/> (<c>torch.autograd.grad</c>). <paramref name="gradOutputs"/> seed each
    /// output (required for non-scalar outputs). With <paramref name="createGraph"/> the gradients are themselves
    /// differentiable (second derivatives, Hessian-vector products); the graph is kept when
    /// <paramref name="retainGraph"/> (default: <paramref name="createGraph"/>). An input that the outputs do not
    /// depend on gets zeros when <paramref name="allowUnused"/>, otherwise an error.
    /// </summary>
    public static Tensor[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
                                bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException($"grad: input {i} (shape {ShapeMath.Format(inputs[i].ShapeRef)}) does not require grad; set RequiresGrad = true on it before computing the outputs");
        var results = Engine.Run(outputs, gradOutputs, inputs, retainGraph ?? createGraph, createGraph, "grad");
        for (int i = 0; i < inputs.Count; i++)
        {
            if (results[i] is not null) continue;
            if (!allowUnused)
                throw new ArgumentException($"grad: input {i} (shape {ShapeMath.Format(inputs[i].ShapeRef)}) was not used to compute the outputs; pass allowUnused: true to get zeros for it");
            results[i] = Tensor.ZerosLike(inputs[i]);
        }
        return results!;
    }

    /// <summary>One output, one input: <c>Grad([y], [x])[0]</c>.</summary>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null, bool createGraph = false) =>
        Grad([output], [input], gradOutput is null ? null : [gradOutput], retainGraph, createGraph)[0];

    /// <summary>
    /// The graph behind <paramref name="root"/> in Graphviz DOT: one node per op (name and output shape), one per leaf
    /// (shape, and whether it requires grad), and an edge from each input to its consumer. A teaching aid:
    /// <c>dot -Tpng graph.dot -o graph.png</c>.
    /// </summary>
    public static string ToDot(Tensor root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var sb = new StringBuilder("digraph autograd {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
        var ids = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        string Id(object o)
        {
            if (!ids.TryGetValue(o, out var id)) ids[o] = id = "n" + ids.Count;
            return id;
        }
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            object key = (object?)t.GradFn ?? t;
            if (!seen.Add(key)) continue;
            if (t.GradFn is { } fn)
            {
                sb.Append($"  {Id(fn)} [shape=box, label=\"{fn.Name}\\n{ShapeMath.Format(fn.OutputShape)}\"];\n");
                foreach (var input in fn.Inputs)
                {
                    object inKey = (object?)input.GradFn ?? input;
                    sb.Append($"  {Id(inKey)} -> {Id(fn)};\n");
                    stack.Push(input);
                }
            }
            else
            {
                string style = t.RequiresGrad ? "style=filled, fillcolor=lightblue" : "style=dashed";
                sb.Append($"  {Id(t)} [shape=ellipse, {style}, label=\"leaf\\n{ShapeMath.Format(t.ShapeRef)} {t.DType}\"];\n");
            }
        }
        return sb.Append("}\n").ToString();
    }
}
