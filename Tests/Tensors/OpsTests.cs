// Golden tests of the tensor operations: expected values are derived by hand (arithmetic in the comments),
// from System.Math, or from a naive loop written here, never read back from the library.
using DotGrad;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public class OpsTests
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

    private static IEnumerable<TestCaseData> UnaryCases()
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var ops = new (string Name, Func<Tensor, Tensor> Op, Func<double, double> Math)[]
        {
            ("neg", x => x.Neg(), x => -x),
            ("abs", x => x.Abs(), Math.Abs),
            ("sign", x => x.Sign(), x => Math.Sign(x)),
            ("exp", x => x.Exp(), Math.Exp),
            ("log", x => x.Log(), Math.Log),          // NaN for x < 0, -inf at 0
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
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var (name, op, math) in ops)
                yield return new TestCaseData(name, op, math, dtype).SetName($"Unary_{name.Replace(' ', '_')}_{dtype}_MatchesSystemMath");
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

    // ---- reductions ----

    /// <summary>[[1, 2, 3], [4, 5, 6]]</summary>
    private static Tensor M23() => Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);

    [Test]
    public void Sum_OverOneSeveralAndAllDims()
    {
        using var x = M23();
        using var all = x.Sum();
        Assert.That(all.Rank, Is.EqualTo(0));
        Assert.That(all.Item<float>(), Is.EqualTo(21f));          // 1 + ... + 6
        using var s0 = x.Sum(0);
        Close(s0, [3], [5, 7, 9]);                                   // 1+4, 2+5, 3+6
        using var s1 = x.Sum(1, keepDim: true);
        Close(s1, [2, 1], [6, 15]);                                  // 1+2+3, 4+5+6
        using var s01 = x.Sum([0, -1], keepDim: true);
        Close(s01, [1, 1], [21]);
        using var neg = x.Sum(-2);
        Close(neg, [3], [5, 7, 9]);
    }

    [Test]
    public void Sum_OverTheOuterAndInnerDimsOfA3DTensor()
    {
        // x[a, j, c] = 12 a + 4 j + c over a < 2, j < 3, c < 4. Summing a and c: sum_a 12a * 4 = 48, sum 4j * 8 = 32 j,
        // sum_c c * 2 = 12: 60 + 32 j -> [60, 92, 124].
        using var x = Tensor.Arange(0, 24, 1, DType.Float64).Reshape(2, 3, 4);
        using var s = x.Sum([0, 2]);
        Close(s, [3], [60, 92, 124]);
        using var k = x.Sum([2, 0], keepDim: true);
        Assert.That(k.Shape, Is.EqualTo(new[] { 1, 3, 1 }));
        using var viaT = x.Permute(2, 0, 1).Sum([0, 1]);
        Close(viaT, [3], [60, 92, 124]);
    }

    [Test]
    public void Sum_OfIntAndBool_IsInt32()
    {
        using var i = I(1, 2, 3);
        using var si = i.Sum();
        Assert.That(si.DType, Is.EqualTo(DType.Int32));
        Assert.That(si.Item<int>(), Is.EqualTo(6));
        using var b = Tensor.FromArray(new[] { true, false, true, true });
        using var sb = b.Sum();
        Assert.That(sb.DType, Is.EqualTo(DType.Int32));
        Assert.That(sb.Item<int>(), Is.EqualTo(3));
    }

    [Test]
    public void MeanAmaxAmin_OverDims()
    {
        using var x = M23();
        using var m = x.Mean(1);
        Close(m, [2], [2, 5]);                    // 6/3, 15/3
        using var ma = x.Mean();
        Assert.That(ma.Item(), Is.EqualTo(3.5));  // 21 / 6
        using var mk = x.Mean([0], keepDim: true);
        Close(mk, [1, 3], [2.5, 3.5, 4.5]);
        using var amax = x.Amax([0]);
        Close(amax, [3], [4, 5, 6]);
        using var amin = x.Amin([1], keepDim: true);
        Close(amin, [2, 1], [1, 4]);
        using var mx = x.Max();
        Assert.That(mx.Item<float>(), Is.EqualTo(6f));
        using var mn = x.Min();
        Assert.That(mn.Item<float>(), Is.EqualTo(1f));
    }

    [Test]
    public void VarStd_WithCorrectionZeroAndOne()
    {
        // Row [1, 2, 3, 4]: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5 -> var 5/3 (correction 1), 5/4 (0).
        // Row [2, 4, 6, 8]: mean 5, squared deviations 9 + 1 + 1 + 9 = 20 -> var 20/3, 20/4.
        using var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 2, 4, 6, 8 }, [2, 4]);
        using var v1 = x.Var(1);
        Close(v1, [2], [5.0 / 3, 20.0 / 3], 1e-14);
        using var v0 = x.Var(1, correction: 0);
        Close(v0, [2], [1.25, 5], 1e-14);
        using var s1 = x.Std(1, keepDim: true);
        Close(s1, [2, 1], [Math.Sqrt(5.0 / 3), Math.Sqrt(20.0 / 3)], 1e-14);
        using var s0 = x.Std(1, correction: 0);
        Close(s0, [2], [Math.Sqrt(1.25), Math.Sqrt(5)], 1e-14);
        // All 8 values: mean 3.75; squared deviations sum 1 + 4 + 9 + 16 + 4 + 16 + 36 + 64 - 8 * 3.75^2 = 150 - 112.5 = 37.5
        using var all = x.Var();
        Assert.That(all.Item(), Is.EqualTo(37.5 / 7).Within(1e-14));
        // Columns (dim 0) of pairs: var of (a, b) with correction 1 is (a - b)^2 / 2.
        using var cols = x.Var(0);
        Close(cols, [4], [0.5, 2, 4.5, 8], 1e-14);
    }

    [Test]
    public void Var_WithALargeMean_StaysAccurate()
    {
        // 1e8 + {1, 2, 3}: var (correction 1) = ((-1)^2 + 0 + 1^2) / 2 = 1; a one-pass sum of squares loses it in float64.
        using var x = D(1e8 + 1, 1e8 + 2, 1e8 + 3);
        using var v = x.Var();
        Assert.That(v.Item(), Is.EqualTo(1.0).Within(1e-9));
    }

    [Test]
    public void LogSumExp_MatchesTheDefinitionAndHandlesInfinities()
    {
        // logsumexp(ln 1, ln 2, ln 3) = ln(1 + 2 + 3) = ln 6
        using var x = D(0, Math.Log(2), Math.Log(3));
        using var l = x.LogSumExp(0);
        Assert.That(l.Item(), Is.EqualTo(Math.Log(6)).Within(1e-14));
        // Large logits: 1000 + ln(1 + e^-1) stays finite; a row of all -inf gives -inf, not NaN.
        using var rows = Tensor.FromArray(new[] { 1000f, 999, float.NegativeInfinity, float.NegativeInfinity }, [2, 2]);
        using var lr = rows.LogSumExp(1, keepDim: true);
        Close(lr, [2, 1], [1000 + Math.Log(1 + Math.Exp(-1)), double.NegativeInfinity], 1e-4);
        using var withInf = F(1, float.PositiveInfinity).LogSumExp(0);
        Assert.That(withInf.Item(), Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void Softmax_MatchesTheDefinitionAndRowsSumToOne()
    {
        // softmax([1, 2, 3]) = e^i / (e + e^2 + e^3)
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        using var x = Tensor.FromArray(new[] { 1.0, 2, 3, 1000, 1001, 1002 }, [2, 3]);
        using var s = x.Softmax(-1);
        var expectedRow = new[] { Math.Exp(1) / z, Math.Exp(2) / z, Math.Exp(3) / z };
        // Row 2 is row 1 shifted by 999: the same probabilities, and finite despite e^1000 = inf.
        Close(s, [2, 3], expectedRow.Concat(expectedRow).ToArray(), 1e-15, 1e-14);
        using var sums = s.Sum(1);
        Close(sums, [2], [1, 1], 1e-14);
        using var f = x.Float().Softmax(1);
        Assert.That(f.ToArray<float>().All(float.IsFinite), Is.True);
        using var cols = x.Softmax(0);
        using var colSums = cols.Sum(0);
        Close(colSums, [3], [1, 1, 1], 1e-14);
    }

    [Test]
    public void LogSoftmax_IsXMinusLogSumExp_AndFiniteForLargeLogits()
    {
        using var x = F(1000, 1001, 1002);
        using var ls = x.LogSoftmax(0);
        // log_softmax_i = x_i - (1002 + ln(1 + e^-1 + e^-2))
        double lse = 1002 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-2));
        Close(ls, [3], [1000 - lse, 1001 - lse, 1002 - lse], 1e-5);
    }

    [Test]
    public void Norm_ForPOneTwoInfZeroThree()
    {
        using var v = D(3, -4, 0);
        double N(double p) { using var n = v.Norm(p); return n.Item(); }
        Assert.That(N(2), Is.EqualTo(5).Within(1e-15));                   // sqrt(9 + 16)
        Assert.That(N(1), Is.EqualTo(7));                                  // 3 + 4
        Assert.That(N(double.PositiveInfinity), Is.EqualTo(4));            // max |x|
        Assert.That(N(double.NegativeInfinity), Is.EqualTo(0));            // min |x|
        Assert.That(N(0), Is.EqualTo(2));                                  // two non-zeros
        Assert.That(N(3), Is.EqualTo(Math.Cbrt(27 + 64)).Within(1e-14));  // (27 + 64)^(1/3)
        using var m = Tensor.FromArray(new[] { 3.0, 4, 6, 8 }, [2, 2]);
        using var rows = m.Norm(2, [1], keepDim: true);
        Close(rows, [2, 1], [5, 10], 1e-15);
    }

    [Test]
    public void MaxMinWithIndices_TiesGoToTheFirst()
    {
        // Row 0 [1, 3, 3]: max 3 first at 1; min 1 at 0. Row 1 [2, 2, 0]: max 2 first at 0; min 0 at 2.
        using var x = Tensor.FromArray(new[] { 1f, 3, 3, 2, 2, 0 }, [2, 3]);
        var (mv, mi) = x.Max(1);
        using (mv) using (mi)
        {
            Close(mv, [2], [3, 2]);
            Assert.That(mi.DType, Is.EqualTo(DType.Int32));
            Assert.That(mi.ToArray<int>(), Is.EqualTo(new[] { 1, 0 }));
        }
        var (nv, ni) = x.Min(1, keepDim: true);
        using (nv) using (ni)
        {
            Close(nv, [2, 1], [1, 0]);
            Assert.That(ni.ToArray<int>(), Is.EqualTo(new[] { 0, 2 }));
        }
        var (cv, ci) = x.Max(0);
        using (cv) using (ci)
        {
            Close(cv, [3], [2, 3, 3]);
            Assert.That(ci.ToArray<int>(), Is.EqualTo(new[] { 1, 0, 0 }));
        }
    }

    [Test]
    public void Argmax_FlattenedAndAlongADim()
    {
        // [[1, 5], [5, 2]] flattened is [1, 5, 5, 2]: the first 5 is at 1.
        using var x = Tensor.FromArray(new[] { 1f, 5, 5, 2 }, [2, 2]);
        using var flat = x.Argmax();
        Assert.That(flat.Rank, Is.EqualTo(0));
        Assert.That(flat.Item<int>(), Is.EqualTo(1));
        using var keep = x.Argmax(keepDim: true);
        Assert.That(keep.Shape, Is.EqualTo(new[] { 1, 1 }));
        using var d0 = x.Argmax(0);
        Assert.That(d0.ToArray<int>(), Is.EqualTo(new[] { 1, 0 }));
        using var amin = x.Argmin(1);
        Assert.That(amin.ToArray<int>(), Is.EqualTo(new[] { 0, 1 }));
        using var ints = I(4, 9, 9, 1).Argmax();
        Assert.That(ints.Item<int>(), Is.EqualTo(1));
    }

    // ---- matmul ----

    /// <summary>Naive product of row-major [M, K] and [K, N] blocks.</summary>
    private static double[] NaiveMatMul(double[] a, double[] b, int M, int K, int N)
    {
        var c = new double[M * N];
        for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) for (int k = 0; k < K; k++) c[i * N + j] += a[i * K + k] * b[k * N + j];
        return c;
    }

    [Test]
    public void MatMul_VectorDotVector_IsAScalar()
    {
        // 1*4 + 2*5 + 3*6 = 32
        using var y = F(1, 2, 3).MatMul(F(4, 5, 6));
        Assert.That(y.Rank, Is.EqualTo(0));
        Assert.That(y.Item<float>(), Is.EqualTo(32f));
    }

    [Test]
    public void MatMul_VectorTimesMatrix_AndMatrixTimesVector()
    {
        using var m = M23();                 // [[1, 2, 3], [4, 5, 6]]
        using var vm = F(1, 2).MatMul(m);    // [1 + 8, 2 + 10, 3 + 12]
        Close(vm, [3], [9, 12, 15]);
        using var mv = m.MatMul(F(1, 0, -1)); // [1 - 3, 4 - 6]
        Close(mv, [2], [-2, -2]);
    }

    [Test]
    public void MatMul_MatrixTimesMatrix()
    {
        // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[5 + 14, 6 + 16], [15 + 28, 18 + 32]]
        using var a = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [2, 2]);
        using var b = Tensor.FromArray(new[] { 5f, 6, 7, 8 }, [2, 2]);
        using var c = a.MatMul(b);
        Close(c, [2, 2], [19, 22, 43, 50]);
    }

    [Test]
    public void MatMul_BatchedTimesMatrix_MatchesANaiveLoop()
    {
        // [2, 3, 4] @ [4, 5] -> [2, 3, 5]: each batch is its own product with the shared matrix.
        using var a = Tensor.Randn([2, 3, 4], new Generator(1), DType.Float64);
        using var b = Tensor.Randn([4, 5], new Generator(2), DType.Float64);
        using var c = a.MatMul(b);
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        var expected = NaiveMatMul(av[..12], bv, 3, 4, 5).Concat(NaiveMatMul(av[12..], bv, 3, 4, 5)).ToArray();
        Close(c, [2, 3, 5], expected, 1e-12);
    }

    [Test]
    public void MatMul_BroadcastBatches_MatchesANaiveLoop()
    {
        // [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2]: out[i, j] = a[i, 0] @ b[j].
        using var a = Tensor.Randn([2, 1, 3, 4], new Generator(3), DType.Float64);
        using var b = Tensor.Randn([5, 4, 2], new Generator(4), DType.Float64);
        using var c = a.MatMul(b);
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        var expected = new List<double>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 5; j++)
                expected.AddRange(NaiveMatMul(av[(i * 12)..((i + 1) * 12)], bv[(j * 8)..((j + 1) * 8)], 3, 4, 2));
        Close(c, [2, 5, 3, 2], expected.ToArray(), 1e-12);
    }

    [Test]
    public void MatMul_TransposedOperands_MatchMaterialisedCopies()
    {
        using var a = Tensor.Randn([5, 3], new Generator(5));
        using var b = Tensor.Randn([5, 4], new Generator(6));
        using var at = a.T;
        using var atc = at.Contiguous();
        using var viaView = at.MatMul(b);
        using var viaCopy = atc.MatMul(b);
        Close(viaView, [3, 4], Values(viaCopy), 1e-5);
        // Both operands transposed, and a batched transposed operand.
        using var bt = Tensor.Randn([5, 3], new Generator(7));
        using var both = at.MatMul(bt.T.Contiguous().T);
        using var bothCopy = atc.MatMul(bt);
        Close(both, [3, 3], Values(bothCopy), 1e-5);
        using var batch = Tensor.Randn([2, 5, 3], new Generator(8));
        using var mt = batch.MT.MatMul(b);
        using var mtCopy = batch.MT.Contiguous().MatMul(b);
        Close(mt, [2, 3, 4], Values(mtCopy), 1e-5);
        // and against the naive loop
        var expected = NaiveMatMul(Values(atc), Values(b), 3, 5, 4);
        Close(viaView, [3, 4], expected, 1e-5, 1e-5);
    }

    // ---- movement ----

    [Test]
    public void Cat_AlongRowsAndColumns_AndPromotes()
    {
        using var a = Tensor.FromArray(new[] { 1f, 2 }, [1, 2]);
        using var b = Tensor.FromArray(new[] { 3f, 4, 5, 6 }, [2, 2]);
        using var rows = Tensor.Cat([a, b]);
        Close(rows, [3, 2], [1, 2, 3, 4, 5, 6]);
        using var c = Tensor.FromArray(new[] { 7f, 8 }, [2, 1]);
        using var cols = Tensor.Cat([b, c], -1);
        Close(cols, [2, 3], [3, 4, 7, 5, 6, 8]);
        using var mixed = Tensor.Cat([I(1, 2), F(0.5f)]);
        Assert.That(mixed.DType, Is.EqualTo(DType.Float32));
        Close(mixed, [3], [1, 2, 0.5]);
        using var ofViews = Tensor.Cat([b.T, b.T]);
        Close(ofViews, [4, 2], [3, 5, 4, 6, 3, 5, 4, 6]);
    }

    [Test]
    public void Stack_AddsANewDim()
    {
        using var a = F(1, 2);
        using var b = F(3, 4);
        using var s0 = Tensor.Stack([a, b]);
        Close(s0, [2, 2], [1, 2, 3, 4]);
        using var s1 = Tensor.Stack([a, b], 1);
        Close(s1, [2, 2], [1, 3, 2, 4]);
        using var sl = Tensor.Stack([a, b, a], -1);
        Close(sl, [2, 3], [1, 3, 1, 2, 4, 2]);
        using var scalars = Tensor.Stack([Tensor.Scalar(1), Tensor.Scalar(2)]);
        Close(scalars, [2], [1, 2]);
    }

    [Test]
    public void Split_BySizeAndBySizes()
    {
        using var x = Tensor.Arange(5);
        var bySize = x.Split(2);
        Assert.That(bySize.Select(p => p.Shape[0]), Is.EqualTo(new[] { 2, 2, 1 }));
        Assert.That(bySize[2].ToArray<int>(), Is.EqualTo(new[] { 4 }));
        var bySizes = x.Split([1, 0, 4]);
        Assert.That(bySizes.Select(p => p.Shape[0]), Is.EqualTo(new[] { 1, 0, 4 }));
        Assert.That(bySizes[2].ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        using var m = M23();
        var cols = m.Split(2, 1);
        Assert.That(cols.Select(p => p.Shape[1]), Is.EqualTo(new[] { 2, 1 }));
        Close(cols[1], [2, 1], [3, 6]);
        foreach (var p in bySize.Concat(bySizes).Concat(cols)) p.Dispose();
    }

    [TestCase(6, 4, new[] { 2, 2, 2 })]   // ceil(6 / 4) = 2 -> only 3 chunks, as torch.chunk gives
    [TestCase(5, 2, new[] { 3, 2 })]      // ceil(5 / 2) = 3
    [TestCase(5, 5, new[] { 1, 1, 1, 1, 1 })]
    [TestCase(2, 4, new[] { 1, 1 })]
    [TestCase(7, 3, new[] { 3, 3, 1 })]
    public void Chunk_SizesFollowTorchChunk(int rows, int chunks, int[] sizes)
    {
        using var x = Tensor.Zeros(rows, 2);
        var parts = x.Chunk(chunks);
        Assert.That(parts.Select(p => p.Shape[0]), Is.EqualTo(sizes));
        foreach (var p in parts) p.Dispose();
    }

    [Test]
    public void Pad_PairsStartFromTheLastDim()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [2, 2]);
        // (1, 2) pads the last dim: one before, two after.
        using var last = x.Pad([1, 2]);
        Close(last, [2, 5], [0, 1, 2, 0, 0, 0, 3, 4, 0, 0]);
        // (0, 0, 1, 0) with value 9 leaves the last dim and adds a row before.
        using var rows = x.Pad([0, 0, 1, 0], 9);
        Close(rows, [3, 2], [9, 9, 1, 2, 3, 4]);
        using var both = x.Pad([1, 0, 0, 1], -1);
        Close(both, [3, 3], [-1, 1, 2, -1, 3, 4, -1, -1, -1]);
    }

    [Test]
    public void Pad_NegativePadsCrop()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);
        // (-1, 1): drop the first column, add a zero column at the end.
        using var a = x.Pad([-1, 1]);
        Close(a, [2, 3], [2, 3, 0, 5, 6, 0]);
        // (2, -3): the whole row is cropped, then two zeros added: F.pad(x, (2, -3)) is all padding.
        using var b = x.Pad([2, -3]);
        Close(b, [2, 2], [0, 0, 0, 0]);
        // (0, 0, -1, 0): drop the first row.
        using var c = x.Pad([0, 0, -1, 0]);
        Close(c, [1, 3], [4, 5, 6]);
    }

    [Test]
    public void Repeat_TilesAndAddsLeadingDims()
    {
        using var x = F(1, 2);
        using var r = x.Repeat(2, 3);
        Close(r, [2, 6], [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
        using var col = Tensor.FromArray(new[] { 1f, 2 }, [2, 1]);
        using var rc = col.Repeat(2, 2);
        Close(rc, [4, 2], [1, 1, 2, 2, 1, 1, 2, 2]);
        using var zero = x.Repeat(0);
        Assert.That(zero.Shape, Is.EqualTo(new[] { 0 }));
        using var ofT = M23().T.Repeat(1, 2);  // [[1, 4], [2, 5], [3, 6]] tiled twice along columns
        Close(ofT, [3, 4], [1, 4, 1, 4, 2, 5, 2, 5, 3, 6, 3, 6]);
    }

    [TestCase(0, true)]
    [TestCase(-1, true)]
    [TestCase(1, true)]
    [TestCase(0, false)]
    [TestCase(1, false)]
    [TestCase(-2, false)]
    public void TrilTriu_KeepTheTriangleWithTheDiagonalOffset(int k, bool lower)
    {
        // x[i, j] = 10 i + j + 1 on a 3 x 4 matrix, batched twice; tril keeps j - i <= k, triu keeps j - i >= k.
        var data = new float[2 * 12];
        for (int b = 0; b < 2; b++) for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) data[b * 12 + i * 4 + j] = 10 * i + j + 1 + 100 * b;
        using var x = Tensor.FromArray(data, [2, 3, 4]);
        using var y = lower ? x.Tril(k) : x.Triu(k);
        var expected = new double[24];
        for (int b = 0; b < 2; b++) for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++)
        {
            bool keep = lower ? j - i <= k : j - i >= k;
            expected[b * 12 + i * 4 + j] = keep ? data[b * 12 + i * 4 + j] : 0;
        }
        Close(y, [2, 3, 4], expected);
    }

    // ---- indexing ----

    [Test]
    public void IndexSelect_PicksRowsOrColumns()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [3, 2]);
        using var rows = x.IndexSelect(0, I(2, 0, 2));
        Close(rows, [3, 2], [5, 6, 1, 2, 5, 6]);
        using var col = x.IndexSelect(1, I(1));
        Close(col, [3, 1], [2, 4, 6]);
        using var none = x.IndexSelect(0, Tensor.Zeros([0], DType.Int32));
        Assert.That(none.Shape, Is.EqualTo(new[] { 0, 2 }));
    }

    [Test]
    public void Gather_AlongADim()
    {
        // torch.gather docs example: x = [[1, 2], [3, 4]], index [[0, 0], [1, 0]] along dim 1 -> [[1, 1], [4, 3]]
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [2, 2]);
        using var idx = Tensor.FromArray(new[] { 0, 0, 1, 0 }, [2, 2]);
        using var g1 = x.Gather(1, idx);
        Close(g1, [2, 2], [1, 1, 4, 3]);
        // dim 0, index [[1, 0]]: out[0, j] = x[index[0, j], j] -> [x[1, 0], x[0, 1]] = [3, 2]
        using var g0 = x.Gather(0, Tensor.FromArray(new[] { 1, 0 }, [1, 2]));
        Close(g0, [1, 2], [3, 2]);
        // An index narrower than the input in the other dim: out[i, 0] = x[i, index[i, 0]]
        using var narrow = x.Gather(1, Tensor.FromArray(new[] { 1, 1, 0, 1 }, [2, 2])[.., ..1]);
        Close(narrow, [2, 1], [2, 3]);
    }

    [Test]
    public void ScatterAdd_AccumulatesDuplicates()
    {
        // dim 1: row 0 sends 1 and 2 to column 0, 3 to column 2 -> [3, 0, 3]; row 1 sends 4 + 5 + 6 to column 1 -> [0, 15, 0].
        using var zeros = Tensor.Zeros(2, 3);
        using var idx = Tensor.FromArray(new[] { 0, 0, 2, 1, 1, 1 }, [2, 3]);
        using var src = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);
        using var y = zeros.ScatterAdd(1, idx, src);
        Close(y, [2, 3], [3, 0, 3, 0, 15, 0]);
        Assert.That(zeros.ToArray<float>().All(v => v == 0), Is.True, "out of place");
        // dim 0 onto ones: column j of src goes to row idx[0, j].
        using var ones = Tensor.Ones(2, 2);
        using var y0 = ones.ScatterAdd(0, Tensor.FromArray(new[] { 1, 0 }, [1, 2]), Tensor.FromArray(new[] { 10f, 20 }, [1, 2]));
        Close(y0, [2, 2], [1, 21, 11, 1]);
    }

    [Test]
    public void OneHot_InfersOrTakesTheClassCount()
    {
        using var idx = I(0, 2, 1);
        using var oh = idx.OneHot();
        Assert.That(oh.DType, Is.EqualTo(DType.Int32));
        Close(oh, [3, 3], [1, 0, 0, 0, 0, 1, 0, 1, 0]);
        using var four = idx.OneHot(4);
        Close(four, [3, 4], [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
        using var twoD = Tensor.FromArray(new[] { 1, 0 }, [2, 1]).OneHot(2);
        Close(twoD, [2, 1, 2], [0, 1, 1, 0]);
        using var empty = Tensor.Zeros([0], DType.Int32).OneHot(3);
        Assert.That(empty.Shape, Is.EqualTo(new[] { 0, 3 }));
    }

    // ---- printing ----

    [Test]
    public void ToString_SmallInts_AreRightAligned()
    {
        using var x = I(1, -20, 300);
        Assert.That(x.ToString(), Is.EqualTo("tensor([  1, -20, 300], shape=[3], dtype=Int32, device=cpu)"));
    }

    [Test]
    public void ToString_Floats_HaveFourDecimals()
    {
        using var x = F(0.1f, 2f, -3.25f);
        Assert.That(x.ToString(), Is.EqualTo("tensor([ 0.1000,  2.0000, -3.2500], shape=[3], dtype=Float32, device=cpu)"));
    }

    [Test]
    public void ToString_WholeFloats_PrintWithATrailingDot()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2, 3, 40 }, [2, 2]);
        Assert.That(x.ToString(), Is.EqualTo(
            "tensor([[ 1.,  2.],\n" +
            "        [ 3., 40.]], shape=[2, 2], dtype=Float32, device=cpu)"));
    }

    [Test]
    public void ToString_WideRangeOrTinyValues_AreScientific()
    {
        // max / min = 1e5 > 1000
        using var x = D(1e-5, 1);
        Assert.That(x.ToString(), Is.EqualTo("tensor([1.0000e-05, 1.0000e+00], shape=[2], dtype=Float64, device=cpu)"));
        // Whole floats too: PyTorch prints torch.tensor([1., 10000.]) as tensor([1.0000e+00, 1.0000e+04]).
        using var w = F(1, 10000);
        Assert.That(w.ToString(), Is.EqualTo("tensor([1.0000e+00, 1.0000e+04], shape=[2], dtype=Float32, device=cpu)"));
        using var big = D(1.5e9, -2.25e9);
        Assert.That(big.ToString(), Is.EqualTo("tensor([ 1.5000e+09, -2.2500e+09], shape=[2], dtype=Float64, device=cpu)"));
    }

    [Test]
    public void ToString_NonFiniteValues_DoNotWidenTheColumns()
    {
        // PyTorch measures the width on the non-zero finite values only: tensor([1., nan, -inf])
        using var x = F(1, float.NaN, float.NegativeInfinity);
        Assert.That(x.ToString(), Is.EqualTo("tensor([1., nan, -inf], shape=[3], dtype=Float32, device=cpu)"));
    }

    [Test]
    public void ToString_LongVectors_WrapAtEightyColumns()
    {
        // Width 3 ("19."), so (80 - 7) / (3 + 2) = 14 items per line, like torch.arange(20.).
        using var x = Tensor.Arange(0, 20, 1, DType.Float32);
        Assert.That(x.ToString(), Is.EqualTo(
            "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n" +
            "        14., 15., 16., 17., 18., 19.], shape=[20], dtype=Float32, device=cpu)"));
    }

    [Test]
    public void ToString_MoreThanAThousandElements_IsSummarized()
    {
        using var v = Tensor.Arange(1001);
        Assert.That(v.ToString(), Is.EqualTo("tensor([   0,    1,    2,  ...,  998,  999, 1000], shape=[1001], dtype=Int32, device=cpu)"));
        using var m = Tensor.Arange(2000).Reshape(1000, 2);
        Assert.That(m.ToString(), Is.EqualTo(
            "tensor([[   0,    1],\n" +
            "        [   2,    3],\n" +
            "        [   4,    5],\n" +
            "        ...,\n" +
            "        [1994, 1995],\n" +
            "        [1996, 1997],\n" +
            "        [1998, 1999]], shape=[1000, 2], dtype=Int32, device=cpu)"));
        using var exactly = Tensor.Arange(1000);
        Assert.That(exactly.ToString(), Does.Not.Contain("..."));
    }

    [Test]
    public void ToString_RankZero_PrintsTheValueAlone()
    {
        using var s = Tensor.Scalar(3.5);
        Assert.That(s.ToString(), Is.EqualTo("tensor(3.5000, shape=[], dtype=Float32, device=cpu)"));
        using var w = Tensor.Scalar(2, DType.Float64, Device.Reference);
        Assert.That(w.ToString(), Is.EqualTo("tensor(2., shape=[], dtype=Float64, device=reference)"));
        using var i = Tensor.Scalar(-7, DType.Int32);
        Assert.That(i.ToString(), Is.EqualTo("tensor(-7, shape=[], dtype=Int32, device=cpu)"));
    }

    [Test]
    public void ToString_Bool_PrintsTrueFalseAligned()
    {
        using var b = Tensor.FromArray(new[] { true, false });
        Assert.That(b.ToString(), Is.EqualTo("tensor([ True, False], shape=[2], dtype=Bool, device=cpu)"));
    }

    [Test]
    public void ToString_ThreeDims_SeparatesBlocksWithABlankLine()
    {
        using var x = Tensor.Arange(8).Reshape(2, 2, 2);
        Assert.That(x.ToString(), Is.EqualTo(
            "tensor([[[0, 1],\n" +
            "         [2, 3]],\n" +
            "\n" +
            "        [[4, 5],\n" +
            "         [6, 7]]], shape=[2, 2, 2], dtype=Int32, device=cpu)"));
    }

    [Test]
    public void ToString_Empty_IsEmptyBrackets()
    {
        using var x = Tensor.Zeros(2, 0);
        Assert.That(x.ToString(), Is.EqualTo("tensor([], shape=[2, 0], dtype=Float32, device=cpu)"));
    }

    // ---- resources ----

    [Test]
    public void Ops_DisposingInputsAndResults_ReleasesEveryBuffer()
    {
        // Every temporary an op makes must be released when it returns, so that disposing the input and the result
        // frees all buffers at once (GPU memory and pooled CPU memory rely on it; the GC is only the safety net).
        // Each case makes its input, runs the op, and returns everything it created for disposal.
        var ops = new (string Name, Func<Tensor> Input, Func<Tensor, Tensor[]> Run)[]
        {
            ("argmax of a scalar", () => Tensor.Scalar(1), x => [x.Argmax(0)]),
            ("argmax keepdim", () => Tensor.Ones(2, 2), x => [x.Argmax(keepDim: true)]),
            ("max of a scalar", () => Tensor.Scalar(1), x => { var (v, i) = x.Max(0); return [v, i]; }),
            ("max along a dim", () => Tensor.Ones(2, 3), x => { var (v, i) = x.Max(1); return [v, i]; }),
            ("softmax of a scalar", () => Tensor.Scalar(1), x => [x.Softmax(0)]),
            ("log_softmax", () => Tensor.Ones(2, 3), x => [x.LogSoftmax(1)]),
            ("index_select of a scalar", () => Tensor.Scalar(1), x => { var i = Tensor.Scalar(0, DType.Int32); return [i, x.IndexSelect(0, i)]; }),
            ("logsumexp", () => Tensor.Ones(2, 3), x => [x.LogSumExp(1)]),
            ("var", () => Tensor.Ones(2, 3), x => [x.Var(1)]),
            ("norm 3", () => Tensor.Ones(2, 3), x => [x.Norm(3)]),
            ("matmul", () => Tensor.Ones(2, 3, 4), x => { var w = Tensor.Ones(4, 2); return [w, x.MatMul(w)]; }),
            ("matmul of vectors", () => Tensor.Ones(4), x => [x.MatMul(x)]),
            ("clamp", () => Tensor.Ones(3), x => [x.Clamp(0, 0.5)]),
            ("pad", () => Tensor.Ones(2, 2), x => [x.Pad([1, -1, 1, 1])]),
            ("repeat", () => Tensor.Ones(2), x => [x.Repeat(2, 2)]),
            ("tril", () => Tensor.Ones(3, 3), x => [x.Tril()]),
            ("one_hot", () => I(0, 1), x => [x.OneHot()]),
            ("stack", () => Tensor.Ones(2), x => [Tensor.Stack([x, x])]),
            ("reshape copy", () => Tensor.Ones(2, 3), x => { var t = x.T; return [t, t.Reshape(6)]; }),
            ("item", () => Tensor.Ones(1), x => { Assert.That(x.Item(), Is.EqualTo(1.0)); return []; }),
            ("ToArray of a view", () => Tensor.Ones(2, 3), x => { using var t = x.T; Assert.That(t.ToArray<float>(), Has.Length.EqualTo(6)); return []; }),
            ("to another device", () => Tensor.Ones(2, 3), x => { var t = x.T; return [t, t.To(Device.Reference)]; }),
            ("arange", () => Tensor.Scalar(0), _ => [Tensor.Arange(5), Tensor.Linspace(0, 1, 3), Tensor.Eye(2)]),
            ("FromArray with shape", () => Tensor.Scalar(0), _ => [Tensor.FromArray(new[] { 1f, 2 }, [2, 1])]),
        };
        foreach (var (name, input, run) in ops)
        {
            long leaked = LeakedBuffers(() =>
            {
                var x = input();
                foreach (var t in run(x)) t.Dispose();
                x.Dispose();
            });
            Assert.That(leaked, Is.LessThanOrEqualTo(0), name);
        }
    }
}
