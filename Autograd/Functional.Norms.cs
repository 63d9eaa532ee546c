// Normalisation over the last dim: layer norm and RMS norm, from mean, rsqrt and broadcasting multiplies.
namespace DotGrad;

public static partial class Functional
{
    /// <summary>
    /// Layer norm over the last dim D: y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance
    /// mean((x - mean)^2) as PyTorch uses. Like <c>F.layer_norm(x, (D,), weight, bias, eps)</c>, but only the last dim
    /// is normalised. eps defaults to PyTorch's 1e-5; flax uses 1e-6. weight and bias, when given, have shape [D].
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "layer_norm";
        CheckNormInputs(op, x, weight, bias, eps);
        var mean = x.Mean(-1, keepDim: true);             // [..., 1]
        var xc = x - mean;                                 // [..., D]
        var variance = xc.Square().Mean(-1, keepDim: true); // [..., 1], biased
        var y = xc * (variance + eps).Rsqrt();
        if (weight is not null) y = y * weight;
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

    private static void CheckNormInputs(string op, Tensor x, Tensor? weight, Tensor? bias, double eps)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFloat(op, "x", x);
        if (x.Rank == 0) throw new ArgumentException($"{op}: expected x with at least 1 dim (normalised over the last), got a scalar", nameof(x));
        if (!(eps >= 0)) throw new ArgumentException($"{op}: eps must be non-negative, got {eps}", nameof(eps));
        int D = x.ShapeRef[^1];
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            CheckSameDType(op, x, "x", t, name);
            if (t.Rank != 1 || t.ShapeRef[0] != D)
                throw new ArgumentException($"{op}: expected {name} of shape [{D}] (the last dim of x, shape {Fmt(x.ShapeRef)}), got {Fmt(t.ShapeRef)}", name);
        }
    }
}
