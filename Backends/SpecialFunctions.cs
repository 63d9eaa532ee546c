// The error function erf and its complement erfc, which .NET does not provide; GELU and its
// gradient are built on them.
//
// Two families, for two jobs:
//
// * double Erf / Erfc are the reference. Gradient checks and tests compare against them, so they
//   are accurate to about 2 ulp over the whole real line (measured against mpmath at 30 digits:
//   relative error <= ~3e-16 for erf, <= ~5e-16 for erfc), relative accuracy included near 0 and in
//   erfc's far tail (erfc(26) ~ 5.7e-296). The method is the textbook one, chosen for being easy to
//   check rather than fast:
//     |x| < 0.5        Maclaurin series erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)),
//                      with 2/sqrt(pi) carried as hi + lo so tiny x keeps full relative accuracy;
//     0.5 <= |x| < 1   erf(x) = 2/sqrt(pi) * x e^(-x^2) * sum (2x^2)^n / (1*3*...*(2n+1)), whose
//                      terms are all positive (no cancellation);
//     x >= 0.5 (erfc)  the continued fraction erfc(x) = 2x e^(-x^2)/sqrt(pi) / (2x^2+1 - 1*2/(2x^2+5
//                      - 3*4/(2x^2+9 - ...))), evaluated bottom-up with a term count chosen from x
//                      (bottom-up is stable; forward Lentz loses ~8 bits here); erf = 1 - erfc for
//                      1 <= |x| < 6, and erf rounds to +-1 beyond 6.
//   e^(-x^2) is computed from the exact square x^2 = h + l (an FMA gives l) as e^(-h) (1 - l), so
//   the rounding of x^2 does not cost ~x^2 ulp. Erfc(x) for x < 0.5 is 1 - erf(x), which does not
//   cancel there (1 + erf(|x|) for negative x). Cost: up to ~460 divisions near x = 0.5, ~25 at 2.
//
// * float Erf (scalar, Vector256, Vector512, span) serves training speed: one odd rational
//   erf(x) ~= x * P(x^2) / Q(x^2), deg P = deg Q = 5, with FMA Horner, one division, and clamps
//   on the input and output (no branches, so the vector versions are the same operations lane by
//   lane and agree with the scalar one bit for bit; NaN passes through the clamps as NaN). The
//   coefficients are a minimax fit of the relative error on |x| <= 3.92 (erf(3.92) already rounds
//   to 1f), made with mpmath by docs/fits/erf_float_fit.py (linearised rational least squares with
//   Lawson reweighting on Chebyshev nodes, then rounding to float32 one coefficient at a time and
//   refitting the rest). Fit error with the float32 coefficients: <= 3.5e-8 relative for
//   |x| >= 0.04, and 5.4e-8 at 0, which is just 2/sqrt(pi) rounded to float.
//   Measured against the double version over every float in [0.25, 4.2] and 20M samples below:
//   relative error <= 2.6e-7 (~2 ulp) for |x| <= 0.25; absolute error <= 2e-7 for all but 0.1%
//   of floats, worst 4.2e-7 (7 ulp of 1) near |x| = 3.8, where rounding in the two degree-5
//   Horner chains adds up (the fit itself is 20x better there). Getting the worst case to ~2 ulp
//   would need a second, erfc-shaped piece for |x| > ~2 (e.g. 1 - e^(-x^2) R(x)), roughly
//   doubling the cost; evaluating this rational in double instead measured 7x slower on Zen 4.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends;

public static class SpecialFunctions
{
    // ---------------------------------------------------------------- double: the reference

    // 2/sqrt(pi) = TwoOverSqrtPi + TwoOverSqrtPiLo, to ~1e-33.
    const double TwoOverSqrtPi = 1.1283791670955126;
    const double TwoOverSqrtPiLo = 1.533545961316588e-17;

    // Maclaurin coefficients (-1)^n / (n! (2n+1)), n = 1..13 (rounded from mpmath). For |x| < 0.5
    // the n = 13 term is below 1e-19 of the sum.
    static ReadOnlySpan<double> Maclaurin =>
    [
        -0.3333333333333333, 0.1, -0.023809523809523808, 0.004629629629629629,
        -0.0007575757575757576, 0.00010683760683760684, -1.3227513227513228e-05,
        1.4589169000933706e-06, -1.4503852223150468e-07, 1.3122532963802806e-08,
        -1.0892221037148573e-09, 8.35070279514724e-11, -5.9477940136376354e-12,
    ];

