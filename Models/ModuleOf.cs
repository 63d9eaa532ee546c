// Modules with a forward function, and the summary table built by watching their calls.
using System.Text;
using DotGrad.Autodiff;

namespace DotGrad.Models;

/// <summary>
/// A module with a forward function from <typeparamref name="TIn"/> to <typeparamref name="TOut"/>. Call it with
/// <see cref="Call"/> (or <see cref="Forward"/> directly): <see cref="Call"/> is what <see cref="Summary"/> watches and
/// what runs the forward hooks (ModuleOf.Hooks.cs), as PyTorch's <c>module(x)</c> does and <c>module.forward(x)</c> does not.
/// </summary>
public abstract partial class Module<TIn, TOut> : Module
{
    public abstract TOut Forward(TIn input);

    /// <summary>
    /// Runs the forward pre-hooks, <see cref="Forward"/> and the forward hooks (ModuleOf.Hooks.cs),
    /// and records the call when a summary is being taken.
    /// </summary>
    public TOut Call(TIn input) => CallWith(input, Forward);

    /// <summary>
    /// <see cref="Call"/> with another forward in place of <see cref="Forward"/>: the same hooks and summary record
    /// around a variant of this module's computation, such as a generation step that reads a KV cache.
    /// </summary>
    internal TOut CallWith(TIn input, Func<TIn, TOut> forward)
    {
        var hooks = _hooks;                             // a snapshot: a hook may remove itself (or others) while it runs
        if (hooks.Pre.Length > 0) input = RunPreHooks(hooks.Pre, input);
        var recorder = SummaryRecorder.Current;
        TOut output;
        if (recorder is null) output = forward(input);
        else
        {
            int slot = recorder.Enter(this);
            output = forward(input);
            recorder.Exit(slot, output);
        }
        return hooks.Post.Length > 0 ? RunHooks(hooks.Post, input, output) : output;
    }

    /// <summary>
    /// Runs the module once on <paramref name="input"/> without recording gradients and returns a table of every
    /// module call in order: dotted name, type, output shape and parameter count (including submodules), with the
    /// totals, as torchinfo prints.
    /// </summary>
    public string Summary(TIn input)
    {
        var names = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in NamedModules()) names[module] = name;
        var recorder = new SummaryRecorder(names);
        SummaryRecorder.Current = recorder;
        try
        {
            using var scope = Tensor.NewDisposeScope();
            using var noGrad = Autograd.NoGrad();
            Call(input);
        }
        finally
        {
            SummaryRecorder.Current = null;
        }
        return recorder.Format(this);
    }
}

/// <summary>Collects module calls for <see cref="Module{TIn, TOut}.Summary"/>.</summary>
internal sealed class SummaryRecorder(Dictionary<object, string> names)
{
    [ThreadStatic] internal static SummaryRecorder? Current;

    private readonly List<(int Depth, string Name, string Type, string Shape, long Parameters)> _rows = [];
    private int _depth;

    public int Enter(Module module)
    {
        string name = names.TryGetValue(module, out var n) ? (n.Length == 0 ? "(model)" : n) : "(unregistered)";
        _rows.Add((_depth, name, module.GetType().Name, "", module.ParameterCount()));
        _depth++;
        return _rows.Count - 1;
    }

    public void Exit(int slot, object? output)
    {
        _depth--;
        string shape = output switch
        {
            Tensor t => Module.Format(t.Shape),
            ValueTuple<Tensor, Tensor> pair => Module.Format(pair.Item1.Shape) + ", " + Module.Format(pair.Item2.Shape),
            _ => output?.GetType().Name ?? "",
        };
        _rows[slot] = _rows[slot] with { Shape = shape };
    }

    public string Format(Module root)
    {
        var lines = _rows.Select(r => (Layer: new string(' ', 2 * r.Depth) + r.Name, r.Type, r.Shape, Params: r.Parameters.ToString("N0"))).ToList();
        int w1 = Math.Max(5, lines.Max(l => l.Layer.Length)), w2 = Math.Max(4, lines.Max(l => l.Type.Length));
        int w3 = Math.Max(12, lines.Max(l => l.Shape.Length)), w4 = Math.Max(10, lines.Max(l => l.Params.Length));
        var text = new StringBuilder();
        string Row(string a, string b, string c, string d) => $"{a.PadRight(w1)}  {b.PadRight(w2)}  {c.PadRight(w3)}  {d.PadLeft(w4)}";
        text.AppendLine(Row("Layer", "Type", "Output shape", "Parameters"));
        text.AppendLine(new string('-', w1 + w2 + w3 + w4 + 6));
        foreach (var l in lines) text.AppendLine(Row(l.Layer, l.Type, l.Shape, l.Params));
        text.AppendLine(new string('-', w1 + w2 + w3 + w4 + 6));
        long total = root.ParameterCount();
        long trainable = root.Parameters().Where(p => p.RequiresGrad).Sum(p => (long)p.Count);
        text.AppendLine($"Total parameters: {total:N0}");
        text.AppendLine($"Trainable parameters: {trainable:N0}");
        return text.ToString();
    }
}
