// Fused functions: a composite op computed as one graph node with its own backward, for speed and memory.
// Each is tested against its composition in Functional (values and gradients).

namespace DotGrad.Functions;

/// <summary>
/// Softmax cross entropy of logits [M, C] and Int32 labels [M] as one node (the composition is
/// <see cref="Functional.CrossEntropyComposite"/>). Forward: log_softmax, gather, mask, reduce, with no graph kept
/// in between. With p = softmax(x), q = (1 - eps) onehot(label) + eps / C the smoothed target, and w the weight of a
/// row in the reduction (1 for "sum", 1 / count for "mean", dOut_i for "none", 0 for ignored rows):
/// d loss / d x = (p - q) * w * dOut. The backward recomputes p from x with tensor ops, so it can be differentiated again.
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
            using var logp = logits.LogSoftmax(-1);                                  // [M, C]
            using var column = safeLabels.Unsqueeze(1);                              // [M, 1]
            using var picked = logp.Gather(1, column);                               // [M, 1]
            using var logpLabel = picked.Reshape(-1);                                // [M]: log p[label]
            using var perRow = eps == 0 ? -logpLabel : SmoothedRow(logpLabel, logp, eps); // [M]
            using var zero = Tensor.Scalar(0, logits.DType, logits.Device);
            var masked = Tensor.Where(keep, perRow, zero);                           // [M]
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

    /// <summary>(1 - eps) (-log p[label]) + eps mean_c(-log p[c]), per row.</summary>
    private static Tensor SmoothedRow(Tensor logpLabel, Tensor logp, double eps)
    {
        using var meanLogp = logp.Mean(-1);
        using var a = logpLabel * -(1 - eps);
        using var b = meanLogp * -eps;
        return a + b;
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var x = Inputs[0];                                                           // [M, C]
        int C = x.ShapeRef[^1];
        var p = x.Softmax(-1);                                                       // [M, C]
        var q = _labels.OneHot(C).To(x.DType) * (1 - _eps) + _eps / C;              // [M, C]
        var rowWeight = _keep.To(x.DType);                                           // [M]
        rowWeight = _reduction switch
        {
            "none" => rowWeight * dOut,                                              // dOut [M]
            "sum" => rowWeight * dOut,                                               // dOut []
            // With every row ignored the weights are all 0; dividing by 1 then keeps the gradient 0 (not 0/0), as
            // the composition's gradient is.
            _ => rowWeight * dOut / Math.Max(_count, 1),
        };
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
