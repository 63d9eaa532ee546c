// The optional fused kernels: one pass over the data where the composite would make several. A backend implements
// this interface when it has them; otherwise CompositeKernels computes the same results from the IBackend primitives.
namespace DotGrad.Backends;

/// <summary>
/// Fused kernels a fast backend may offer beside the <see cref="IBackend"/> primitives. Each has a composite form in
/// <see cref="CompositeKernels"/> (primitives only), which is what runs on a backend without the kernel, the oracle the
/// fused kernel is tested against, and its readable definition. The Reference backend implements none of them.
/// Adding a fused kernel touches this interface, <see cref="CompositeKernels"/> and the backends that have it.
/// </summary>
public interface IFusedKernels
{
    /// <summary>Numerically stable softmax (or log-softmax) along one axis: the maximum is subtracted first.</summary>
    void Softmax(Strided x, Strided y, int axis, bool log);

    /// <summary>
    /// Layer norm over the last axis of x [..., C], one row at a time: mean = mean(x), rstd = 1 / sqrt(var + eps) with
    /// the biased variance var = mean((x - mean)^2), and y = (x - mean) * rstd * weight + bias, y shaped like x.
    /// mean and rstd have x's shape without the last axis (the rows) and are kept for <see cref="LayerNormBackward"/>.
    /// weight and bias [C] are optional (null: 1 and 0). Float32 and Float64; every operand has x's dtype.
    /// Deviations are formed as (x - x[0]) - mean(x - x[0]), two passes, so a constant row gives exactly its value and
    /// a variance of 0, and a row whose mean is far larger than its spread keeps its precision.
    /// A row of length 0 gets NaN mean and rstd (0 / 0).
    /// </summary>
    void LayerNorm(Strided x, Strided? weight, Strided? bias, Strided y, Strided mean, Strided rstd, double eps);

    /// <summary>
    /// The gradients of <see cref="LayerNorm"/> given dy (shaped like x) and the saved mean and rstd. Per row, with
    /// xhat = (x - mean) * rstd and g = dy * weight (dy without a weight):
    /// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); over all rows, dweight = sum(dy * xhat) and dbias = sum(dy),
    /// both [C]. Each output is optional (null: not computed); with no rows dweight and dbias are 0.
    /// </summary>
    void LayerNormBackward(Strided dy, Strided x, Strided? weight, Strided mean, Strided rstd, Strided? dx, Strided? dweight, Strided? dbias);

    /// <summary>
    /// Scaled dot-product attention, like PyTorch's <c>F.scaled_dot_product_attention</c> without a mask or dropout:
    /// o = softmax(q k^T * scale, masked) v with q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv], o [..., Tq, Dv] (the
    /// same batch dims on every operand, any strides). lse [..., Tq] receives each row's log-sum-exp of the scaled,
    /// masked logits, which is all <see cref="AttentionBackward"/> needs to rebuild the probabilities.
    /// <paramref name="causal"/>: query i sees keys j &lt;= i (aligned top-left, as PyTorch's is_causal). With no keys
    /// (Tk = 0) o is 0 and lse is -inf, as the composite's empty softmax and matmul give.
    /// </summary>
    void Attention(Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal);

    /// <summary>
    /// The gradients of <see cref="Attention"/> from dO [..., Tq, Dv] and the saved o and lse. With the probabilities
    /// P = exp(q k^T * scale - lse) recomputed (0 where masked) and Drow = rowsum(dO * o):
    /// dv = P^T dO, dP = dO v^T, dS = P * (dP - Drow), dq = scale * dS k, dk = scale * dS^T q. dq, dk and dv have the
    /// shapes of q, k and v and are overwritten.
    /// </summary>
    void AttentionBackward(Strided dO, Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal,
                           Strided dq, Strided dk, Strided dv);

    /// <summary>
    /// A linear layer's forward, <c>y = x W^T + b</c> (PyTorch's <c>F.linear</c>): x [M, K] and weight [N, K] with any
    /// strides, bias [N] or null, y [M, N] with contiguous rows. The bias is added as the product is stored, so y is
    /// written once (the composite adds it in a second pass over y).
    /// </summary>
    void Linear(Strided x, Strided weight, Strided? bias, Strided y);
}
