// Unary elementwise operators: math definition (scalar), vectorized span form, OpenCL C expression, test domain.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends;

public readonly struct NegOp : IUnaryOperator<NegOp>
{
    public static string Name => "neg";
    public static string OpenCL => "-x";
    public static float Invoke(float x) => -x;
    public static double Invoke(double x) => -x;
    public static bool SupportsInt32 => true;
    public static int Invoke(int x) => -x;
    public static bool SupportsInt64 => true;
    public static long Invoke(long x) => -x;
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Negate(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Negate(x, y);
}

public readonly struct AbsOp : IUnaryOperator<AbsOp>
{
    public static string Name => "abs";
    public static string OpenCL => "fabs(x)";
    public static string OpenCLInt32 => "abs(x)";
    public static float Invoke(float x) => MathF.Abs(x);
    public static double Invoke(double x) => Math.Abs(x);
    public static bool SupportsInt32 => true;
    public static int Invoke(int x) => x < 0 ? -x : x; // like PyTorch, abs(int.MinValue) wraps
    public static bool SupportsInt64 => true;
    public static long Invoke(long x) => x < 0 ? -x : x; // abs(long.MinValue) wraps too
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Abs(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Abs(x, y);
}

/// <summary>sign(x) in {-1, 0, 1}; NaN stays NaN (TensorPrimitives.Sign throws on NaN, so no span override).</summary>
public readonly struct SignOp : IUnaryOperator<SignOp>
{
    public static string Name => "sign";
    public static string OpenCL => "(x > (T)0 ? (T)1 : (x < (T)0 ? (T)-1 : x))";
    public static (double Lo, double Hi) Domain => (-3, 3);
    public static float Invoke(float x) => x > 0 ? 1f : x < 0 ? -1f : x;
    public static double Invoke(double x) => x > 0 ? 1.0 : x < 0 ? -1.0 : x;
    public static bool SupportsInt32 => true;
    public static int Invoke(int x) => Math.Sign(x);
    public static bool SupportsInt64 => true;
    public static long Invoke(long x) => Math.Sign(x);
}

public readonly struct ExpOp : IUnaryOperator<ExpOp>
{
    public static string Name => "exp";
    public static string OpenCL => "exp(x)";
    public static (double Lo, double Hi) Domain => (-20, 20);
    public static float Invoke(float x) => MathF.Exp(x);
    public static double Invoke(double x) => Math.Exp(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Exp(x, y);
}

public readonly struct LogOp : IUnaryOperator<LogOp>
{
    public static string Name => "log";
    public static string OpenCL => "log(x)";
    public static (double Lo, double Hi) Domain => (0.01, 100);
    public static float Invoke(float x) => MathF.Log(x);
    public static double Invoke(double x) => Math.Log(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Log(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Log(x, y);
}

/// <summary>
/// ln(1 + x), accurate for small |x| (<c>torch.log1p</c>): log(1 + x) computed directly loses every digit of x below
/// 1's ulp. With u = 1 + x rounded, log(u) * x / (u - 1) cancels the rounding of u (Goldberg, "What every computer
/// scientist should know about floating-point arithmetic", thm. 4), within a few ulps; u = 1 means x is below half an
/// ulp of 1, and then log1p(x) = x to working precision. x = +inf is handled apart (inf / inf would be NaN).
/// .NET's own LogP1 is log(x + 1), hence this operator. OpenCL C has log1p built in.
/// </summary>
public readonly struct Log1pOp : IUnaryOperator<Log1pOp>, IVectorFunction<Log1pOp>
{
    public static string Name => "log1p";
    public static string OpenCL => "log1p(x)";
    public static (double Lo, double Hi) Domain => (-0.99, 100);
    public static float Invoke(float x)
    {
        float u = 1f + x;
        if (u == 1f) return x;
        return float.IsPositiveInfinity(u) ? u : MathF.Log(u) * (x / (u - 1f));
    }

    public static double Invoke(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        return double.IsPositiveInfinity(u) ? u : Math.Log(u) * (x / (u - 1.0));
    }

    public static Vector256<float> Invoke(Vector256<float> x)
    {
        var u = x + Vector256<float>.One;
        var d = u - Vector256<float>.One;
        var r = Vector256.Log(u) * (x / d);
        r = Vector256.ConditionalSelect(Vector256.Equals(d, Vector256<float>.Zero), x, r);
        return Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(float.PositiveInfinity)), u, r);
    }

    public static Vector512<float> Invoke(Vector512<float> x)
    {
        var u = x + Vector512<float>.One;
        var d = u - Vector512<float>.One;
        var r = Vector512.Log(u) * (x / d);
        r = Vector512.ConditionalSelect(Vector512.Equals(d, Vector512<float>.Zero), x, r);
        return Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(float.PositiveInfinity)), u, r);
    }

    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => VectorMap.Apply<Log1pOp>(x, y);
}

public readonly struct SqrtOp : IUnaryOperator<SqrtOp>
{
    public static string Name => "sqrt";
    public static string OpenCL => "sqrt(x)";
    public static (double Lo, double Hi) Domain => (0.01, 100);
    public static float Invoke(float x) => MathF.Sqrt(x);
    public static double Invoke(double x) => Math.Sqrt(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sqrt(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Sqrt(x, y);
}

/// <summary>1/sqrt(x), computed exactly (not with the hardware estimate, whose 12-bit precision would fail gradient checks).</summary>
public readonly struct RsqrtOp : IUnaryOperator<RsqrtOp>
{
    public static string Name => "rsqrt";
    public static string OpenCL => "rsqrt(x)";
    public static (double Lo, double Hi) Domain => (0.01, 100);
    public static float Invoke(float x) => 1f / MathF.Sqrt(x);
    public static double Invoke(double x) => 1.0 / Math.Sqrt(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.ReciprocalSqrt(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.ReciprocalSqrt(x, y);
}

public readonly struct ReciprocalOp : IUnaryOperator<ReciprocalOp>
{
    public static string Name => "reciprocal";
    public static string OpenCL => "((T)1 / x)";
    public static float Invoke(float x) => 1f / x;
    public static double Invoke(double x) => 1.0 / x;
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Reciprocal(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Reciprocal(x, y);
}

public readonly struct SquareOp : IUnaryOperator<SquareOp>
{
    public static string Name => "square";
    public static string OpenCL => "(x * x)";
    public static float Invoke(float x) => x * x;
    public static double Invoke(double x) => x * x;
    public static bool SupportsInt32 => true;
    public static int Invoke(int x) => x * x;
    public static bool SupportsInt64 => true;
    public static long Invoke(long x) => x * x;
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Multiply(x, x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Multiply(x, x, y);
}

public readonly struct SinOp : IUnaryOperator<SinOp>
{
    public static string Name => "sin";
    public static string OpenCL => "sin(x)";
    public static float Invoke(float x) => MathF.Sin(x);
    public static double Invoke(double x) => Math.Sin(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sin(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Sin(x, y);
}

public readonly struct CosOp : IUnaryOperator<CosOp>
{
    public static string Name => "cos";
    public static string OpenCL => "cos(x)";
    public static float Invoke(float x) => MathF.Cos(x);
    public static double Invoke(double x) => Math.Cos(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Cos(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Cos(x, y);
}

/// <summary>
/// tanh(x). The span forms mend TensorPrimitives.Tanh near 0, where its error is absolute (about 2^-24 in float, 1e-17
/// in double) rather than relative: it gives tanh(0) = -2^-24 in float (so sqrt(tanh(0)) is NaN), tanh(1e-7) = 6e-8,
/// and tanh(1e-7) off by 1e-10 relative in double. Float is computed in double and rounded, with |x| below 2^-12, where
/// tanh(x) = x - x^3/3 rounds to x, giving x itself (signed zeros included, as C's tanh); double takes the scalar
/// Math.Tanh for |x| below 1/8, where the absolute error would exceed an ulp.
/// </summary>
public readonly struct TanhOp : IUnaryOperator<TanhOp>
{
    private const float TinyFloat = 1f / 4096;                         // 2^-12
    private const double SmallDouble = 0.125;
    private const int Chunk = 256;

    public static string Name => "tanh";
    public static string OpenCL => "tanh(x)";
    public static float Invoke(float x) => MathF.Tanh(x);
    public static double Invoke(double x) => Math.Tanh(x);

    public static void Invoke(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<double> wide = stackalloc double[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            var xs = x.Slice(start, n);
            var w = wide[..n];
            TensorPrimitives.ConvertTruncating(xs, w);                 // float to double is exact
            TensorPrimitives.Tanh(w, w);
            for (int i = 0; i < n; i++) y[start + i] = MathF.Abs(xs[i]) < TinyFloat ? xs[i] : (float)w[i]; // x read before y written: in place is safe
        }
    }

    public static void Invoke(ReadOnlySpan<double> x, Span<double> y)
    {
        Span<double> t = stackalloc double[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            var xs = x.Slice(start, n);
            TensorPrimitives.Tanh(xs, t[..n]);
            for (int i = 0; i < n; i++) y[start + i] = Math.Abs(xs[i]) < SmallDouble ? Math.Tanh(xs[i]) : t[i];
        }
    }
}

/// <summary>1 / (1 + exp(-x)); for very negative x, exp(-x) overflows to +inf and the result is 0, as it should be.</summary>
public readonly struct SigmoidOp : IUnaryOperator<SigmoidOp>
{
    public static string Name => "sigmoid";
    public static string OpenCL => "((T)1 / ((T)1 + exp(-x)))";
    public static float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    public static double Invoke(double x) => 1.0 / (1.0 + Math.Exp(-x));
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Sigmoid(x, y);
}

/// <summary>max(x, 0); NaN propagates, like PyTorch.</summary>
public readonly struct ReluOp : IUnaryOperator<ReluOp>
{
    public static string Name => "relu";
    public static string OpenCL => "(x > (T)0 ? x : (isnan(x) ? x : (T)0))";
    public static string OpenCLInt32 => "(x > 0 ? x : 0)";
    public static (double Lo, double Hi) Domain => (-5, 5);
    public static float Invoke(float x) => x > 0 ? x : float.IsNaN(x) ? x : 0f;
    public static double Invoke(double x) => x > 0 ? x : double.IsNaN(x) ? x : 0.0;
    public static bool SupportsInt32 => true;
    public static int Invoke(int x) => x > 0 ? x : 0;
    public static bool SupportsInt64 => true;
    public static long Invoke(long x) => x > 0 ? x : 0;
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.Max(x, 0.0, y);
}

public readonly struct ErfOp : IUnaryOperator<ErfOp>
{
    public static string Name => "erf";
    public static string OpenCL => "erf(x)";
    public static (double Lo, double Hi) Domain => (-6, 6);
    public static float Invoke(float x) => SpecialFunctions.Erf(x);
    public static double Invoke(double x) => SpecialFunctions.Erf(x);
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => SpecialFunctions.Erf(x, y);
    public static void Invoke(ReadOnlySpan<double> x, Span<double> y) => SpecialFunctions.Erf(x, y);
}

/// <summary>
/// Exact GELU, PyTorch's default <c>gelu(x, approximate='none')</c>: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
/// The double form goes through erfc so the negative tail keeps its relative precision.
/// </summary>
public readonly struct GeluOp : IUnaryOperator<GeluOp>, IVectorFunction<GeluOp>
{
    private const float InvSqrt2 = 0.70710678118654752f;
    public static string Name => "gelu";
    public static string OpenCL => "((T)0.5 * x * erfc(-x * (T)0.70710678118654752))";
    public static (double Lo, double Hi) Domain => (-6, 6);
    public static float Invoke(float x) => 0.5f * x * (1f + SpecialFunctions.Erf(x * InvSqrt2));
    public static double Invoke(double x) => 0.5 * x * SpecialFunctions.Erfc(-x * 0.70710678118654752);
    public static Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Create(0.5f) * x * (Vector256<float>.One + SpecialFunctions.Erf(x * Vector256.Create(InvSqrt2)));
    public static Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.Create(0.5f) * x * (Vector512<float>.One + SpecialFunctions.Erf(x * Vector512.Create(InvSqrt2)));
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => VectorMap.Apply<GeluOp>(x, y);
}

/// <summary>
/// Tanh-approximated GELU, PyTorch's <c>gelu(x, approximate='tanh')</c> and flax's default:
/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Computed in every form as x / (1 + exp(-2u)), the same
/// number (0.5 (1 + tanh u) = sigmoid(2u)) without the cancellation of 1 + tanh u for negative x, and
/// without a vector tanh.
/// </summary>
public readonly struct GeluTanhOp : IUnaryOperator<GeluTanhOp>, IVectorFunction<GeluTanhOp>
{
    private const float C = 0.7978845608028654f; // sqrt(2/pi)
    private const float K = 0.044715f;
    public static string Name => "gelu_tanh";
    public static string OpenCL => "(x / ((T)1 + exp((T)-1.5957691216057308 * (x + (T)0.044715 * x * x * x))))";
    public static (double Lo, double Hi) Domain => (-6, 6);
    public static float Invoke(float x) => x / (1f + MathF.Exp(-2 * C * (x + K * x * x * x)));
    public static double Invoke(double x) => x / (1.0 + Math.Exp(-1.5957691216057308 * (x + 0.044715 * x * x * x)));
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        var u2 = Vector256.Create(2 * C) * (x + Vector256.Create(K) * x * x * x);
        return x / (Vector256<float>.One + Vector256.Exp(-u2));
    }
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        var u2 = Vector512.Create(2 * C) * (x + Vector512.Create(K) * x * x * x);
        return x / (Vector512<float>.One + Vector512.Exp(-u2));
    }
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => VectorMap.Apply<GeluTanhOp>(x, y);
}

/// <summary>SiLU (swish): x * sigmoid(x) = x / (1 + exp(-x)).</summary>
public readonly struct SiluOp : IUnaryOperator<SiluOp>, IVectorFunction<SiluOp>
{
    public static string Name => "silu";
    public static string OpenCL => "(x / ((T)1 + exp(-x)))";
    public static float Invoke(float x) => x / (1f + MathF.Exp(-x));
    public static double Invoke(double x) => x / (1.0 + Math.Exp(-x));
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(-x));
    public static Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(-x));
    public static void Invoke(ReadOnlySpan<float> x, Span<float> y) => VectorMap.Apply<SiluOp>(x, y);
}
