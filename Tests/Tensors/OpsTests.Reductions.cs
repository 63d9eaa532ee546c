// Golden tests of the reductions: sum, mean, max/min, var/std, logsumexp, softmax, norms.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public partial class OpsTests
{
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
    public void Sum_OfIntAndBool_IsInt64_AsInPyTorch()
    {
        // torch.sum of an int32 or bool tensor is int64: 1 + 2 + 3 = 6, and three trues count 3.
        using var i = I(1, 2, 3);
        using var si = i.Sum();
        Assert.That(si.DType, Is.EqualTo(DType.Int64));
        Assert.That(si.Item<long>(), Is.EqualTo(6));
        using var b = Tensor.FromArray(new[] { true, false, true, true });
        using var sb = b.Sum();
        Assert.That(sb.DType, Is.EqualTo(DType.Int64));
        Assert.That(sb.Item<long>(), Is.EqualTo(3));
        // Two Int32 maxima do not overflow: 2 * (2^31 - 1) = 4294967294 in Int64.
        using var big = I(int.MaxValue, int.MaxValue);
        using var sbig = big.Sum();
        Assert.That(sbig.Item<long>(), Is.EqualTo(4294967294L));
        // Max and min keep the dtype, as torch.amax does.
        using var mx = i.Max();
        Assert.That(mx.DType, Is.EqualTo(DType.Int32));
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
            Assert.That(mi.DType, Is.EqualTo(DType.Int64)); // torch.max(x, dim).indices is int64
            Assert.That(mi.ToArray<long>(), Is.EqualTo(new long[] { 1, 0 }));
        }
        var (nv, ni) = x.Min(1, keepDim: true);
        using (nv) using (ni)
        {
            Close(nv, [2, 1], [1, 0]);
            Assert.That(ni.ToArray<long>(), Is.EqualTo(new long[] { 0, 2 }));
        }
        var (cv, ci) = x.Max(0);
        using (cv) using (ci)
        {
            Close(cv, [3], [2, 3, 3]);
            Assert.That(ci.ToArray<long>(), Is.EqualTo(new long[] { 1, 0, 0 }));
        }
    }

    [Test]
    public void Argmax_FlattenedAndAlongADim()
    {
        // [[1, 5], [5, 2]] flattened is [1, 5, 5, 2]: the first 5 is at 1.
        using var x = Tensor.FromArray(new[] { 1f, 5, 5, 2 }, [2, 2]);
        using var flat = x.Argmax();
        Assert.That(flat.Rank, Is.EqualTo(0));
        Assert.That(flat.DType, Is.EqualTo(DType.Int64)); // torch.argmax gives int64
        Assert.That(flat.Item<long>(), Is.EqualTo(1));
        using var keep = x.Argmax(keepDim: true);
        Assert.That(keep.Shape, Is.EqualTo(new[] { 1, 1 }));
        using var d0 = x.Argmax(0);
        Assert.That(d0.ToArray<long>(), Is.EqualTo(new long[] { 1, 0 }));
        using var amin = x.Argmin(1);
        Assert.That(amin.ToArray<long>(), Is.EqualTo(new long[] { 0, 1 }));
        using var ints = I(4, 9, 9, 1).Argmax();
        Assert.That(ints.Item<long>(), Is.EqualTo(1));
    }

    [Test]
    public void SumOverAnEmptyListOfDims_ReducesEveryDim_LikePyTorch()
    {
        // torch.sum(x, dim=[]) is the sum of everything: 1+2+3+4+5+6 = 21.
        using var x = M23();
        using var s = x.Sum(Array.Empty<int>());
        Close(s, [], [21]);
    }

    [Test]
    public void LogSumExpOverAnEmptyDim_IsNegativeInfinity()
    {
        // log of an empty sum: log(0) = -inf, one per kept position (3 columns).
        using var x = Tensor.Zeros([0, 3]);
        using var l = x.LogSumExp(0);
        Close(l, [3], [double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity]);
    }
}
