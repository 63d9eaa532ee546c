// Scaled dot-product attention written out: scores, mask, stable softmax, weighted sum of values.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// softmax(q k^T * scale + mask) v, like <c>F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=, scale=)</c>
    /// without dropout.
    /// <para>Shapes: q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] (batch and head dims broadcast as in matmul);
    /// the result is [..., Tq, Dv]. <paramref name="scale"/> defaults to 1/sqrt(D); pass 1.0 / D for muP-style scaling.</para>
    /// <para><paramref name="causal"/>: query i sees keys j &lt;= i, a lower-triangular [Tq, Tk] mask aligned top-left,
    /// as PyTorch's is_causal (with Tq &lt; Tk the last queries do not see the last keys; slice k and v, or pass an
    /// explicit mask, for a bottom-right alignment as in decoding with a cache).</para>
    /// <para><paramref name="mask"/>, broadcastable to [..., Tq, Tk]: a Bool mask keeps the logits where true
    /// (PyTorch's bool attn_mask); a float mask is added to the logits. Masked logits are -inf before a stable
    /// softmax, so a query with every key masked gets NaN, as in PyTorch's math implementation. Unlike PyTorch, a mask
    /// may be combined with <paramref name="causal"/> (both apply).</para>
    /// <para>Without a mask, and with q, k and v of the same batch dims, this runs <see cref="Functions.AttentionFused"/>:
    /// one backend kernel per direction, which keeps no [..., Tq, Tk] tensor for the backward. Its result then lies in
    /// memory as [..., Tq, H, Dv] (H the last batch dim) and is returned as the view [..., H, Tq, Dv], so merging the
    /// heads back is free (PyTorch's flash kernel returns the same layout). <see cref="ScaledDotProductAttentionComposite"/>
    /// is the same math from primitives.</para>
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, bool causal = false, Tensor? mask = null, double? scale = null) =>
        AttentionFromArguments(q, k, v, causal, mask, scale, fused: true);

    /// <summary>
    /// <see cref="ScaledDotProductAttention"/> written from primitives (matmul, scale, where, softmax, matmul): the
    /// readable definition and the oracle for the fused version. Same arguments, shapes and results (to rounding).
    /// </summary>
    public static Tensor ScaledDotProductAttentionComposite(Tensor q, Tensor k, Tensor v, bool causal = false, Tensor? mask = null, double? scale = null) =>
        AttentionFromArguments(q, k, v, causal, mask, scale, fused: false);

    private static Tensor AttentionFromArguments(Tensor q, Tensor k, Tensor v, bool causal, Tensor? mask, double? scale, bool fused)
    {
        const string op = "scaled_dot_product_attention";
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        CheckFloat(op, "q", q);
        CheckSameDType(op, q, "q", k, "k");
        CheckSameDType(op, q, "q", v, "v");
        if (q.Rank < 2 || k.Rank < 2 || v.Rank < 2)
            throw new ArgumentException($"{op}: expected q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] with at least 2 dims, got {Fmt(q.ShapeRef)}, {Fmt(k.ShapeRef)}, {Fmt(v.ShapeRef)}");
        int Tq = q.ShapeRef[^2], D = q.ShapeRef[^1], Tk = k.ShapeRef[^2];
        if (k.ShapeRef[^1] != D)
            throw new ArgumentException($"{op}: q and k must share the last dim D, got q {Fmt(q.ShapeRef)} and k {Fmt(k.ShapeRef)}", nameof(k));
        if (v.ShapeRef[^2] != Tk)
            throw new ArgumentException($"{op}: k and v must have the same number of keys (dim -2), got k {Fmt(k.ShapeRef)} and v {Fmt(v.ShapeRef)}", nameof(v));

        var batch = q.ShapeRef[..^2];
        if (fused && mask is null && k.ShapeRef[..^2].SequenceEqual(batch) && v.ShapeRef[..^2].SequenceEqual(batch))
            return Functions.AttentionFused.Apply(q, k, v, scale ?? 1.0 / Math.Sqrt(D), causal); // [..., Tq, Dv]

        var scores = q.MatMul(k.MT) * (scale ?? 1.0 / Math.Sqrt(D)); // [..., Tq, Tk]
        var negInf = Tensor.Scalar(double.NegativeInfinity, q.DType, q.Device);
        if (causal)
        {
            var rows = Tensor.Arange(0, Tq, 1, DType.Int32, q.Device).Unsqueeze(1); // [Tq, 1]
            var cols = Tensor.Arange(0, Tk, 1, DType.Int32, q.Device);               // [Tk]
            scores = Tensor.Where(cols.Le(rows), scores, negInf);                      // keep j <= i
        }
        if (mask is not null)
        {
            if (mask.Device != q.Device)
                throw new ArgumentException($"{op}: expected the mask on {q.Device}, got {mask.Device}", nameof(mask));
            if (!Backends.ShapeMath.CanBroadcastTo(mask.ShapeRef, scores.ShapeRef))
                throw new ArgumentException($"{op}: mask shape {Fmt(mask.ShapeRef)} cannot be broadcast to the attention logits' shape {Fmt(scores.ShapeRef)} ([..., Tq, Tk])", nameof(mask));
            scores = mask.DType switch
            {
                DType.Bool => Tensor.Where(mask, scores, negInf), // true = keep
                DType.Float32 or DType.Float64 when mask.DType == q.DType => scores + mask,
                _ => throw new ArgumentException($"{op}: expected a Bool mask or a float mask of q's dtype {q.DType}, got {mask.DType}", nameof(mask)),
            };
        }
        return scores.Softmax(-1).MatMul(v); // [..., Tq, Tk] @ [..., Tk, Dv] -> [..., Tq, Dv]
    }

    [GradChecks]
    internal static OpChecks AttentionChecks() => OpChecks.Composite("nn")
        .Op("attention", x => ScaledDotProductAttention(x[0], x[1], x[2]), d => d.AttentionSample(),
            uses: [typeof(Functions.AttentionFused)])
        .Op("attention_causal", x => ScaledDotProductAttention(x[0], x[1], x[2], causal: true), d => d.AttentionSample(),
            uses: [typeof(Functions.AttentionFused)])
        .Op("attention_heads", x => ScaledDotProductAttention(x[0], x[1], x[2], scale: 0.7), d => d.AttentionSample(heads: true),
            uses: [typeof(Functions.AttentionFused)])
        .Op("attention_heads_causal", x => ScaledDotProductAttention(x[0], x[1], x[2], causal: true), d => d.AttentionSample(heads: true),
            uses: [typeof(Functions.AttentionFused)])
        .Op("attention_composite", x => ScaledDotProductAttentionComposite(x[0], x[1], x[2]), d => d.AttentionSample(),
            uses: [typeof(Functions.MatMul), typeof(Functions.Softmax)])
        .Op("attention_composite_causal", x => ScaledDotProductAttentionComposite(x[0], x[1], x[2], causal: true), d => d.AttentionSample(),
            uses: [typeof(Functions.MatMul), typeof(Functions.Softmax), typeof(Functions.Where)]);
}
