// Fused functions: a composite op computed as one graph node with its own backward, for speed and memory.
// Each is tested against its composition in Functional (values and gradients).

using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// Softmax cross entropy of logits [M, C] and Int32 labels [M] as one node (the composition is
/// <see cref="Functional.CrossEntropyComposite"/>). Forward: one kernel for the per-row losses
/// logsumexp(x) - (1 - eps) x[label] - eps mean(x) (0 on ignored rows), then the reduction. With p = softmax(x),
/// q = (1 - eps) onehot(label) + eps / C the smoothed target, and w the weight of a row in the reduction (1 for
/// "sum", 1 / count for "mean", dOut_i for "none", 0 for ignored rows):
/// d loss / d x = (p - q) * w * dOut. A first-order backward runs one kernel over the rows of x; with createGraph the
/// backward recomputes p from x with tensor ops, so it can be differentiated again.
/// </summary>
public sealed class CrossEntropyFused : Function
{
    private Tensor _labels;               // [M] Int32, ignored rows replaced by class 0
    private Tensor _keep;                 // [M] Bool, false on ignored rows
    private readonly double _eps;
    private readonly string _reduction;
    private readonly double _count;       // number of kept rows (the "mean" divisor)

    private CrossEntropyFused(Tensor labels, Tensor keep, double eps, string reduction, double count)
    {
        _labels = labels;
        _keep = keep;
        _eps = eps;
        _reduction = reduction;
        _count = count;
    }

    /// <summary>Arguments as <see cref="Functional.CrossEntropy"/>, already validated and flattened to [M, C] and [M].</summary>
    internal static Tensor Apply(Tensor logits, Tensor labels, int ignoreIndex, double eps, string reduction)
    {
        Tensor loss, safeLabels, keep;
        double count;
        using (Autograd.Pause())
        {
            keep = labels.Ne(ignoreIndex);                                           // [M] Bool
            using var zeroLabel = Tensor.Scalar(0, DType.Int32, labels.Device);
            safeLabels = Tensor.Where(keep, labels, zeroLabel);                      // [M]
            var masked = RawOps.CrossEntropyRows(logits, labels, ignoreIndex, eps);  // [M], 0 on ignored rows
            using (var kept = keep.Sum()) count = kept.Item();
            if (reduction == "none") loss = masked;
            else
            {
                using (masked)
                using (var total = masked.Sum())
                    loss = reduction == "sum" ? total.Clone() : total / count;       // 0 / 0 = NaN when all are ignored
            }
        }
        var y = Record(loss, () => new CrossEntropyFused(safeLabels, keep, eps, reduction, count), logits);
        if (y.GradFn is null)
        {
            safeLabels.Dispose();
            keep.Dispose();
        }
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var x = Inputs[0];                                                           // [M, C]
        int C = x.ShapeRef[^1];
        var rowWeight = _keep.To(x.DType);                                           // [M]
        rowWeight = _reduction switch
        {
            "none" => rowWeight * dOut,                                              // dOut [M]
            "sum" => rowWeight * dOut,                                               // dOut []
            // With every row ignored the weights are all 0; dividing by 1 then keeps the gradient 0 (not 0/0), as
            // the composition's gradient is.
            _ => rowWeight * dOut / Math.Max(_count, 1),
        };
        if (!Autograd.IsRecording([dOut, x]))
            return [RawOps.CrossEntropyBackward(x, _labels, rowWeight, _eps)];       // one pass per row, no one-hot
        var p = x.Softmax(-1);                                                       // [M, C]
        var q = _labels.OneHot(C).To(x.DType) * (1 - _eps) + _eps / C;              // [M, C]
        return [(p - q) * rowWeight.Unsqueeze(1)];
    }

    protected override void ReleaseSaved()
    {
        _labels.Dispose();
        _keep.Dispose();
        _labels = null!;
        _keep = null!;
    }
}

