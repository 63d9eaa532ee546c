// Normalisation over the last dims: layer norm (fused by default, with its composition as the oracle) and RMS norm
// from mean, rsqrt and broadcasting multiplies.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// Layer norm, like <c>F.layer_norm(x, normalized_shape, weight, bias, eps)</c>: each slice of x over its last dims
    /// (those of <paramref name="normalizedShape"/>; by default the last dim alone) is normalised as
    /// y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance mean((x - mean)^2) as PyTorch uses.
    /// weight and bias are optional (the elementwise affine) and, when given, have the normalized shape. eps defaults to
    /// PyTorch's 1e-5; flax uses 1e-6.
    /// <para><paramref name="fused"/> (the default) runs <see cref="Functions.LayerNormFused"/>: one backend kernel per
    /// direction, one pass per row, with the several normalized dims seen as one; false runs
    /// <see cref="LayerNormComposite"/>, the same math from primitives (mean, subtract, square, rsqrt, multiply).</para>
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5, int[]? normalizedShape = null,
                                   bool fused = true)
    {
        const string op = "layer_norm";
        var shape = CheckNormInputs(op, x, weight, bias, eps, normalizedShape);
        if (!fused) return LayerNormFromPrimitives(x, weight, bias, eps, shape.Length);
        if (shape.Length == 1) return Functions.LayerNormFused.Apply(x, weight, bias, eps);
        // Several normalized dims are one for the kernel: [..., d1, ..., dk] -> [..., D], a view when x is contiguous.
        int D = ShapeMath.Count(shape);
        var x2 = x.Reshape([.. x.ShapeRef[..^shape.Length], D]);                     // [..., D]
        var y = Functions.LayerNormFused.Apply(x2, weight?.Reshape(D), bias?.Reshape(D), eps);
        return y.Reshape(x.ShapeRef);                                                // [..., d1, ..., dk]
    }

    /// <summary>
    /// <see cref="LayerNorm"/> written from primitives: the readable definition and the oracle for the fused version.
    /// Same arguments, shapes and results (to rounding).
    /// </summary>
    public static Tensor LayerNormComposite(Tensor x, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5, int[]? normalizedShape = null) =>
        LayerNorm(x, weight, bias, eps, normalizedShape, fused: false);

    [GradChecks]
    internal static OpChecks LayerNormChecks() => OpChecks.Composite("nn")
        .Op("layer_norm", x => LayerNorm(x[0], x[1], x[2]), d => d.NormSample(withBias: true), uses: [typeof(Functions.LayerNormFused)])
        .Op("layer_norm_weight_only", x => LayerNorm(x[0], x[1]), d => d.NormSample(withBias: false), uses: [typeof(Functions.LayerNormFused)])
        .Op("layer_norm_no_affine", x => LayerNorm(x[0]), d => d.Unary(-2, 2, minRank: 1, maxRank: 3, minLast: 2),
            uses: [typeof(Functions.LayerNormFused)])
        .Op("layer_norm_last_two_dims", x => LayerNorm(x[0], x[1], x[2], normalizedShape: x[1].Shape), d => d.NormSample(withBias: true, dims: 2),
            uses: [typeof(Functions.LayerNormFused), typeof(Functions.Reshape)])
        .Op("layer_norm_composite", x => LayerNormComposite(x[0], x[1], x[2]), d => d.NormSample(withBias: true),
            uses: [typeof(Functions.Mean), typeof(Functions.Rsqrt)])
        .Op("layer_norm_composite_last_two_dims", x => LayerNormComposite(x[0], x[1], x[2], normalizedShape: x[1].Shape),
            d => d.NormSample(withBias: true, dims: 2), uses: [typeof(Functions.Mean), typeof(Functions.Rsqrt)]);

    /// <summary>Layer norm over the last <paramref name="k"/> dims from primitives; the inputs are already validated.</summary>
    private static Tensor LayerNormFromPrimitives(Tensor x, Tensor? weight, Tensor? bias, double eps, int k)
    {
        var dims = Enumerable.Range(x.Rank - k, k).ToArray();
        var mean = x.Mean(dims, keepDim: true);              // [..., 1, ..., 1]
        var xc = x - mean;                                   // [..., d1, ..., dk]
        var variance = xc.Square().Mean(dims, keepDim: true); // [..., 1, ..., 1], biased
        var y = xc * (variance + eps).Rsqrt();
        if (weight is not null) y = y * weight;              // [d1, ..., dk] broadcasts over the leading dims
        if (bias is not null) y = y + bias;
        return y;
    }

    /// <summary>
    /// RMS norm over the last dim D: y = x * rsqrt(mean(x^2) + eps) * weight; no mean is subtracted and there is no
    /// bias. eps defaults to 1e-6 (T5 and most LLaMA-style models); PyTorch's <c>F.rms_norm</c> defaults to the
    /// dtype's machine epsilon instead (1.2e-7 for Float32), so pass eps explicitly when matching it.
    /// </summary>
    public static Tensor RmsNorm(Tensor x, Tensor? weight = null, double eps = 1e-6)
    {
        const string op = "rms_norm";
        CheckNormInputs(op, x, weight, null, eps);
        var y = x * (x.Square().Mean(-1, keepDim: true) + eps).Rsqrt(); // [..., D] * [..., 1]
        return weight is null ? y : y * weight;
    }

    [GradChecks]
    internal static OpChecks RmsNormChecks() => OpChecks.Composite("nn")
        .Op("rms_norm", x => RmsNorm(x[0], x[1]), d => d.NormSample(withBias: false), uses: [typeof(Functions.Mean), typeof(Functions.Rsqrt)]);

    /// <summary>
    /// Validates a norm's arguments and returns the normalized shape: <paramref name="normalizedShape"/>, which must
    /// be the last dims of x, or by default x's last dim. weight and bias, when given, must have that shape.
    /// </summary>
    private static int[] CheckNormInputs(string op, Tensor x, Tensor? weight, Tensor? bias, double eps, int[]? normalizedShape = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFloat(op, "x", x);
        if (x.Rank == 0) throw new ArgumentException($"{op}: expected x with at least 1 dim (normalised over the last), got a scalar", nameof(x));
        if (!(eps >= 0)) throw new ArgumentException($"{op}: eps must be non-negative, got {eps}", nameof(eps));
        int[] shape = normalizedShape ?? [x.ShapeRef[^1]];
        int k = shape.Length;
        if (k == 0 || k > x.Rank || !x.ShapeRef.AsSpan(x.Rank - k).SequenceEqual(shape))
            throw new ArgumentException($"{op}: normalizedShape {Fmt(shape)} must be the last 1 to {x.Rank} dims of x, whose shape is {Fmt(x.ShapeRef)}", nameof(normalizedShape));
        string what = normalizedShape is null ? "the last dim of x" : $"the normalized shape, the last {k} dims of x";
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            CheckSameDType(op, x, "x", t, name);
            if (!t.ShapeRef.SequenceEqual(shape))
                throw new ArgumentException($"{op}: expected {name} of shape {Fmt(shape)} ({what}, shape {Fmt(x.ShapeRef)}), got {Fmt(t.ShapeRef)}", name);
        }
        return (int[])shape.Clone();
    }
}
