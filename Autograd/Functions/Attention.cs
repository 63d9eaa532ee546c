// Scaled dot-product attention as one graph node on the backends' fused kernels (the composition is
// Functional.ScaledDotProductAttentionComposite): no [.., Tq, Tk] score or probability tensor is kept for the backward.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// o = softmax(q k^T * scale, causally masked or not) v for q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] with the
/// same batch dims. The forward keeps o and the row log-sum-exp lse [..., Tq]; with P = exp(q k^T * scale - lse) (0 where
/// masked) the backward is dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * o)), dQ = scale * dS K,
/// dK = scale * dS^T Q. A first-order backward runs the fused backward kernel, which recomputes P a block of rows at a
/// time. With createGraph the backward is written with tensor ops instead (P recomputed from q and k, and rowsum(dP * P)
/// in place of rowsum(dO * o), its value), so the gradient can itself be differentiated.
/// </summary>
public sealed class AttentionFused : Function
{
    protected internal override bool ReadsOutput => true;

    private Tensor _o;                    // [..., Tq, Dv] the output (a second handle on its memory)
    private Tensor _lse;                  // [..., Tq] the rows' log-sum-exp of the scaled, masked logits
    private readonly double _scale;
    private readonly bool _causal;

    private AttentionFused(Tensor o, Tensor lse, double scale, bool causal)
    {
        _o = o;
        _lse = lse;
        _scale = scale;
        _causal = causal;
    }

    /// <summary>Arguments as <see cref="Functional.ScaledDotProductAttention"/>, already validated, with equal batch dims.</summary>
    internal static Tensor Apply(Tensor q, Tensor k, Tensor v, double scale, bool causal)
    {
        var (o, lse) = RawOps.Attention(q, k, v, scale, causal);
        var result = Record(o, () => new AttentionFused(o.AsStrided(o.ShapeRef, o.StridesRef, o.Offset), lse, scale, causal), q, k, v);
        if (result.GradFn is null) lse.Dispose();
        return result;
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        Tensor q = Inputs[0], k = Inputs[1], v = Inputs[2];
        var (dq, dk, dv) = Autograd.IsRecording([dOut, q, k, v])
            ? Differentiable(dOut, q, k, v)
            : RawOps.AttentionBackward(dOut, q, k, v, _o, _lse, _scale, _causal);
        return [q.RequiresGrad ? dq : null, k.RequiresGrad ? dk : null, v.RequiresGrad ? dv : null];
    }

    /// <summary>The backward from recorded tensor ops: the composite's forward up to P, then the softmax and matmul rules.</summary>
    private (Tensor, Tensor, Tensor) Differentiable(Tensor dOut, Tensor q, Tensor k, Tensor v)
    {
        var p = Probabilities(q, k, _scale, _causal);                                // [..., Tq, Tk]
        var dv = p.MT.MatMul(dOut);                                                  // [..., Tk, Dv]
        var dp = dOut.MatMul(v.MT);                                                  // [..., Tq, Tk]
        var ds = p * (dp - (dp * p).Sum(-1, keepDim: true)) * _scale;               // [..., Tq, Tk]
        return (ds.MatMul(k), ds.MT.MatMul(q), dv);                                  // [..., Tq, D], [..., Tk, D]
    }

    /// <summary>softmax(q k^T * scale) with keys j &gt; i at -inf when causal: the composite's probabilities.</summary>
    internal static Tensor Probabilities(Tensor q, Tensor k, double scale, bool causal)
    {
        var scores = q.MatMul(k.MT) * scale;                                         // [..., Tq, Tk]
        if (causal)
        {
            int Tq = q.Size(-2), Tk = k.Size(-2);
            var rows = Tensor.Arange(0, Tq, 1, DType.Int32, q.Device).Unsqueeze(1); // [Tq, 1]
            var cols = Tensor.Arange(0, Tk, 1, DType.Int32, q.Device);               // [Tk]
            var negInf = Tensor.Scalar(double.NegativeInfinity, q.DType, q.Device);
            scores = Tensor.Where(cols.Le(rows), scores, negInf);                      // keep j <= i
        }
        return scores.Softmax(-1);
    }

    protected override void ReleaseSaved()
    {
        _o.Dispose();
        _lse.Dispose();
        _o = null!;
        _lse = null!;
    }
}
