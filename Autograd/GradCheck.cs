// Public gradient checks: the analytic Jacobian from the engine against central differences, first and second order
// (torch.autograd.gradcheck / gradgradcheck), reporting the worst element so a wrong backward is easy to find.
using System.Globalization;
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// The outcome of a gradient check: whether every element of the analytic Jacobian matched the numeric one, and the
/// worst element (the one that used most of its tolerance): the input it belongs to, its index in that input, and the
/// two values. <see cref="WorstOutputIndex"/> says which output element's derivative it was.
/// </summary>
public sealed record GradCheckResult(bool Passed, int WorstInput, int[] WorstIndex, double Analytic, double Numeric, string Message)
{
    /// <summary>The index (into the flattened output of the checked function) of the worst element's output.</summary>
    public int[] WorstOutputIndex { get; init; } = [];

    public override string ToString() => Message;
}

/// <summary>Thrown by a gradient check run with <c>raiseException: true</c> when the gradients disagree.</summary>
public sealed class GradCheckException(string message) : Exception(message);

/// <summary>
/// Gradient checks as a public API. <see cref="Check"/> compares the Jacobian the engine computes (one backward per
/// output element) with central differences (f(x + eps) - f(x - eps)) / 2 eps, element by element, in Float64; an
/// element passes when |analytic - numeric| &lt;= atol + rtol |numeric| (PyTorch's defaults). <see cref="CheckSecondOrder"/>
/// does the same for the gradient itself (gradgradcheck). Inputs may live on any device and may be non-contiguous
/// views; only those with <see cref="Tensor.RequiresGrad"/> are checked.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks the first derivatives of <paramref name="f"/> at <paramref name="inputs"/>. Floating-point inputs must be
    /// Float64; Int32 and Bool inputs (indices, masks) are passed through as constants. Each checked input is perturbed
    /// in place, one element at a time, and restored afterwards.
    /// </summary>
    public static GradCheckResult Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
                                        double rtol = 1e-3, bool raiseException = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        var wrt = Validate("GradCheck.Check", inputs, eps);
        return Compare(xs => [f(xs)], inputs, wrt, eps, atol, rtol, raiseException, "GradCheck", static o => "output");
    }

    /// <summary>
    /// gradgradcheck: checks the derivatives of x -&gt; grad(f(x) · v, x) (the gradient of every checked input, taken with
    /// <c>createGraph: true</c>), so that backward formulas are themselves differentiated correctly. <paramref name="gradOutput"/>
    /// is v; when null, a fixed standard-normal v (seed <paramref name="seed"/>) with the output's shape is used.
    /// </summary>
    public static GradCheckResult CheckSecondOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor? gradOutput = null,
                                                   double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3,
                                                   bool raiseException = false, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var wrt = Validate("GradCheck.CheckSecondOrder", inputs, eps);
        var v = gradOutput;
        if (v is null)
        {
            Tensor y;
            using (Autograd.Pause()) y = f(inputs);
            v = Tensor.Randn(y.ShapeRef, new Generator(seed), y.DType, y.Device);
        }
        var checkedInputs = wrt.Select(i => inputs[i]).ToArray();

        // g(x) = (grad_x1 (f(x) · v), grad_x2 (f(x) · v), ...): one output per checked input. Its Jacobian is that of the
        // flattened concatenation, kept as separate outputs so no concatenation op is needed to differentiate it.
        Tensor[] Gradient(Tensor[] xs)
        {
            using var recording = Autograd.SetEnabled(true);
            var y = f(xs);
            if (!y.RequiresGrad) return checkedInputs.Select(Tensor.ZerosLike).ToArray();
            if (!y.ShapeRef.SequenceEqual(v.ShapeRef))
                throw new ArgumentException($"GradCheck.CheckSecondOrder: gradOutput has shape {ShapeMath.Format(v.ShapeRef)} but the output has shape {ShapeMath.Format(y.ShapeRef)}");
            return Autograd.Grad([y], checkedInputs, [v], retainGraph: true, createGraph: true, allowUnused: true);
        }
        return Compare(Gradient, inputs, wrt, eps, atol, rtol, raiseException, "GradCheck (second order)",
                       o => $"gradient of input {wrt[o]}");
    }

    /// <summary>Checks the inputs and returns the indices of those to differentiate.</summary>
    private static int[] Validate(string op, Tensor[] inputs, double eps)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"{op}: eps must be positive, got {eps}");
        var wrt = new List<int>();
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"{op}: input {i} is null");
            if (x.DType is DType.Float32 or DType.Float16 or DType.BFloat16)
                throw new ArgumentException($"{op}: input {i} (shape {ShapeMath.Format(x.ShapeRef)}) is {x.DType}, but gradient checks need Float64 " +
                                            "inputs (central differences in lower precision are too noisy to compare); " +
                                            "convert it with x.To(DType.Float64).Detach().RequireGrad()", nameof(inputs));
            if (!x.RequiresGrad) continue;
            for (int d = 0; d < x.Rank; d++)
                if (x.StridesRef[d] == 0 && x.ShapeRef[d] > 1)
                    throw new ArgumentException($"{op}: input {i} (shape {ShapeMath.Format(x.ShapeRef)}, strides {ShapeMath.Format(x.StridesRef)}) " +
                                                "is an expanded view whose elements share memory, so they cannot be perturbed one at a time; " +
                                                "pass x.Contiguous().Detach().RequireGrad() instead", nameof(inputs));
            wrt.Add(i);
        }
        if (wrt.Count == 0)
            throw new ArgumentException($"{op}: no input requires grad, so there is nothing to check; call RequireGrad() on the inputs to differentiate", nameof(inputs));
        return wrt.ToArray();
    }

    /// <summary>
    /// Builds both Jacobians of a function with one or more outputs and compares them. J[input][output] is stored as
    /// [input element, output element], both row-major.
    /// </summary>
    private static GradCheckResult Compare(Func<Tensor[], Tensor[]> f, Tensor[] inputs, int[] wrt, double eps, double atol, double rtol,
                                           bool raiseException, string what, Func<int, string> outputName)
    {
        var xs = wrt.Select(i => inputs[i]).ToArray();

        // ---- analytic: one backward per output element, seeded with a one-hot gradient ----
        Tensor[] ys;
        using (Autograd.SetEnabled(true)) ys = f(inputs);
        var outShapes = ys.Select(y => y.Shape).ToArray();
        var analytic = new double[xs.Length][][];
        for (int k = 0; k < xs.Length; k++)
        {
            analytic[k] = new double[ys.Length][];
            for (int o = 0; o < ys.Length; o++) analytic[k][o] = new double[xs[k].Count * ys[o].Count];
        }
        for (int o = 0; o < ys.Length; o++)
        {
            var y = ys[o];
            if (!y.RequiresGrad) continue; // the output does not depend on any checked input: a zero Jacobian
            int m = y.Count;
            var oneHot = new double[m];
            for (int j = 0; j < m; j++)
            {
                oneHot[j] = 1;
                Tensor seed;
                using (Autograd.Pause())
                using (var host = Tensor.FromArray(oneHot, y.ShapeRef, y.Device))
                    seed = host.To(y.DType);
                oneHot[j] = 0;
                var grads = Autograd.Grad([y], xs, [seed], retainGraph: true, allowUnused: true);
                for (int k = 0; k < xs.Length; k++)
                {
                    var g = Values(grads[k]);
                    for (int e = 0; e < g.Length; e++) analytic[k][o][e * m + j] = g[e];
                }
            }
        }

        // ---- numeric: central differences, each input element perturbed in place and restored ----
        var numeric = new double[xs.Length][][];
        for (int k = 0; k < xs.Length; k++)
        {
            var x = xs[k];
            numeric[k] = ys.Select(y => new double[x.Count * y.Count]).ToArray();
            var original = Values(x);
            var shape = x.Shape;
            for (int e = 0; e < original.Length; e++)
            {
                var index = MultiIndex(e, shape);
                Set(x, index, original[e] + eps);
                var plus = Evaluate(f, inputs);
                Set(x, index, original[e] - eps);
                var minus = Evaluate(f, inputs);
                Set(x, index, original[e]);
                for (int o = 0; o < ys.Length; o++)
                {
                    int m = plus[o].Length;
                    if (m != outShapes[o].Aggregate(1, (a, b) => a * b))
                        throw new InvalidOperationException($"{what}: output {o} changed size when input {wrt[k]} was perturbed");
                    for (int j = 0; j < m; j++) numeric[k][o][e * m + j] = (plus[o][j] - minus[o][j]) / (2 * eps);
                }
            }
        }

        // ---- compare: the worst element is the one that used the largest share of its tolerance ----
        double worstRatio = -1, worstA = 0, worstN = 0;
        int worstK = -1, worstE = 0, worstO = 0, worstJ = 0;
        for (int k = 0; k < xs.Length; k++)
            for (int o = 0; o < ys.Length; o++)
            {
                int m = ys[o].Count;
                var a = analytic[k][o];
                var n = numeric[k][o];
                for (int idx = 0; idx < a.Length; idx++)
                {
                    double diff = Math.Abs(a[idx] - n[idx]);
                    double ratio = double.IsNaN(diff) ? double.PositiveInfinity : diff / (atol + rtol * Math.Abs(n[idx]));
                    if (ratio > worstRatio)
                        (worstRatio, worstA, worstN, worstK, worstE, worstO, worstJ) = (ratio, a[idx], n[idx], k, idx / m, o, idx % m);
                }
            }

        if (worstK < 0)
            return new GradCheckResult(true, -1, [], 0, 0, $"{what} passed: there are no elements to compare (empty inputs or outputs)");

        bool passed = worstRatio <= 1;
        var inputIndex = MultiIndex(worstE, xs[worstK].Shape);
        var outputIndex = MultiIndex(worstJ, outShapes[worstO]);
        double tolerance = atol + rtol * Math.Abs(worstN);
        string where = $"input {wrt[worstK]} (shape {ShapeMath.Format(xs[worstK].ShapeRef)}) at {ShapeMath.Format(inputIndex)}, " +
                       $"{outputName(worstO)} (shape {ShapeMath.Format(outShapes[worstO])}) at {ShapeMath.Format(outputIndex)}";
        string values = $"analytic {G(worstA)}, numeric {G(worstN)}, |difference| {G(Math.Abs(worstA - worstN))}";
        string message = passed
            ? $"{what} passed: the worst element is {where}: {values} <= tolerance {G(tolerance)}"
            : $"{what} failed: the analytic and numeric Jacobians differ at {where}: {values} > tolerance {G(tolerance)} " +
              $"(atol {G(atol)} + rtol {G(rtol)} * |numeric|, central differences with eps {G(eps)}); check the backward of the ops in the function";
        if (!passed && raiseException) throw new GradCheckException(message);
        return new GradCheckResult(passed, wrt[worstK], inputIndex, worstA, worstN, message) { WorstOutputIndex = outputIndex };
    }

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static double[][] Evaluate(Func<Tensor[], Tensor[]> f, Tensor[] inputs)
    {
        using (Autograd.Pause()) return f(inputs).Select(Values).ToArray();
    }

    /// <summary>The elements as doubles in row-major order (a copy, not recorded).</summary>
    private static double[] Values(Tensor t)
    {
        using (Autograd.Pause())
        {
            if (t.DType == DType.Float64) return t.ToArray<double>();
            using var d = t.To(DType.Float64);
            return d.ToArray<double>();
        }
    }

    /// <summary>Writes one element in place through the indexer (works on any device and any layout).</summary>
    private static void Set(Tensor x, int[] index, double value)
    {
        using (Autograd.Pause())
        using (var v = Tensor.Scalar(value, x.DType, x.Device))
            x[index.Select(i => (TensorIndex)i).ToArray()] = v;
    }

    private static int[] MultiIndex(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 0) return index;
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
