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

    /// <summary>
    /// The first-order backward of an activation in one pass: dx = dy * f'(x), all three of one shape and dtype
    /// (Float32 or Float64). For <see cref="ActivationKind.Sigmoid"/> and <see cref="ActivationKind.Tanh"/> the first operand
    /// is the forward's output y (f' = y (1 - y) and 1 - y^2); for the others it is the input x. ReLU passes dy where
    /// x &gt; 0 and 0 elsewhere (PyTorch's threshold_backward, so an infinite dy at x &lt;= 0 still gives 0).
    /// dx may be dy; it must not overlap x otherwise.
    /// </summary>
    void ActivationBackward(ActivationKind kind, Strided x, Strided dy, Strided dx);

    /// <summary>
    /// The backward of <see cref="Softmax"/> along one axis, one pass per line, from its output y and dy (all of one
    /// shape): dx = y (dy - sum(dy y)) for softmax, dx = dy - exp(y) sum(dy) for log-softmax (y = log p).
    /// dx must not overlap y or dy.
    /// </summary>
    void SoftmaxBackward(Strided y, Strided dy, Strided dx, int axis, bool log);

    /// <summary>
    /// Per-row softmax cross entropy of logits x [M, C] and Int32 labels [M] into loss [M] (x's dtype):
    /// loss = logsumexp(x) - (1 - eps) x[label] - eps mean(x), which is (1 - eps)(-log p[label]) + eps mean(-log p)
    /// (PyTorch's label smoothing); rows whose label is <paramref name="ignoreIndex"/> get 0. Every other label must
    /// lie in [0, C).
    /// </summary>
    void CrossEntropy(Strided x, Strided labels, Strided loss, int ignoreIndex, double eps);

    /// <summary>
    /// The gradient of the per-row cross entropy: dx = (softmax(x) - q) * rowWeight per row of x [M, C], with the
    /// smoothed target q = (1 - eps) onehot(label) + eps / C, Int32 labels [M] in [0, C) and rowWeight [M] (the
    /// reduction's weight times dOut; 0 on ignored rows).
    /// </summary>
    void CrossEntropyBackward(Strided x, Strided labels, Strided rowWeight, Strided dx, double eps);

    /// <summary>
    /// One Adam / AdamW step, PyTorch's arithmetic, updating p, m, v (and maxV for AMSGrad) in place; all contiguous
    /// of one shape and dtype (Float32 or Float64), g read only. With c(a) the number a in the dtype:
    /// <code>
    /// w = p c(1 - lr wd)  (decoupled)     g = g + p c(wd)  (coupled)
    /// m = m c(b1) + g c(1 - b1)            v = v c(b2) + g g c(1 - b2)        maxV = max(maxV, v), used as v
    /// p = w - m / (sqrt(v) / c(sqrt(bias2)) + c(eps)) c(lr / bias1)
    /// </code>
    /// bias1 = 1 - b1^t and bias2 = 1 - b2^t. Each product and sum is rounded as those tensor ops round it, so the
    /// result equals the tensor-op step (<c>Optim.Adam</c>) exactly.
    /// </summary>
    void AdamStep(Strided p, Strided g, Strided m, Strided v, Strided? maxV, double lr, double wd, bool decoupled,
                  double beta1, double beta2, double eps, double bias1, double bias2);

    /// <summary>
    /// One SGD step, PyTorch's arithmetic, updating p (and the momentum buffer) in place; all contiguous of one shape
    /// and dtype, g read only. With c(a) the number a in the dtype:
    /// <code>
    /// g = g + p c(wd)                                                      (when wd != 0)
    /// buf = g (firstStep)  or  buf c(mu) + g c(1 - dampening)              (when buf is given: momentum mu != 0)
    /// d = g + buf c(mu) (nesterov)  or  buf  (or g without a buffer)
    /// p = p - d c(lr)
    /// </code>
    /// </summary>
    void SgdStep(Strided p, Strided g, Strided? buf, double lr, double wd, double momentum, double dampening, bool nesterov, bool firstStep);
}

/// <summary>The activations whose backward <see cref="IFusedKernels.ActivationBackward"/> computes.</summary>
public enum ActivationKind
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>Exact GELU x Phi(x): f' = Phi(x) + x phi(x).</summary>
    Gelu,
    /// <summary>Tanh GELU x s(2u), u = sqrt(2/pi)(x + 0.044715 x^3): f' = s(2u) + x s(2u)(1 - s(2u)) 2u'.</summary>
    GeluTanh,
    /// <summary>SiLU x s(x): f' = s (1 + x (1 - s)).</summary>
    Silu,
    /// <summary>Sigmoid, from its output y: f' = y (1 - y).</summary>
    Sigmoid,
    /// <summary>Tanh, from its output y: f' = 1 - y^2.</summary>
    Tanh,
}
