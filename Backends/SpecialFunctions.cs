// TEMPORARY placeholder until the accurate implementation lands.
using System.Runtime.Intrinsics;
namespace DotGrad.Backends;
public static class SpecialFunctions
{
    public static double Erf(double x) => 1 - Erfc(x);
    public static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
    public static float Erf(float x) => (float)Erf((double)x);
    public static Vector256<float> Erf(Vector256<float> x) { Span<float> s = stackalloc float[8]; for (int i = 0; i < 8; i++) s[i] = Erf(x[i]); return Vector256.Create<float>(s); }
    public static Vector512<float> Erf(Vector512<float> x) { Span<float> s = stackalloc float[16]; for (int i = 0; i < 16; i++) s[i] = Erf(x[i]); return Vector512.Create<float>(s); }
    public static void Erf(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = Erf(x[i]); }
    public static void Erf(ReadOnlySpan<double> x, Span<double> y) { for (int i = 0; i < x.Length; i++) y[i] = Erf(x[i]); }
}