/// <summary>
/// Layer norm over the last dim as one node, on the backends' fused kernels (the composition is
/// <see cref="Functional.LayerNormComposite"/>). Per row of x [..., C], with xhat = (x - mean) * rstd,
/// rstd = 1 / sqrt(var + eps) and the biased variance: y = xhat * w + b. With g = dY * w,
/// dX = rstd * (g - mean(g) - xhat * mean(g * xhat)) per row, dW = sum over rows of dY * xhat, dB = sum over rows of dY.
/// The forward saves mean and rstd; a first-order backward runs the fused backward kernel on them. With createGraph
/// the backward is instead written with tensor ops that recompute mean and rstd from x, so the gradient is itself
/// differentiable (in x, w and dY).
/// </summary>
public sealed class LayerNormFused : Function
{
    private Tensor _mean;                 // [...] the rows' means
    private Tensor _rstd;                 // [...] the rows' 1 / sqrt(var + eps)
    private readonly bool _hasWeight, _hasBias;
    private readonly double _eps;

    private LayerNormFused(Tensor mean, Tensor rstd, bool hasWeight, bool hasBias, double eps)
    {
        _mean = mean;
        _rstd = rstd;
        _hasWeight = hasWeight;
        _hasBias = hasBias;
        _eps = eps;
    }

    /// <summary>x [..., C] with weight and bias [C] (or null), already validated by <see cref="Functional.LayerNorm"/>.</summary>
    internal static Tensor Apply(Tensor x, Tensor? weight, Tensor? bias, double eps)
    {
        var (y, mean, rstd) = RawOps.LayerNorm(x, weight, bias, eps);
        var inputs = new[] { x, weight, bias }.OfType<Tensor>().ToArray();         // the ones given, in this order
        var result = Record(y, () => new LayerNormFused(mean, rstd, weight is not null, bias is not null, eps), inputs);
        if (result.GradFn is null)
        {
            mean.Dispose();
            rstd.Dispose();
        }
        return result;
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var x = Inputs[0];                                                           // [..., C]
        var weight = _hasWeight ? Inputs[1] : null;                                  // [C]
        bool wantDx = x.RequiresGrad, wantDw = weight?.RequiresGrad == true, wantDb = _hasBias && Inputs[^1].RequiresGrad;
        // dB = sum(dY) never involves x or w, but dX and dW do: they need the recorded form when a graph is built
        // through dY, x or w.
        var (dx, dw, db) = Autograd.IsRecording(weight is null ? [dOut, x] : [dOut, x, weight])
            ? Differentiable(dOut, x, weight, wantDx, wantDw, wantDb)
            : RawOps.LayerNormBackward(dOut, x, weight, _mean, _rstd, wantDx, wantDw, wantDb);
        var grads = new List<Tensor?> { dx };                                        // one per input, in Inputs' order
        if (_hasWeight) grads.Add(dw);
        if (_hasBias) grads.Add(db);
        return grads.ToArray();
    }

    /// <summary>The backward from recorded tensor ops, with mean and rstd recomputed from x so they carry gradients too.</summary>
    private (Tensor?, Tensor?, Tensor?) Differentiable(Tensor dOut, Tensor x, Tensor? weight, bool wantDx, bool wantDw, bool wantDb)
    {
        var rowDims = Enumerable.Range(0, x.Rank - 1).ToArray();
        Tensor SumRows(Tensor t) => rowDims.Length == 0 ? t : t.Sum(rowDims);       // [..., C] -> [C]
        var xc = x - x.Mean(-1, keepDim: true);                                      // [..., C]
        var rstd = (xc.Square().Mean(-1, keepDim: true) + _eps).Rsqrt();             // [..., 1]
        var xhat = xc * rstd;                                                        // [..., C]
        var g = weight is null ? dOut : dOut * weight;                               // [..., C]
        var dx = wantDx ? rstd * (g - g.Mean(-1, keepDim: true) - xhat * (g * xhat).Mean(-1, keepDim: true)) : null;
        var dw = wantDw ? SumRows(dOut * xhat) : null;                               // [C]
        var db = wantDb ? SumRows(dOut) : null;                                      // [C]
        return (dx, dw, db);
    }

    protected override void ReleaseSaved()
    {
        _mean.Dispose();
        _rstd.Dispose();
        _mean = null!;
        _rstd = null!;
    }
}
