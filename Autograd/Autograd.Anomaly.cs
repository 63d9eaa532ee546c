// Anomaly detection, like torch.autograd.detect_anomaly: inside the scope every op checks what it produces, in the
// forward and in the backward, and the first one to produce a NaN or an infinity from finite inputs raises, naming
// itself, its input shapes and the line that created it. Each check reads a value back, so it is a debugging mode.
using System.Diagnostics;
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>A NaN or an infinity first produced by the op <see cref="Op"/>, found by <see cref="Autograd.DetectAnomaly"/>.</summary>
public sealed class AnomalyException : InvalidOperationException
{
    internal AnomalyException(string message, string op, string phase, IReadOnlyList<int[]> inputShapes, string? createdAt)
        : base(message)
    {
        Op = op;
        Phase = phase;
        InputShapes = inputShapes;
        CreatedAt = createdAt;
    }

    /// <summary>The op's name (the graph node's, as in graphs and profiles).</summary>
    public string Op { get; }

    /// <summary>"forward" or "backward".</summary>
    public string Phase { get; }

    /// <summary>The shapes of the op's inputs.</summary>
    public IReadOnlyList<int[]> InputShapes { get; }

    /// <summary>The first stack frame outside the library that created the op (the forward call), when known.</summary>
    public string? CreatedAt { get; }
}

public static partial class Autograd
{
    [ThreadStatic] private static int _anomalyDepth;
    [ThreadStatic] private static bool _checkingAnomaly;

    /// <summary>Whether ops on this thread check their results for NaN and infinity (see <see cref="DetectAnomaly"/>).</summary>
    public static bool IsAnomalyDetectionEnabled => _anomalyDepth > 0;

    /// <summary>
    /// Until the returned scope is disposed, every op on this thread checks its forward result and every backward the
    /// gradients it returns; the first to turn finite inputs into a NaN or an infinity throws an
    /// <see cref="AnomalyException"/> naming the op, its input shapes and where it was created. Like PyTorch's
    /// <c>torch.autograd.detect_anomaly()</c>, but the forward is checked too. Slow: each check reads a value back.
    /// </summary>
    public static IDisposable DetectAnomaly() => new AnomalyScope();

    private sealed class AnomalyScope : IDisposable
    {
        private bool _done;

        public AnomalyScope() => _anomalyDepth++;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _anomalyDepth--;
        }
    }

    /// <summary>Whether every value of a floating-point tensor is finite (x * 0 sums to 0 exactly then, else to NaN).</summary>
    internal static bool AllFinite(Tensor t)
    {
        if (t.DType is not (DType.Float32 or DType.Float64 or DType.BFloat16 or DType.Float16) || t.IsDisposed) return true;
        using (Pause())
        using (Tensor.NewDisposeScope())
            return double.IsFinite((t * 0.0).Sum().Item());
    }

    /// <summary>In anomaly mode: throws when <paramref name="output"/> of the op <paramref name="name"/> is not all finite.</summary>
    internal static void CheckForward(Func<string> name, Tensor output, Tensor[] inputs)
    {
        if (_anomalyDepth == 0 || _checkingAnomaly) return;
        _checkingAnomaly = true;
        try
        {
            if (AllFinite(output)) return;
            int bad = Array.FindIndex(inputs, t => !AllFinite(t));
            string op = name(), where = CallSite();
            var shapes = inputs.Select(t => t.ShapeRef).ToArray();
            string message = bad < 0
                ? $"anomaly: {op} produced a NaN or an infinity in the forward from finite inputs of shapes {Shapes(shapes)}, at {where}"
                : $"anomaly: {op} received a NaN or an infinity in its input {bad} (shape {ShapeMath.Format(shapes[bad])}), which no op of this " +
                  $"scope produced (it came in from outside: data, a parameter, or a tensor made before the scope), at {where}";
            throw new AnomalyException(message, op, "forward", shapes, where);
        }
        finally
        {
            _checkingAnomaly = false;
        }
    }

    /// <summary>In anomaly mode: throws when a gradient <paramref name="fn"/>'s backward returned is not all finite.</summary>
    internal static void CheckBackward(Function fn, Tensor dOut, Tensor?[] gradients)
    {
        if (_anomalyDepth == 0 || _checkingAnomaly) return;
        _checkingAnomaly = true;
        try
        {
            for (int i = 0; i < gradients.Length; i++)
            {
                if (gradients[i] is not { } g || AllFinite(g)) continue;
                var shapes = fn.Inputs.Select(t => t.ShapeRef).ToArray();
                string from = AllFinite(dOut) ? "from a finite incoming gradient" : "passing on a non-finite incoming gradient";
                string message = $"anomaly: the backward of {fn.Name} gave input {i} a gradient with a NaN or an infinity, {from}; its inputs have " +
                                 $"shapes {Shapes(shapes)}" + (fn.CreatedAt is { } at ? $", and it was created at {at}" : "");
                throw new AnomalyException(message, fn.Name, "backward", shapes, fn.CreatedAt);
            }
        }
        finally
        {
            _checkingAnomaly = false;
        }
    }

    /// <summary>The first stack frame outside the library's engine, tensor and backend code: the caller's line.</summary>
    internal static string CallSite()
    {
        foreach (var frame in new StackTrace(1, fNeedFileInfo: true).GetFrames())
        {
            var method = frame.GetMethod();
            string ns = method?.DeclaringType?.Namespace ?? "";
            string type = method?.DeclaringType?.FullName ?? "";
            if (ns.StartsWith("DotGrad.Autodiff", StringComparison.Ordinal) || ns.StartsWith("DotGrad.Backends", StringComparison.Ordinal)
                || type.StartsWith("DotGrad.Tensor", StringComparison.Ordinal) || type.StartsWith("DotGrad.RawOps", StringComparison.Ordinal))
                continue;
            string file = frame.GetFileName() is { } f ? $" in {Path.GetFileName(f)}:{frame.GetFileLineNumber()}" : "";
            return $"{method?.DeclaringType?.Name}.{method?.Name}{file}";
        }
        return "an unknown place";
    }

    private static string Shapes(int[][] shapes) => string.Join(", ", shapes.Select(s => ShapeMath.Format(s)));
}
