// Golden tests of the tensor operations: expected values are derived by hand (arithmetic in the comments),
// from System.Math, or from a naive loop written here, never read back from the library.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public partial class OpsTests
{
    /// <summary>erf by its Maclaurin series, 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)); accurate to ~1e-13 for |x| &lt;= 4.</summary>
    private static double ErfSeries(double x)
    {
        double term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static readonly double[] Points = [-2.5, -1, -0.5, 0, 0.25, 1, 3];

    private static IEnumerable<TestCaseData> UnaryCases() =>
        from dtype in new[] { DType.Float32, DType.Float64 }
        from c in UnaryMath()
        select new TestCaseData(c.Name, c.Op, c.Math, dtype).SetName($"Unary_{c.Name.Replace(' ', '_')}_{dtype}_MatchesSystemMath");

    [Test]
    public void UnaryCases_NameEveryUnaryOperator() =>
        OperatorNames.AssertCovered(typeof(IUnaryOperator<>), UnaryMath().Select(c => c.Name), nameof(UnaryCases));

    private static (string Name, Func<Tensor, Tensor> Op, Func<double, double> Math)[] UnaryMath()
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        return new (string Name, Func<Tensor, Tensor> Op, Func<double, double> Math)[]
        {
            ("neg", x => x.Neg(), x => -x),
            ("abs", x => x.Abs(), Math.Abs),
            ("sign", x => x.Sign(), x => Math.Sign(x)),
            ("exp", x => x.Exp(), Math.Exp),
            ("log", x => x.Log(), Math.Log),          // NaN for x < 0, -inf at 0
            // ln(1 + x): NaN below -1, -inf at -1; for small x the series x - x^2/2 + x^3/3 - x^4/4, where 1 + x would round.
            ("log1p", x => x.Log1p(), x => Math.Abs(x) < 1e-4 ? x - x * x / 2 + x * x * x / 3 - x * x * x * x / 4 : Math.Log(1 + x)),
            ("sqrt", x => x.Sqrt(), Math.Sqrt),
            ("rsqrt", x => x.Rsqrt(), x => 1 / Math.Sqrt(x)),
            ("reciprocal", x => x.Reciprocal(), x => 1 / x),
            ("square", x => x.Square(), x => x * x),
            ("pow 3", x => x.Pow(3), x => Math.Pow(x, 3)),
            ("pow 0.5", x => x.Pow(0.5), x => Math.Pow(x, 0.5)),
            ("pow -2", x => x.Pow(-2), x => Math.Pow(x, -2)),
            ("sin", x => x.Sin(), Math.Sin),
            ("cos", x => x.Cos(), Math.Cos),
            ("tanh", x => x.Tanh(), Math.Tanh),
            ("sigmoid", x => x.Sigmoid(), Sigmoid),
            ("relu", x => x.Relu(), x => Math.Max(x, 0)),
            ("erf", x => x.Erf(), ErfSeries),
            ("gelu", x => x.Gelu(), x => 0.5 * x * (1 + ErfSeries(x / Math.Sqrt(2)))),
            ("gelu tanh", x => x.Gelu("tanh"), x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))),
            ("silu", x => x.Silu(), x => x * Sigmoid(x)),
        };
    }

    [TestCaseSource(nameof(UnaryCases))]
    public void Unary_MatchesSystemMath(string name, Func<Tensor, Tensor> op, Func<double, double> math, DType dtype)
    {
        using var x = D(Points).To(dtype);
        using var y = op(x);
        Assert.That(y.DType, Is.EqualTo(dtype), name);
        // The erf placeholder is accurate to ~1e-7, so erf and exact gelu get 1e-6; float32 gets a few ulps.
        bool erfBased = name is "erf" or "gelu";
        double atol = erfBased ? 1e-6 : dtype == DType.Float32 ? 1e-6 : 1e-14;
        double rtol = dtype == DType.Float32 ? 3e-7 * 4 : 1e-14;
        var expected = Points.Select(p => dtype == DType.Float32 ? math((float)p) : math(p)).ToArray();
        Close(y, [Points.Length], expected, atol, rtol);
    }

    [Test]
    public void Gelu_ExactAndTanh_DifferAsTheFormulasSay()
    {
        // At x = 1: exact = 0.5 (1 + erf(1/sqrt 2)) = Phi(1) = 0.841344746...; tanh form: 0.5 (1 + tanh(0.79788456 * 1.044715)) = 0.841191990...
        using var x = D(1.0);
        using var exact = x.Gelu();
        using var approx = x.Gelu("tanh");
        Assert.That(exact.Item(), Is.EqualTo(0.8413447460685429).Within(1e-6));
        Assert.That(approx.Item(), Is.EqualTo(0.8411919906082768).Within(1e-12));
        Assert.Throws<ArgumentException>(() => x.Gelu("fast"));
    }

    [Test]
    public void SigmoidAndSilu_AtPlusMinusThousand_AreFinite()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            using var x = D(-1000, 1000).To(dtype);
            using var s = x.Sigmoid();
            Close(s, [2], [0, 1], 0, 0);
            using var si = x.Silu();
            // silu(-1000) = -1000 e^-1000 / (1 + e^-1000), which underflows to -0; silu(1000) = 1000.
            Close(si, [2], [0, 1000], 0, 0);
            using var g = x.Gelu();
            Close(g, [2], [0, 1000], 1e-6, 0);
        }
    }

    [Test]
    public void Unary_OnInt32_KeepsIntsWhereDefinedAndPromotesOtherwise()
    {
        using var x = I(-2, 0, 3);
        using var a = x.Abs();
        Assert.That(a.DType, Is.EqualTo(DType.Int32));
        Assert.That(a.ToArray<int>(), Is.EqualTo(new[] { 2, 0, 3 }));
        using var n = -x;
        Assert.That(n.ToArray<int>(), Is.EqualTo(new[] { 2, 0, -3 }));
        using var e = x.Exp();
        Assert.That(e.DType, Is.EqualTo(DType.Float32), "exp(int) is float, like PyTorch");
        Close(e, [3], [Math.Exp(-2), 1, Math.Exp(3)], 1e-6, 1e-6);
    }

    // ---- binary, broadcasting, scalars ----

    [Test]
    public void Add_BroadcastsColumnWithRow()
    {
        // [3, 1] + [4] -> [3, 4]: element (i, j) = 10 i + (j + 1)
        using var col = Tensor.FromArray(new[] { 0f, 10, 20 }, [3, 1]);
        using var row = F(1, 2, 3, 4);
        using var y = col + row;
        Close(y, [3, 4], [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
    }

    [Test]
    public void Binary_BroadcastsAcrossRanks()
    {
        // [2, 1, 3] * [4, 1] -> [2, 4, 3]: (a, b, c) = (a + 1) * (c + 1) * (b + 1)
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 2, 4, 6 }, [2, 1, 3]);
        using var y = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [4, 1]);
        using var z = x * y;
        Assert.That(z.Shape, Is.EqualTo(new[] { 2, 4, 3 }));
        var v = z.ToArray<float>();
        for (int a = 0; a < 2; a++) for (int b = 0; b < 4; b++) for (int c = 0; c < 3; c++)
            Assert.That(v[a * 12 + b * 3 + c], Is.EqualTo((a + 1) * (c + 1) * (b + 1)));
    }

    [Test]
    public void SubAndDiv_WithTensorsAndScalars()
    {
        using var x = F(2, 4, 8);
        using var a = x - 1;       // 1 3 7
        using var b = 1 - x;       // -1 -3 -7
        using var c = x / 4;       // 0.5 1 2
        using var d = 8 / x;       // 4 2 1
        using var e = 2 * x;       // 4 8 16
        using var f = x * 0.5 + 1; // 2 3 5
        Close(a, [3], [1, 3, 7]);
        Close(b, [3], [-1, -3, -7]);
        Close(c, [3], [0.5, 1, 2]);
        Close(d, [3], [4, 2, 1]);
        Close(e, [3], [4, 8, 16]);
        Close(f, [3], [2, 3, 5]);
        foreach (var t in new[] { a, b, c, d, e, f }) Assert.That(t.DType, Is.EqualTo(DType.Float32));
    }

    [Test]
    public void IntDivInt_IsTrueDivisionInFloat32()
    {
        // 7 / 2 = 3.5 and -7 / 2 = -3.5 (true division, not C#'s truncating int division)
        using var y = I(7, -7, 4) / I(2);
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Close(y, [3], [3.5, -3.5, 2]);
        using var s = I(1, 2) / 2;
        Assert.That(s.DType, Is.EqualTo(DType.Float32));
        Close(s, [2], [0.5, 1]);
    }

    [Test]
    public void IntPlusScalar_StaysIntForWholeNumbersAndBecomesFloatForFractions()
    {
        using var x = I(1, 2);
        using var whole = x + 2;
        Assert.That(whole.DType, Is.EqualTo(DType.Int32));
        Assert.That(whole.ToArray<int>(), Is.EqualTo(new[] { 3, 4 }));
        using var frac = x + 2.5;
        Assert.That(frac.DType, Is.EqualTo(DType.Float32));
        Close(frac, [2], [3.5, 4.5]);
        using var times = x * 3;
        Assert.That(times.ToArray<int>(), Is.EqualTo(new[] { 3, 6 }));
    }

    [Test]
    public void Promotion_FollowsBoolIntFloatDouble()
    {
        using var i = I(1);
        using var f = F(1);
        using var d = D(1);
        using var b = Tensor.FromArray(new[] { true });
        using (var y = i + f) Assert.That(y.DType, Is.EqualTo(DType.Float32));
        using (var y = f + d) Assert.That(y.DType, Is.EqualTo(DType.Float64));
        using (var y = b + i) Assert.That(y.DType, Is.EqualTo(DType.Int32));
        using (var y = b + b) { Assert.That(y.DType, Is.EqualTo(DType.Int32)); Assert.That(y.ToArray<int>(), Is.EqualTo(new[] { 2 })); }
        using (var y = d + 0.1) { Assert.That(y.DType, Is.EqualTo(DType.Float64)); Assert.That(y.Item<double>(), Is.EqualTo(1.1)); }
    }

    [Test]
    public void Pow_TensorExponent_Broadcasts()
    {
        // [2, 3]^[[1], [2]] -> [[2, 3], [4, 9]]
        using var x = F(2, 3);
        using var e = Tensor.FromArray(new[] { 1f, 2 }, [2, 1]);
        using var y = x.Pow(e);
        Close(y, [2, 2], [2, 3, 4, 9]);
    }

    [Test]
    public void Clamp_BothBoundsOneBoundAndIntegers()
    {
        using var x = F(-2, -0.5f, 0, 0.5f, 3);
        using var both = x.Clamp(-1, 1);
        Close(both, [5], [-1, -0.5, 0, 0.5, 1]);
        using var lo = x.Clamp(min: 0);
        Close(lo, [5], [0, 0, 0, 0.5, 3]);
        using var hi = x.Clamp(max: 0);
        Close(hi, [5], [-2, -0.5, 0, 0, 0]);
        using var ints = I(-5, 2, 9).Clamp(0, 4);
        Assert.That(ints.DType, Is.EqualTo(DType.Int32));
        Assert.That(ints.ToArray<int>(), Is.EqualTo(new[] { 0, 2, 4 }));
        Assert.Throws<ArgumentException>(() => x.Clamp());
    }

    [Test]
    public void Clamp_MinAboveMax_SetsEveryElementToMax()
    {
        // torch.clamp docs: "If min is greater than max, torch.clamp(..., min, max) sets all elements in input to the value of max."
        using var x = F(-3, 0, 5);
        using var y = x.Clamp(2, 1);
        Close(y, [3], [1, 1, 1]);
    }

    [Test]
    public void MaximumMinimum_BroadcastAndPropagateNaN()
    {
        using var a = F(1, 5, float.NaN);
        using var b = F(3);
        using var mx = a.Maximum(b);
        using var mn = a.Minimum(b);
        Close(mx, [3], [3, 5, double.NaN]);
        Close(mn, [3], [1, 3, double.NaN]);
    }

    [Test]
    public void Comparisons_GiveBoolMasks()
    {
        using var x = F(1, 2, 3, float.NaN);
        bool[] Mask(Tensor m) { Assert.That(m.DType, Is.EqualTo(DType.Bool)); using (m) return m.ToArray<bool>(); }
        Assert.That(Mask(x.Lt(2)), Is.EqualTo(new[] { true, false, false, false }));
        Assert.That(Mask(x.Le(2)), Is.EqualTo(new[] { true, true, false, false }));
        Assert.That(Mask(x.Gt(2)), Is.EqualTo(new[] { false, false, true, false }));
        Assert.That(Mask(x.Ge(2)), Is.EqualTo(new[] { false, true, true, false }));
        Assert.That(Mask(x.Eq(2)), Is.EqualTo(new[] { false, true, false, false }));
        Assert.That(Mask(x.Ne(2)), Is.EqualTo(new[] { true, false, true, true }), "NaN != anything is true");
        Assert.That(Mask(x.Eq(x)), Is.EqualTo(new[] { true, true, true, false }), "NaN == NaN is false");
        using var col = Tensor.FromArray(new[] { 1, 3 }, [2, 1]);
        using var row = I(1, 2, 3);
        Assert.That(Mask(col.Lt(row)), Is.EqualTo(new[] { false, true, true, false, false, false }));
        using var mixed = I(1, 2).Eq(F(1, 2.5f));
        Assert.That(mixed.ToArray<bool>(), Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void Where_PicksPerElementWithBroadcasting()
    {
        using var cond = Tensor.FromArray(new[] { true, false, true });
        using var a = F(1, 2, 3);
        using var b = F(0);
        using var y = Tensor.Where(cond, a, b);
        Close(y, [3], [1, 0, 3]);
        // cond [2, 1], a [3], b [2, 3] -> [2, 3]
        using var c2 = Tensor.FromArray(new[] { true, false }, [2, 1]);
        using var b2 = Tensor.FromArray(new[] { -1f, -2, -3, -4, -5, -6 }, [2, 3]);
        using var y2 = Tensor.Where(c2, a, b2);
        Close(y2, [2, 3], [1, 2, 3, -4, -5, -6]);
        using var promoted = Tensor.Where(cond, I(1, 2, 3), F(0.5f));
        Assert.That(promoted.DType, Is.EqualTo(DType.Float32));
        Close(promoted, [3], [1, 0.5, 3]);
    }

    [Test]
    public void MaskedFill_FillsWhereTheBroadcastMaskIsTrue()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [2, 2]);
        using var mask = Tensor.FromArray(new[] { true, false });
        using var y = x.MaskedFill(mask, -1);
        Close(y, [2, 2], [-1, 2, -1, 4]);
        using var inf = x.MaskedFill(x.Gt(2), double.NegativeInfinity);
        Close(inf, [2, 2], [1, 2, double.NegativeInfinity, double.NegativeInfinity]);
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 3, 4 }), "out of place");
    }

}
