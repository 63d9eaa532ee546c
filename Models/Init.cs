// Parameter initialisers (torch.nn.init and flax/jax.nn.initializers): each overwrites a parameter in place from a
// seeded generator, so the same seed gives the same numbers on every device.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// In-place initialisers for parameters, named as in <c>torch.nn.init</c>; each returns the tensor it filled. Random
/// ones draw from the library's Philox streams (<see cref="Generator.Default"/> when none is given), so a seed gives
/// the same values on every device. Fans are computed as PyTorch does for a weight laid out [out, in, k...]:
/// fan_in = in * k..., fan_out = out * k... (for a rank-2 weight, JAX's default fans of its [in, out] kernel agree).
/// </summary>
public static class Init
{
    /// <summary>The standard deviation of a standard normal truncated to [-2, 2]: flax divides by it so a truncated
    /// draw keeps the asked-for variance (<c>jax.nn.initializers.variance_scaling</c>).</summary>
    public const double TruncatedStdCorrection = 0.87962566103423978;

    /// <summary>Fills with N(mean, std^2) (<c>torch.nn.init.normal_</c>).</summary>
    public static Tensor Normal(Tensor p, double std = 1, double mean = 0, Generator? generator = null)
    {
        if (!(std >= 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "Init.Normal: std must be >= 0");
        return Fill(p, "Normal", dtype => Tensor.Normal(p.Shape, mean, std, generator, dtype, p.Device));
    }

    /// <summary>Fills with U[low, high) (<c>torch.nn.init.uniform_</c>).</summary>
    public static Tensor Uniform(Tensor p, double low = 0, double high = 1, Generator? generator = null)
    {
        if (!(low <= high)) throw new ArgumentException($"Init.Uniform: expected low <= high, got low {low} and high {high}");
        return Fill(p, "Uniform", dtype => Tensor.Uniform(p.Shape, low, high, generator, dtype, p.Device));
    }

    /// <summary>
    /// PyTorch's <c>torch.nn.init.trunc_normal_(p, mean, std, a, b)</c>: N(mean, std^2) conditioned on [a, b], where
    /// <paramref name="a"/> and <paramref name="b"/> are ABSOLUTE bounds (default ±2, which for std = 0.02 truncates
    /// nothing in practice). The std of the result is below <paramref name="std"/> when the bounds bite. For bounds in
    /// units of std (flax), use <see cref="TruncatedNormalStd"/>.
    /// </summary>
    public static Tensor TruncatedNormal(Tensor p, double std = 1, double mean = 0, double a = -2, double b = 2, Generator? generator = null)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "Init.TruncatedNormal: std must be positive");
        if (!(a < b)) throw new ArgumentException($"Init.TruncatedNormal: expected bounds a < b, got a {a} and b {b}");
        return FillTruncated(p, "TruncatedNormal", (a - mean) / std, (b - mean) / std, std, mean, generator);
    }

    /// <summary>
    /// flax's <c>nn.initializers.truncated_normal(stddev, lower, upper)</c>: a standard normal truncated to
    /// [<paramref name="lower"/>, <paramref name="upper"/>] (in units of std, default ±2), times <paramref name="std"/>.
    /// No variance correction: the result's std is 0.8796 std for the default bounds.
    /// </summary>
    public static Tensor TruncatedNormalStd(Tensor p, double std = 0.01, double lower = -2, double upper = 2, Generator? generator = null)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "Init.TruncatedNormalStd: std must be positive");
        if (!(lower < upper)) throw new ArgumentException($"Init.TruncatedNormalStd: expected lower < upper, got lower {lower} and upper {upper}");
        return FillTruncated(p, "TruncatedNormalStd", lower, upper, std, 0, generator);
    }

    /// <summary>
    /// Glorot/Xavier uniform (<c>torch.nn.init.xavier_uniform_</c>): U(-r, r) with r = gain sqrt(6 / (fan_in + fan_out)),
    /// variance gain^2 * 2 / (fan_in + fan_out).
    /// </summary>
    public static Tensor XavierUniform(Tensor p, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(p, "XavierUniform");
        double r = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Fill(p, "XavierUniform", dtype => Tensor.Uniform(p.Shape, -r, r, generator, dtype, p.Device));
    }

    /// <summary>Glorot/Xavier normal (<c>torch.nn.init.xavier_normal_</c>): N(0, gain^2 * 2 / (fan_in + fan_out)), not truncated.</summary>
    public static Tensor XavierNormal(Tensor p, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(p, "XavierNormal");
        return Normal(p, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), 0, generator);
    }

    /// <summary>LeCun uniform (flax's <c>lecun_uniform</c>): U(-r, r) with r = sqrt(3 / fan_in), variance 1 / fan_in.</summary>
    public static Tensor LecunUniform(Tensor p, Generator? generator = null)
    {
        var (fanIn, _) = Fans(p, "LecunUniform");
        double r = Math.Sqrt(3.0 / fanIn);
        return Fill(p, "LecunUniform", dtype => Tensor.Uniform(p.Shape, -r, r, generator, dtype, p.Device));
    }

    /// <summary>
    /// LeCun normal as flax's <c>lecun_normal</c> (the default kernel init of flax's Dense) does it: a standard normal
    /// truncated to [-2, 2] times sqrt(1 / fan_in) / 0.87962566103423978, so the variance is exactly 1 / fan_in and
    /// every value lies within ±2.2737 / sqrt(fan_in). (PyTorch has no lecun init; its nearest is an untruncated
    /// <c>kaiming_normal_(nonlinearity='linear')</c>.)
    /// </summary>
    public static Tensor LecunNormal(Tensor p, Generator? generator = null)
    {
        var (fanIn, _) = Fans(p, "LecunNormal");
        return FillTruncated(p, "LecunNormal", -2, 2, Math.Sqrt(1.0 / fanIn) / TruncatedStdCorrection, 0, generator);
    }

    /// <summary>
    /// "Small init" for embeddings (and other non-output weights): N(0, 2 / (5 dim)), std sqrt(2 / (5 dim)), with
    /// <paramref name="dim"/> the model width, from Nguyen and Salazar, "Transformers without Tears" (2019), as GPT-NeoX's
    /// <c>small_init</c> applies it. For dim = 768 the std is 0.0228, close to GPT-2's 0.02, and it shrinks as the
    /// width grows.
    /// </summary>
    public static Tensor SmallInit(Tensor embedding, int dim, Generator? generator = null)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "Init.SmallInit: dim (the model width) must be positive");
        return Normal(embedding, Math.Sqrt(2.0 / (5.0 * dim)), 0, generator);
    }

    public static Tensor Zeros(Tensor p) => Constant(p, 0);

    public static Tensor Ones(Tensor p) => Constant(p, 1);

    /// <summary>Fills every element with <paramref name="value"/> (<c>torch.nn.init.constant_</c>).</summary>
    public static Tensor Constant(Tensor p, double value) =>
        Fill(p, "Constant", dtype => Tensor.Full(p.Shape, value, dtype, p.Device));

    /// <summary>
    /// PyTorch's <c>torch.nn.init.calculate_gain</c>: 1 for linear and sigmoid, 5/3 for tanh, sqrt 2 for relu,
    /// sqrt(2 / (1 + slope^2)) for leaky_relu (slope default 0.01), 3/4 for selu.
    /// </summary>
    public static double Gain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "identity" or "sigmoid" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2),
        "leaky_relu" => Math.Sqrt(2 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 0.75,
        _ => throw new ArgumentException($"Init.Gain: unknown nonlinearity '{nonlinearity}' (expected linear, sigmoid, tanh, relu, leaky_relu or selu)", nameof(nonlinearity)),
    };

    /// <summary>(fan_in, fan_out) of a weight [out, in, k...] as PyTorch computes them.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor p, string initializer = "Fans")
    {
        ArgumentNullException.ThrowIfNull(p);
        var shape = p.Shape;
        if (shape.Length < 2)
            throw new ArgumentException($"Init.{initializer}: fan in and fan out need a weight of rank 2 or more ([out, in, ...]), got shape {ShapeMath.Format(shape)}", nameof(p));
        int receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        if (shape[0] * receptive == 0 || shape[1] * receptive == 0)
            throw new ArgumentException($"Init.{initializer}: fans of an empty weight are zero, got shape {ShapeMath.Format(shape)}", nameof(p));
        return (shape[1] * receptive, shape[0] * receptive);
    }

    // Draws values with make(dtype) in a dtype random numbers can be drawn in (BFloat16 and Float16 parameters draw
    // Float32 and round), then copies them into p without recording the copy.
    private static Tensor Fill(Tensor p, string initializer, Func<DType, Tensor> make)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.DType.IsFloatingPoint())
            throw new ArgumentException($"Init.{initializer}: expected a floating-point tensor, got {p.DType}", nameof(p));
        using var scope = Tensor.NewDisposeScope();
        var values = make(p.DType is DType.Float64 ? DType.Float64 : DType.Float32);
        Write(p, values);
        return p;
    }

    private static void Write(Tensor p, Tensor values)
    {
        using var _ = Autograd.NoGrad();
        using var target = p.Detach();
        target[TensorIndex.Ellipsis] = values.To(p.DType);
    }

    // mean + scale * z with z a standard normal truncated to [lo, hi], by inversion as PyTorch's trunc_normal_ does it:
    // u uniform on [Phi(lo), Phi(hi)], z = Phi^-1(u), clamped to [lo, hi] against rounding. The uniforms are drawn as
    // Float64 on the CPU and inverted on the host, so the values are the same bits on every device.
    private static Tensor FillTruncated(Tensor p, string initializer, double lo, double hi, double scale, double mean, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.DType.IsFloatingPoint())
            throw new ArgumentException($"Init.{initializer}: expected a floating-point tensor, got {p.DType}", nameof(p));
        // Sample the tail the bounds sit in through the mirrored CDF, where it keeps its precision.
        bool mirror = lo > 0;
        double l = mirror ? -hi : lo, h = mirror ? -lo : hi;
        double cl = NormalCdf(l), ch = NormalCdf(h);
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Uniform(p.Shape, cl, ch, generator, DType.Float64, Device.Cpu).ToArray<double>();
        for (int i = 0; i < u.Length; i++)
        {
            double z = Math.Clamp(InverseNormalCdf(u[i]), l, h);
            u[i] = mean + scale * (mirror ? -z : z);
        }
        var values = Tensor.FromArray(u, p.Shape, Device.Cpu).To(p.Device);
        Write(p, values);
        return p;
    }

    /// <summary>Phi(x), the standard normal CDF: erfc(-x / sqrt 2) / 2, accurate in the lower tail.</summary>
    internal static double NormalCdf(double x) => 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// Phi^-1(u) for u in [0, 1]: Acklam's rational approximation (relative error 1.15e-9) refined by one Halley step
    /// on Phi(x) - u, which brings it to about double precision (for u near 1 the spacing of doubles near 1 limits it,
    /// which is why the truncated sampler mirrors an upper tail into the lower one). Phi^-1(0) = -inf, Phi^-1(1) = +inf.
    /// </summary>
    internal static double InverseNormalCdf(double u)
    {
        if (u <= 0) return double.NegativeInfinity;
        if (u >= 1) return double.PositiveInfinity;
        const double pLow = 0.02425;
        double x;
        if (u < pLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(u));
            x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
        }
        else if (u <= 1 - pLow)
        {
            double q = u - 0.5, r = q * q;
            x = (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q /
                (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
        }
        else
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - u));
            x = -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
        }
        // Halley: e = Phi(x) - u, step = e / (phi(x) (1 + x e / (2 phi(x)))), phi(x) = e^(-x^2/2) / sqrt(2 pi).
        double err = NormalCdf(x) - u;
        double t = err * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - t / (1 + x * t / 2);
    }

    private static readonly double[] A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    private static readonly double[] B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    private static readonly double[] C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464722e+00, 2.938163982698783e+00];
    private static readonly double[] D = [7.784695709814579e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
}
