// A shape trace: while one is active, every op recorded in the graph is logged with its name, its inputs' shapes and
// its output's shape, so a forward pass can be read as a table (a teaching aid, like printing shapes in a notebook).
using System.Text;
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>One recorded op: its function's name, the shapes of its inputs and of its output, and the output's dtype.</summary>
public sealed record TracedOp(int Index, string Name, IReadOnlyList<int[]> Inputs, int[] Output, DType DType)
{
    public override string ToString() =>
        $"{Index,4}  {Name,-18} {string.Join(", ", Inputs.Select(s => ShapeMath.Format(s))),-34} -> {ShapeMath.Format(Output)}";
}

/// <summary>
/// <c>using var trace = ShapeTrace.Start();</c> logs every op recorded on this thread until it is disposed;
/// <see cref="ToString"/> gives the table, and a <see cref="TextWriter"/> passed to <see cref="Start"/> gets each row
/// as it happens. The trace sees what autograd records: ops with an input that requires grad, while gradients are
/// enabled (under <see cref="Autograd.NoGrad"/> nothing is recorded, so nothing is traced). Traces nest; the innermost
/// one logs.
/// </summary>
public sealed class ShapeTrace : IDisposable
{
    [ThreadStatic] private static ShapeTrace? _current;

    private readonly ShapeTrace? _outer;
    private readonly TextWriter? _live;
    private readonly List<TracedOp> _ops = [];
    private bool _disposed;

    private ShapeTrace(TextWriter? live)
    {
        _outer = _current;
        _live = live;
        _current = this;
    }

    /// <summary>Starts a trace on this thread; rows are also written to <paramref name="live"/> as they happen when given.</summary>
    public static ShapeTrace Start(TextWriter? live = null)
    {
        var trace = new ShapeTrace(live);
        live?.WriteLine(Header);
        return trace;
    }

    /// <summary>The ops traced so far, in the order they were recorded.</summary>
    public IReadOnlyList<TracedOp> Ops => _ops;

    /// <summary>The column titles of the table.</summary>
    public static string Header => $"{"#",4}  {"op",-18} {"inputs",-34} -> output";

    internal static void Add(Function node, Tensor[] inputs, Tensor output)
    {
        if (_current is not { } trace) return;
        var op = new TracedOp(trace._ops.Count, node.Name, inputs.Select(t => t.Shape).ToArray(), output.Shape, output.DType);
        trace._ops.Add(op);
        trace._live?.WriteLine(op);
    }

    /// <summary>The table: a header and one row per op.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var op in _ops) sb.Append(op).Append('\n');
        return sb.ToString();
    }

    /// <summary>Stops tracing (the enclosing trace, if any, logs again).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
