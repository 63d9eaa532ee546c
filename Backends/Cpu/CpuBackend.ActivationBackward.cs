// The first-order backward of the elementwise activations in one pass: dx = dy * f'(x), where the tensor-op form
// builds f' from a dozen full-size temporaries (CompositeKernels.ActivationBackward is that form, the oracle).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void ActivationBackward(ActivationKind kind, Strided x, Strided dy, Strided dx)
    {
        const string op = "activation_backward";
        if (x.DType != dx.DType || dy.DType != dx.DType)
            throw new ArgumentException($"{op}: expected x, dy and dx of one dtype, got {x.DType}, {dy.DType} and {dx.DType}");
        switch (kind)
        {
            case ActivationKind.Relu: ActivationBackward<ReluGrad>(x, dy, dx, 1); break;
            case ActivationKind.Gelu: ActivationBackward<GeluGrad>(x, dy, dx, 20); break;
            case ActivationKind.GeluTanh: ActivationBackward<GeluTanhGrad>(x, dy, dx, 12); break;
            case ActivationKind.Silu: ActivationBackward<SiluGrad>(x, dy, dx, 10); break;
            case ActivationKind.Sigmoid: ActivationBackward<SigmoidGrad>(x, dy, dx, 2); break;
            case ActivationKind.Tanh: ActivationBackward<TanhGrad>(x, dy, dx, 2); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, $"{op}: unknown activation");
        }
    }

    private static void ActivationBackward<TGrad>(Strided x, Strided dy, Strided dx, long cost) where TGrad : struct, IActivationGrad
    {
        var loop = StridedLoop.Over(dx, x, dy);
        switch (dx.DType)
        {
            case DType.Float32:
                loop.Run(new ActivationGradKernel<TGrad, float>
                {
                    Dx = (float*)((HostStorage)dx.Storage).Pointer, X = (float*)((HostStorage)x.Storage).Pointer,
                    Dy = (float*)((HostStorage)dy.Storage).Pointer, S = loop.InnerStrides,
                }, cost);
                break;
            case DType.Float64:
                loop.Run(new ActivationGradKernel<TGrad, double>
                {
                    Dx = (double*)((HostStorage)dx.Storage).Pointer, X = (double*)((HostStorage)x.Storage).Pointer,
                    Dy = (double*)((HostStorage)dy.Storage).Pointer, S = loop.InnerStrides,
                }, cost);
                break;
            default: throw Unsupported("activation_backward", dx.DType);
        }
    }

    private struct ActivationGradKernel<TGrad, T> : IStridedKernel where TGrad : struct, IActivationGrad where T : unmanaged
    {
        public T* Dx, X, Dy;
        public int[] S;                                                      // inner strides of dx, x, dy

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* dx = Dx + o[0], x = X + o[1], dy = Dy + o[2];
            if (typeof(T) == typeof(float))
            {
                if (S[0] == 1 && S[1] == 1 && S[2] == 1) GradRun<TGrad>((float*)x, (float*)dy, (float*)dx, n);
                else for (int i = 0; i < n; i++) ((float*)dx)[i * S[0]] = TGrad.Invoke(((float*)x)[i * S[1]], ((float*)dy)[i * S[2]]);
            }
            else
            {
                int sx = S[1], sdy = S[2], sdx = S[0];
                for (int i = 0; i < n; i++) ((double*)dx)[i * sdx] = TGrad.Invoke(((double*)x)[i * sx], ((double*)dy)[i * sdy]);
            }
        }
    }

    /// <summary>dx[i] = dy[i] f'(x[i]) over contiguous floats, widest vectors first; the tail is scalar so dx may be dy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradRun<TGrad>(float* x, float* dy, float* dx, int n) where TGrad : struct, IActivationGrad
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                TGrad.Invoke(Vector512.Load(x + i), Vector512.Load(dy + i)).Store(dx + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                TGrad.Invoke(Vector256.Load(x + i), Vector256.Load(dy + i)).Store(dx + i);
        for (; i < n; i++) dx[i] = TGrad.Invoke(x[i], dy[i]);
    }

    /// <summary>dy * f'(x) for one activation, in scalar float and double and in float vectors.</summary>
    private interface IActivationGrad
    {
        static abstract float Invoke(float x, float dy);
        static abstract double Invoke(double x, double dy);
        static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy);
        static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy);
    }

    /// <summary>dy where x &gt; 0, else 0 (a select, not a product, as PyTorch's threshold_backward).</summary>
    private readonly struct ReluGrad : IActivationGrad
    {
        public static float Invoke(float x, float dy) => x > 0 ? dy : 0f;
        public static double Invoke(double x, double dy) => x > 0 ? dy : 0.0;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.GreaterThan(x, Vector256<float>.Zero) & dy;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.GreaterThan(x, Vector512<float>.Zero) & dy;
    }

    /// <summary>
    /// Exact GELU: f' = Phi(x) + x phi(x). The float forms use the float erf the forward uses; the double form takes
    /// Phi from erfc, as the double forward does, so the negative tail keeps its relative precision.
    /// </summary>
    private readonly struct GeluGrad : IActivationGrad
    {
        private const float InvSqrt2 = 0.70710678118654752f, InvSqrt2Pi = 0.3989422804014327f;

        public static float Invoke(float x, float dy) =>
            dy * (0.5f * (1f + SpecialFunctions.Erf(x * InvSqrt2)) + x * (MathF.Exp(-0.5f * x * x) * InvSqrt2Pi));

        public static double Invoke(double x, double dy) =>
            dy * (0.5 * SpecialFunctions.Erfc(-x * 0.70710678118654752) + x * (Math.Exp(-0.5 * x * x) * 0.3989422804014327));

        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            var cdf = Vector256.Create(0.5f) * (Vector256<float>.One + SpecialFunctions.Erf(x * Vector256.Create(InvSqrt2)));
            var pdf = SpecialFunctions.Exp(Vector256.Create(-0.5f) * x * x) * Vector256.Create(InvSqrt2Pi);
            return dy * (cdf + x * pdf);
        }

        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            var cdf = Vector512.Create(0.5f) * (Vector512<float>.One + SpecialFunctions.Erf(x * Vector512.Create(InvSqrt2)));
            var pdf = SpecialFunctions.Exp(Vector512.Create(-0.5f) * x * x) * Vector512.Create(InvSqrt2Pi);
            return dy * (cdf + x * pdf);
        }
    }

    /// <summary>Tanh GELU: s = sigmoid(2u), f' = s + x s (1 - s) 2u', 2u = 2C (x + K x^3), 2u' = 2C (1 + 3K x^2).</summary>
    private readonly struct GeluTanhGrad : IActivationGrad
    {
        private const double C2 = 2 * 0.7978845608028654, K = 0.044715;

        public static float Invoke(float x, float dy)
        {
            float x2 = x * x, s = 1f / (1f + MathF.Exp(-(float)C2 * (x + (float)K * x2 * x)));
            return dy * (s + x * s * (1f - s) * ((float)C2 * (1f + (float)(3 * K) * x2)));
        }

        public static double Invoke(double x, double dy)
        {
            double x2 = x * x, s = 1 / (1 + Math.Exp(-C2 * (x + K * x2 * x)));
            return dy * (s + x * s * (1 - s) * (C2 * (1 + 3 * K * x2)));
        }

        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            var one = Vector256<float>.One;
            var x2 = x * x;
            var s = one / (one + SpecialFunctions.Exp(Vector256.Create(-(float)C2) * (x + Vector256.Create((float)K) * x2 * x)));
            return dy * (s + x * s * (one - s) * (Vector256.Create((float)C2) * (one + Vector256.Create((float)(3 * K)) * x2)));
        }

        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            var one = Vector512<float>.One;
            var x2 = x * x;
            var s = one / (one + SpecialFunctions.Exp(Vector512.Create(-(float)C2) * (x + Vector512.Create((float)K) * x2 * x)));
            return dy * (s + x * s * (one - s) * (Vector512.Create((float)C2) * (one + Vector512.Create((float)(3 * K)) * x2)));
        }
    }

    /// <summary>SiLU: s = sigmoid(x), f' = s (1 + x (1 - s)).</summary>
    private readonly struct SiluGrad : IActivationGrad
    {
        public static float Invoke(float x, float dy)
        {
            float s = 1f / (1f + MathF.Exp(-x));
            return dy * (s * (1f + x * (1f - s)));
        }

        public static double Invoke(double x, double dy)
        {
            double s = 1 / (1 + Math.Exp(-x));
            return dy * (s * (1 + x * (1 - s)));
        }

        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            var one = Vector256<float>.One;
            var s = one / (one + SpecialFunctions.Exp(-x));
            return dy * (s * (one + x * (one - s)));
        }

        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            var one = Vector512<float>.One;
            var s = one / (one + SpecialFunctions.Exp(-x));
            return dy * (s * (one + x * (one - s)));
        }
    }

    /// <summary>Sigmoid from its output y: f' = y (1 - y).</summary>
    private readonly struct SigmoidGrad : IActivationGrad
    {
        public static float Invoke(float y, float dy) => dy * ((1f - y) * y);
        public static double Invoke(double y, double dy) => dy * ((1 - y) * y);
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * ((Vector256<float>.One - y) * y);
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * ((Vector512<float>.One - y) * y);
    }

    /// <summary>Tanh from its output y: f' = 1 - y^2.</summary>
    private readonly struct TanhGrad : IActivationGrad
    {
        public static float Invoke(float y, float dy) => dy * (1f - y * y);
        public static double Invoke(double y, double dy) => dy * (1 - y * y);
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
    }
}