    /// <summary>
    /// The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of e^(-t^2) dt, to about 2 ulp.
    /// erf(+-Inf) = +-1, erf(NaN) = NaN, erf(-0) = -0. Its derivative is 2/sqrt(pi) e^(-x^2).
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 0.5)
        {
            double z = x * x;
            double t = 0;
            for (int n = Maclaurin.Length - 1; n >= 0; n--) t = Math.FusedMultiplyAdd(t, z, Maclaurin[n]);
            t *= z; // erf(x) = 2/sqrt(pi) * x * (1 + t)
            return Math.FusedMultiplyAdd(TwoOverSqrtPi, x, x * Math.FusedMultiplyAdd(TwoOverSqrtPi, t, TwoOverSqrtPiLo));
        }
        double r;
        if (ax < 1.0)
        {
            // sum_{n>=0} (2z)^n / (2n+1)!!, by Horner from n = 22 (the tail is < 1e-19 for z < 1).
            double z = ax * ax;
            double s = 1;
            for (int n = 22; n >= 1; n--) s = 1 + s * (2 * z / (2 * n + 1));
            double es = ExpMinusSquare(ax) * s;
            r = Math.FusedMultiplyAdd(TwoOverSqrtPi * ax, es, TwoOverSqrtPiLo * ax * es);
        }
        else if (ax < 6.0)
        {
            r = 1 - ErfcContinuedFraction(ax); // erfc <= 0.16 here, so its error shrinks
        }
        else
        {
            r = 1; // erfc(6) ~ 2e-17 is below half an ulp of 1
        }
        return Math.CopySign(r, x);
    }

    /// <summary>
    /// The complementary error function erfc(x) = 1 - erf(x), computed without the cancellation of
    /// 1 - erf for large x: relative accuracy of a few ulp out to the underflow near x = 27.3.
    /// erfc(-Inf) = 2, erfc(+Inf) = 0, erfc(NaN) = NaN. 1 + erf(x) = erfc(-x).
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x < 0.5) return 1 - Erf(x); // erf(x) <= 0.52: no cancellation; x < 0 gives 1 + erf(|x|)
        if (x >= 27.3) return 0;        // erfc(27.3) ~ 6e-326 underflows
        return ErfcContinuedFraction(x);
    }

    /// <summary>erfc(x) for x >= 0.5 from Laplace's continued fraction, evaluated bottom-up.</summary>
    static double ErfcContinuedFraction(double x)
    {
        double z = x * x;
        // Terms for full double accuracy, measured bottom-up against mpmath: ~100/z + 2 for
        // 0.5 <= x <= 26; 115/z + 4 leaves a margin.
        int terms = 4 + (int)(115.0 / z);
        double twoZ = 2 * z;
        double f = twoZ + (4 * terms + 1);
        for (int k = terms; k >= 1; k--)
            f = twoZ + (4 * k - 3) - (2 * k - 1) * (2.0 * k) / f;
        return TwoOverSqrtPi * x / f * ExpMinusSquare(x); // exp last: it may be subnormal
    }

    /// <summary>e^(-x^2) without the error of rounding x^2: x^2 = h + l exactly, e^(-x^2) ~= e^(-h) (1 - l).</summary>
    static double ExpMinusSquare(double x)
    {
        double h = x * x;
        double l = Math.FusedMultiplyAdd(x, x, -h);
        double e = Math.Exp(-h);
        return Math.FusedMultiplyAdd(-e, l, e);
    }

    /// <summary>Elementwise double <see cref="Erf(double)"/>: y[i] = erf(x[i]).</summary>
    public static void Erf(ReadOnlySpan<double> x, Span<double> y)
    {
        CheckDestination(x.Length, y.Length);
        for (int i = 0; i < x.Length; i++) y[i] = Erf(x[i]);
    }

    // ---------------------------------------------------------------- float: the fast path

    // erf(x) ~= x * P(x^2) / Q(x^2), fitted on |x| <= 3.92 (docs/fits/erf_float_fit.py). Past 3.92
    // the rational keeps rising: it is 1 + 4.7e-7 at 4.05, where the input is clamped, so clamping
    // the output to [-1, 1] makes every |x| >= ~3.92 give exactly +-1, as erf rounded to float does,
    // and also removes the rounding overshoot just below 3.92.
    const float ErfClamp = 4.05f;
    const float P0 = 1.1283791065216064f, P1 = 0.186947762966156f, P2 = 0.05235733464360237f,
        P3 = 0.003638672875240445f, P4 = 0.00028555726748891175f, P5 = 2.119918917742325e-06f;
    const float Q1 = 0.49901074171066284f, Q2 = 0.11274026334285736f, Q3 = 0.0147079573944211f,
        Q4 = 0.0011386339319869876f, Q5 = 3.885820115101524e-05f;

    /// <summary>
    /// Single-precision erf: absolute error at most 4.2e-7 (at most 2e-7 for 99.9% of floats), relative
    /// error of ~2 ulp near 0; exactly +-1 for |x| >= 3.92, NaN for NaN, -0 for -0.
    /// Branch-free; identical, lane for lane, to the vector overloads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float c = Math.Clamp(x, -ErfClamp, ErfClamp); // NaN stays NaN, -0 stays -0 (so do the vector clamps)
        float t = c * c;
        float p = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(P5, t, P4), t, P3), t, P2), t, P1), t, P0);
        float q = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(Q5, t, Q4), t, Q3), t, Q2), t, Q1), t, 1f);
        return Math.Clamp(c * (p / q), -1f, 1f);
    }

    /// <summary>Sixteen lanes of <see cref="Erf(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        Vector512<float> c = Vector512.Clamp(x, Vector512.Create(-ErfClamp), Vector512.Create(ErfClamp));
        Vector512<float> t = c * c;
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(P5), t, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P0));
        Vector512<float> q = Vector512.FusedMultiplyAdd(Vector512.Create(Q5), t, Vector512.Create(Q4));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q3));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q2));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q1));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512<float>.One);
        return Vector512.Clamp(c * (p / q), Vector512.Create(-1f), Vector512<float>.One);
    }

    /// <summary>Eight lanes of <see cref="Erf(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        Vector256<float> c = Vector256.Clamp(x, Vector256.Create(-ErfClamp), Vector256.Create(ErfClamp));
        Vector256<float> t = c * c;
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(P5), t, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P0));
        Vector256<float> q = Vector256.FusedMultiplyAdd(Vector256.Create(Q5), t, Vector256.Create(Q4));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q3));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q2));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q1));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256<float>.One);
        return Vector256.Clamp(c * (p / q), Vector256.Create(-1f), Vector256<float>.One);
    }

    // exp(x) = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2, |r| <= ln 2 / 2; ln 2 is split into a part with few
    // mantissa bits (n times it is exact in float) and a small correction. e^r = 1 + r + r^2 R(r), R of degree 5 with
    // Cephes' expf coefficients (a minimax fit on that interval).
    const float ExpHi = 88.72283f, ExpLo = -87.33654f;       // e^x overflows above, leaves the normal floats below
    const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    const float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f, E3 = 4.1665795894e-2f,
        E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;

    /// <summary>
    /// Sixteen lanes of float e^x, within 2 ulp of the exact value (a test checks a dense grid): 0 below -87.34 (where e^x leaves
    /// the normal floats), +inf above 88.72, NaN for NaN. Several times faster than <c>Vector512.Exp</c> on this
    /// project's machine, which is what the one-pass activation backwards need it for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var c = Vector512.Clamp(x, Vector512.Create(ExpLo), Vector512.Create(ExpHi));
        var n = Vector512.Round(c * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(E0), r, Vector512.Create(E1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        // 2^n as two normal powers of two, 2^(n/2) 2^(n - n/2), so n = 128 (e^88.7) and n = -126 both stay exact.
        var k = Vector512.ConvertToInt32(n);
        var k1 = Vector512.ShiftRightArithmetic(k, 1);
        var bias = Vector512.Create(127);
        var y = p * Vector512.ShiftLeft(k1 + bias, 23).AsSingle() * Vector512.ShiftLeft(k - k1 + bias, 23).AsSingle();
        y = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLo)), Vector512<float>.Zero, y);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpHi)), Vector512.Create(float.PositiveInfinity), y);
    }

    /// <summary>Eight lanes of <see cref="Exp(Vector512{float})"/>, lane for lane the same values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var c = Vector256.Clamp(x, Vector256.Create(ExpLo), Vector256.Create(ExpHi));
        var n = Vector256.Round(c * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(E0), r, Vector256.Create(E1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var k = Vector256.ConvertToInt32(n);
        var k1 = Vector256.ShiftRightArithmetic(k, 1);
        var bias = Vector256.Create(127);
        var y = p * Vector256.ShiftLeft(k1 + bias, 23).AsSingle() * Vector256.ShiftLeft(k - k1 + bias, 23).AsSingle();
        y = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLo)), Vector256<float>.Zero, y);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpHi)), Vector256.Create(float.PositiveInfinity), y);
    }

    /// <summary>
    /// Elementwise float erf, y[i] = erf(x[i]): 16 lanes at a time with AVX-512, else 8, then a scalar
    /// tail. x and y may be the same span.
    /// </summary>
    public static void Erf(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckDestination(x.Length, y.Length);
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Erf(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Erf(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        for (; i < n; i++) y[i] = Erf(x[i]);
    }

    static void CheckDestination(int sourceLength, int destinationLength)
    {
        if (destinationLength < sourceLength)
            throw new ArgumentException(
                $"Destination span has length {destinationLength} but the source has {sourceLength}; " +
                "pass a destination at least as long as the source.", "y");
    }
}
