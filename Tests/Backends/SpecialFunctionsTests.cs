// Checks SpecialFunctions.Erf/Erfc: the double versions against mpmath, the float versions against
// the double ones, and the SIMD paths against the scalar float version.
using System.Runtime.Intrinsics;
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public class SpecialFunctionsTests
{
    // (x, erf(x), erfc(x)) from mpmath at mp.dps = 30, for the double nearest each x:
    //   X = mpmath.mpf(float(x)); mpmath.nstr(mpmath.erf(X), 30); mpmath.nstr(mpmath.erfc(X), 30)
    // The points straddle the method boundaries at 0.5, 1 and 6.
    static readonly (double X, double Erf, double Erfc)[] Reference =
    [
        (-7.0, -9.99999999999999999999958161744e-1, 1.99999999999999999999995816174),
        (-6.0, -9.99999999999999978480263287501e-1, 1.9999999999999999784802632875),
        (-5.0, -9.9999999999846254020557196515e-1, 1.99999999999846254020557196515),
        (-4.5, -9.99999999803383955845711252372e-1, 1.99999999980338395584571125237),
        (-3.9, -9.99999965207751402768232871131e-1, 1.99999996520775140276823287113),
        (-3.5, -9.99999256901627658587254476316e-1, 1.99999925690162765858725447632),
        (-3.0, -9.9997790950300141455862722387e-1, 1.99997790950300141455862722387),
        (-2.5, -9.9959304798255504106043578426e-1, 1.99959304798255504106043578426),
        (-2.0, -9.95322265018952734162069256367e-1, 1.99532226501895273416206925637),
        (-1.5, -9.66105146475310727066976261646e-1, 1.96610514647531072706697626165),
        (-1.25, -9.22900128256458230136523481197e-1, 1.9229001282564582301365234812),
        (-1.0, -8.42700792949714869341220635083e-1, 1.84270079294971486934122063508),
        (-0.999, -8.42285270206496941638968338818e-1, 1.84228527020649694163896833882),
        (-0.75, -7.11155633653515131598937834591e-1, 1.71115563365351513159893783459),
        (-0.5, -5.20499877813046537682746653892e-1, 1.52049987781304653768274665389),
        (-0.4999, -5.20411995161386590276529077668e-1, 1.52041199516138659027652907767),
        (-0.25, -2.76326390168236932985068267765e-1, 1.27632639016823693298506826776),
        (-0.1, -1.12462916018284898404712251014e-1, 1.11246291601828489840471225101),
        (-1e-05, -1.12837916705790002729896536198e-5, 1.00001128379167057900027298965),
        (-1e-10, -1.12837916709551261500173010155e-10, 1.0000000001128379167095512615),
        (0.0, 0.0, 1.0),
        (1e-10, 1.12837916709551261500173010155e-10, 9.999999998871620832904487385e-1),
        (1e-05, 1.12837916705790002729896536198e-5, 9.99988716208329420999727010346e-1),
        (0.1, 1.12462916018284898404712251014e-1, 8.87537083981715101595287748986e-1),
        (0.25, 2.76326390168236932985068267765e-1, 7.23673609831763067014931732235e-1),
        (0.4999, 5.20411995161386590276529077668e-1, 4.79588004838613409723470922332e-1),
        (0.5, 5.20499877813046537682746653892e-1, 4.79500122186953462317253346108e-1),
        (0.75, 7.11155633653515131598937834591e-1, 2.88844366346484868401062165409e-1),
        (0.999, 8.42285270206496941638968338818e-1, 1.57714729793503058361031661182e-1),
        (1.0, 8.42700792949714869341220635083e-1, 1.57299207050285130658779364917e-1),
        (1.25, 9.22900128256458230136523481197e-1, 7.70998717435417698634765188027e-2),
        (1.5, 9.66105146475310727066976261646e-1, 3.38948535246892729330237383541e-2),
        (2.0, 9.95322265018952734162069256367e-1, 4.67773498104726583793074363275e-3),
        (2.5, 9.9959304798255504106043578426e-1, 4.06952017444958939564215739975e-4),
        (3.0, 9.9997790950300141455862722387e-1, 2.20904969985854413727761295823e-5),
        (3.5, 9.99999256901627658587254476316e-1, 7.43098372341412745523683756096e-7),
        (3.9, 9.99999965207751402768232871131e-1, 3.47922485972317671288691510716e-8),
        (4.5, 9.99999999803383955845711252372e-1, 1.96616044154288747627916036766e-10),
        (5.0, 9.9999999999846254020557196515e-1, 1.53745979442803485018834348538e-12),
        (6.0, 9.99999999999999978480263287501e-1, 2.15197367124989131165933503992e-17),
        (7.0, 9.99999999999999999999958161744e-1, 4.1838256077794143986140102239e-23),
    ];

    // erfc(x) into the far tail, same recipe: mpmath.nstr(mpmath.erfc(mpmath.mpf(x)), 30).
    static readonly (double X, double Erfc)[] ErfcTail =
    [
        (0.5, 4.79500122186953462317253346108e-1),
        (0.6, 3.96143909152074094917693241426e-1),
        (1.7, 1.62095414092254391586870541911e-2),
        (3.0, 2.20904969985854413727761295823e-5),
        (5.0, 1.53745979442803485018834348538e-12),
        (8.0, 1.12242971729829270799678884432e-29),
        (10.0, 2.08848758376254475700078629496e-45),
        (15.0, 7.21299417245120666656506655869e-100),
        (20.0, 5.39586561160790092893499916791e-176),
        (26.0, 5.66319240885614284647572789693e-296),
    ];

    const double DoubleRelTol = 1e-15; // ~4.5 ulp; the implementation measures <= ~2.5 ulp

    static double RelErr(double value, double reference) =>
        reference == 0 ? Math.Abs(value) : Math.Abs((value - reference) / reference);

    [Test]
    public void DoubleErfMatchesMpmathToRelative1e15()
    {
        double worst = 0;
        foreach (var (x, erf, _) in Reference)
        {
            double err = RelErr(SpecialFunctions.Erf(x), erf);
            worst = Math.Max(worst, err);
            Assert.That(err, Is.LessThanOrEqualTo(DoubleRelTol), $"erf({x:R}) = {SpecialFunctions.Erf(x):R}, expected {erf:R}");
        }
        TestContext.Out.WriteLine($"max relative error of double erf on the table: {worst:E3}");
    }

    [Test]
    public void DoubleErfcMatchesMpmathToRelative1e15IncludingTheTail()
    {
        var cases = Reference.Select(r => (r.X, r.Erfc)).Concat(ErfcTail);
        double worst = 0;
        foreach (var (x, erfc) in cases)
        {
            double err = RelErr(SpecialFunctions.Erfc(x), erfc);
            worst = Math.Max(worst, err);
            Assert.That(err, Is.LessThanOrEqualTo(DoubleRelTol), $"erfc({x:R}) = {SpecialFunctions.Erfc(x):R}, expected {erfc:R}");
        }
        TestContext.Out.WriteLine($"max relative error of double erfc on the table: {worst:E3}");
    }

    [Test]
    public void DoubleErfIsOddAndAgreesWithErfcOnADenseGrid()
    {
        for (int i = 0; i <= 20000; i++)
        {
            double x = -7 + 14.0 * i / 20000;
            double erf = SpecialFunctions.Erf(x), erfc = SpecialFunctions.Erfc(x);
            Assert.That(SpecialFunctions.Erf(-x), Is.EqualTo(-erf), $"odd symmetry at x = {x:R}");
            Assert.That(erf + erfc, Is.EqualTo(1.0).Within(4.5e-16), $"erf + erfc at x = {x:R}");
            Assert.That(Math.Abs(erf), Is.LessThanOrEqualTo(1.0));
        }
    }

    [Test]
    public void DoubleErfHandlesSpecialValues()
    {
        Assert.That(SpecialFunctions.Erf(double.NaN), Is.NaN);
        Assert.That(SpecialFunctions.Erf(double.PositiveInfinity), Is.EqualTo(1.0));
        Assert.That(SpecialFunctions.Erf(double.NegativeInfinity), Is.EqualTo(-1.0));
        Assert.That(SpecialFunctions.Erf(double.MaxValue), Is.EqualTo(1.0));
        Assert.That(double.IsNegative(SpecialFunctions.Erf(-0.0)), Is.True, "erf(-0) must be -0");
        Assert.That(SpecialFunctions.Erf(-0.0), Is.EqualTo(0.0));
        Assert.That(double.IsPositive(SpecialFunctions.Erf(0.0)), Is.True, "erf(+0) must be +0");
        Assert.That(SpecialFunctions.Erf(double.Epsilon), Is.GreaterThan(0.0));
        Assert.That(SpecialFunctions.Erfc(double.NaN), Is.NaN);
        Assert.That(SpecialFunctions.Erfc(double.PositiveInfinity), Is.EqualTo(0.0));
        Assert.That(SpecialFunctions.Erfc(double.NegativeInfinity), Is.EqualTo(2.0));
        Assert.That(SpecialFunctions.Erfc(27.0), Is.GreaterThan(0.0), "erfc(27) ~ 5e-319 is subnormal, not zero");
        Assert.That(SpecialFunctions.Erfc(28.0), Is.EqualTo(0.0));
    }

    [Test]
    public void FloatErfWithin4p5e7OfDoubleOn100kPointsInMinus8To8()
    {
        const int N = 100_000;
        double worst = 0, worstX = 0;
        for (int i = 0; i <= N; i++)
        {
            float x = (float)(-8 + 16.0 * i / N);
            float y = SpecialFunctions.Erf(x);
            double err = Math.Abs(y - SpecialFunctions.Erf((double)x));
            if (err > worst) (worst, worstX) = (err, x);
            // 4.5e-7: an exhaustive scan of every float in [0.25, 4.2] measured 4.16e-7 at worst
            // (near |x| = 3.8, float rounding in the rational); 99.9% of floats are within 2e-7.
            Assert.That(err, Is.LessThanOrEqualTo(4.5e-7), $"float erf({x:R}) = {y:R}");
            Assert.That(Math.Abs(y), Is.LessThanOrEqualTo(1f), $"|erf({x:R})| exceeds 1");
        }
        TestContext.Out.WriteLine($"max abs error of float erf: {worst:E3} at x = {worstX:R}");
    }

    [Test]
    public void FloatErfHasSmallRelativeErrorNearZero()
    {
        // Logarithmic sweep of |x| over [1e-37, 0.5] (normal floats), both signs.
        double worst = 0;
        for (int i = 0; i <= 20000; i++)
        {
            float ax = (float)Math.Pow(10, -37 + (37 + Math.Log10(0.5)) * i / 20000);
            foreach (float x in (ReadOnlySpan<float>)[ax, -ax])
            {
                double reference = SpecialFunctions.Erf((double)x);
                double err = Math.Abs((SpecialFunctions.Erf(x) - reference) / reference);
                worst = Math.Max(worst, err);
                // ~2 ulp; 20M log-uniform samples measured 2.61e-7 at worst.
                Assert.That(err, Is.LessThanOrEqualTo(3e-7), $"relative error at x = {x:R}");
            }
        }
        TestContext.Out.WriteLine($"max relative error of float erf on |x| <= 0.5: {worst:E3}");
    }

    [Test]
    public void FloatErfHandlesSpecialValues()
    {
        Assert.That(SpecialFunctions.Erf(float.NaN), Is.NaN);
        Assert.That(SpecialFunctions.Erf(float.PositiveInfinity), Is.EqualTo(1f));
        Assert.That(SpecialFunctions.Erf(float.NegativeInfinity), Is.EqualTo(-1f));
        Assert.That(SpecialFunctions.Erf(4f), Is.EqualTo(1f));
        Assert.That(SpecialFunctions.Erf(-100f), Is.EqualTo(-1f));
        Assert.That(float.IsNegative(SpecialFunctions.Erf(-0f)), Is.True, "erf(-0f) must be -0f");
        Assert.That(SpecialFunctions.Erf(-0f), Is.EqualTo(0f));
        Assert.That(float.IsPositive(SpecialFunctions.Erf(0f)), Is.True);
    }

    static float[] RandomInputs(int n, int seed)
    {
        // Mostly [-5, 5], with special values sprinkled in so every lane position sees them.
        var rng = new Random(seed);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 3.92f, -3.92f, 1e-30f];
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = rng.Next(8) == 0 ? specials[rng.Next(specials.Length)] : (float)(rng.NextDouble() * 10 - 5);
        return x;
    }

    static void AssertBitwiseEqual(float actual, float expected, string what) =>
        Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)),
            $"{what}: got {actual:R}, scalar gives {expected:R}");

    [Test]
    public void Vector512AndVector256ErfEqualScalarBitForBit()
    {
        const int seed = 512;
        TestContext.Out.WriteLine($"seed {seed}");
        float[] x = RandomInputs(16 * 500, seed);
        for (int i = 0; i < x.Length; i += 16)
        {
            Vector512<float> v512 = SpecialFunctions.Erf(Vector512.Create(x.AsSpan(i, 16)));
            Vector256<float> v256 = SpecialFunctions.Erf(Vector256.Create(x.AsSpan(i, 8)));
            for (int k = 0; k < 16; k++)
                AssertBitwiseEqual(v512[k], SpecialFunctions.Erf(x[i + k]), $"Vector512 lane {k}, x = {x[i + k]:R}");
            for (int k = 0; k < 8; k++)
                AssertBitwiseEqual(v256[k], SpecialFunctions.Erf(x[i + k]), $"Vector256 lane {k}, x = {x[i + k]:R}");
        }
    }

    [Test]
    public void VectorExpIsWithin2UlpOfTheExactValue_AndTheTwoWidthsAgree()
    {
        // A dense grid over the whole normal range, both ends included, in 16-lane groups.
        const int n = 16 * 20_000;
        int checkedPoints = 0;
        double worst = 0;
        for (int i = 0; i < n; i += 16)
        {
            var x = new float[16];
            for (int k = 0; k < 16; k++) x[k] = (float)(-87.3 + 176.0 * (i + k) / (n - 1));
            Vector512<float> v512 = SpecialFunctions.Exp(Vector512.Create(x));
            Vector256<float> v256 = SpecialFunctions.Exp(Vector256.Create(x.AsSpan(0, 8)));
            for (int k = 0; k < 16; k++)
            {
                double exact = Math.Exp(x[k]);
                if (exact > float.MaxValue) continue;
                double ulp = (double)MathF.BitIncrement((float)exact) - (float)exact;
                double err = Math.Abs(v512[k] - exact) / ulp;
                worst = Math.Max(worst, err);
                Assert.That(err, Is.LessThanOrEqualTo(2.0), $"exp({x[k]:R}) = {v512[k]:R}, exact {exact:R}");
                checkedPoints++;
            }
            for (int k = 0; k < 8; k++) AssertBitwiseEqual(v256[k], v512[k], $"Vector256 lane {k}, x = {x[k]:R}");
        }
        TestContext.Out.WriteLine($"{checkedPoints} points, worst error {worst:F2} ulp");
        Assert.That(checkedPoints, Is.GreaterThan(n * 9 / 10));
    }

    [Test]
    public void VectorExpHandlesTheEndsAndSpecialValues()
    {
        float[] x = [-1000f, -87.4f, float.NegativeInfinity, 0f, -0f, 1f, 88.7f, 88.8f, 1000f, float.PositiveInfinity, float.NaN, 2f, 3f, 4f, 5f, 6f];
        Vector512<float> y = SpecialFunctions.Exp(Vector512.Create(x));
        Assert.That(y[0], Is.EqualTo(0f));
        Assert.That(y[1], Is.EqualTo(0f), "below the normal range");
        Assert.That(y[2], Is.EqualTo(0f));
        Assert.That(y[3], Is.EqualTo(1f));
        Assert.That(y[4], Is.EqualTo(1f));
        Assert.That(y[5], Is.EqualTo(MathF.E).Within(2e-7));
        Assert.That(float.IsFinite(y[6]) && y[6] > 3e38f, Is.True, $"exp(88.7) = {y[6]}");
        Assert.That(y[7], Is.EqualTo(float.PositiveInfinity));
        Assert.That(y[8], Is.EqualTo(float.PositiveInfinity));
        Assert.That(y[9], Is.EqualTo(float.PositiveInfinity));
        Assert.That(float.IsNaN(y[10]), Is.True, "NaN stays NaN");
    }

    [Test]
    public void SpanErfEqualsScalarForEveryLengthUpTo70()
    {
        const int seed = 70;
        TestContext.Out.WriteLine($"seed {seed}");
        for (int n = 0; n <= 70; n++)
        {
            float[] x = RandomInputs(n, seed + n);
            var y = new float[n];
            SpecialFunctions.Erf(x, y);
            for (int i = 0; i < n; i++)
                AssertBitwiseEqual(y[i], SpecialFunctions.Erf(x[i]), $"length {n}, index {i}, x = {x[i]:R}");

            float[] inPlace = (float[])x.Clone();
            SpecialFunctions.Erf(inPlace, inPlace);
            Assert.That(inPlace, Is.EqualTo(y).AsCollection, $"in-place result differs at length {n}");
        }
    }

    [Test]
    public void DoubleSpanErfEqualsScalar()
    {
        double[] x = [.. Enumerable.Range(0, 37).Select(i => -6 + i / 3.0)];
        var y = new double[x.Length];
        SpecialFunctions.Erf(x, y);
        for (int i = 0; i < x.Length; i++) Assert.That(y[i], Is.EqualTo(SpecialFunctions.Erf(x[i])));
    }

    [Test]
    public void SpanErfRejectsAShortDestination()
    {
        var ex = Assert.Throws<ArgumentException>(() => SpecialFunctions.Erf(new float[5], new float[4]));
        Assert.That(ex!.Message, Does.Contain("length 4").And.Contain("5"));
        Assert.Throws<ArgumentException>(() => SpecialFunctions.Erf(new double[3], new double[2]));
    }
}
