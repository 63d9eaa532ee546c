// Golden tests of log1p, cumsum, sort, argsort and topk on every backend: values worked out by hand, PyTorch's
// conventions (default dims, descending, stable ties, NaN as the largest, k bounds), gradients, and bad input.
using DotGrad;
using DotGrad.Autodiff.Functions;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

[TestFixture("reference")]
[TestFixture("cpu")]
[TestFixture("opencl:0")]
public class ScanSortOpsTests(string device)
{
    private readonly Device _device = Device.Parse(device);

    [SetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    private Tensor D(params double[] v) => Tensor.FromArray(v).To(_device);
    private Tensor F32(params float[] v) => Tensor.FromArray(v).To(_device);
    private Tensor D(double[] v, int[] shape) => Tensor.FromArray(v, shape, Device.Cpu).To(_device);
    private static int[] Ints(Tensor t) => Values(t).Select(v => (int)v).ToArray();

    // ---- log1p ----

    [Test]
    public void Log1p_KeepsEveryDigitOfSmallArguments_InFloat64()
    {
        // log1p(x) = x - x^2/2 + x^3/3 - ...: for x = 1e-10 that is 1e-10 - 5e-21 (the cubic term is 3e-31, below an
        // ulp). log(1 + x) would give 1.00000008e-10, wrong in the 8th digit, as 1 + 1e-10 rounds to a double.
        // log1p(e - 1) = 1; log1p(0) = 0; log1p(-1) = -inf; below -1 it is NaN; log1p(inf) = inf.
        using var x = D(1e-10, -1e-10, Math.E - 1, 0, -1, -2, double.PositiveInfinity, 1e-300);
        using var y = x.Log1p();
        Close(y, [8], [1e-10 - 5e-21, -1e-10 - 5e-21, 1, 0, double.NegativeInfinity, double.NaN, double.PositiveInfinity, 1e-300],
              atol: 0, rtol: 1e-15);
    }

    [Test]
    public void Log1p_IsAccurateInFloat32_OnTheVectorPathAndItsTail()
    {
        // 37 elements: vector blocks of 8 or 16 and a scalar tail. For x = k * 1e-7 (k = 1..37), log1p(x) = x - x^2/2
        // to float precision (x^3/3 < 2e-17 relative); log(1 + x) in float would be off by up to 60% (1 + 1e-7f rounds to
        // 1 + 1.19e-7). Every 10th element is 3 instead: log1p(3) = ln 4.
        var xs = Enumerable.Range(1, 37).Select(k => k % 10 == 0 ? 3f : k * 1e-7f).ToArray();
        using var x = F32(xs);
        using var y = x.Log1p();
        var expected = xs.Select(v => v == 3f ? Math.Log(4) : (double)v - (double)v * v / 2).ToArray();
        Close(y, [37], expected, atol: 0, rtol: 2e-7);
    }

    [Test]
    public void Log1p_Gradient_IsOneOverOnePlusX()
    {
        // d/dx log1p(x) = 1 / (1 + x): at 1 it is 1/2, at -0.5 it is 2, at 0 it is 1.
        using var x = D(1, -0.5, 0).RequireGrad();
        using var y = x.Log1p().Sum();
        y.Backward();
        Close(x.Grad!, [3], [0.5, 2, 1], atol: 1e-15);
    }

    // ---- cumsum ----

    [Test]
    public void CumSum_OfAVector_IsTheRunningTotal()
    {
        using var x = D(1, 2, 3, 4);
        using var y = x.CumSum(0);
        Close(y, [4], [1, 3, 6, 10]);                   // 1, 1+2, 1+2+3, 1+2+3+4
        using var neg = x.CumSum(-1);
        Close(neg, [4], [1, 3, 6, 10]);
    }

    [Test]
    public void CumSum_AlongEitherDimOfAMatrix_AndOfATransposedView()
    {
        using var x = D([1, 2, 3, 4, 5, 6], [2, 3]);    // [[1, 2, 3], [4, 5, 6]]
        using var rows = x.CumSum(-1);
        Close(rows, [2, 3], [1, 3, 6, 4, 9, 15]);       // 1, 1+2, 1+2+3 | 4, 4+5, 4+5+6
        using var cols = x.CumSum(0);
        Close(cols, [2, 3], [1, 2, 3, 5, 7, 9]);        // the first row, then 1+4, 2+5, 3+6
        using var t = x.T;                               // [[1, 4], [2, 5], [3, 6]], strided
        using var tc = t.CumSum(0);
        Close(tc, [3, 2], [1, 4, 3, 9, 6, 15]);         // down the columns of x.T: the rows of x
    }

    [Test]
    public void CumSum_OfFloat32_AccumulatesInDouble_AsPyTorchsCpuKernel()
    {
        // [1e8, 1, -1e8]: in float, 1e8 + 1 rounds back to 1e8 (floats near 1e8 are 8 apart) and the total ends at 0.
        // In a double accumulator the running total is exactly 1e8 + 1 (stored as the float 1e8), then exactly 1.
        using var x = F32(1e8f, 1f, -1e8f);
        using var y = x.CumSum(0);
        Close(y, [3], [1e8, 1e8, 1], atol: 0, rtol: 0);
    }

    [Test]
    public void CumSum_OfIntegersAndBools_CountsInInt64_OrInTheDTypeAskedFor()
    {
        // PyTorch promotes integer and bool inputs of cumsum to int64.
        using var i = Tensor.FromArray(new[] { 1, 2, 3 }).To(_device);
        using var yi = i.CumSum(0);
        Assert.That(yi.DType, Is.EqualTo(DType.Int64));
        Assert.That(Ints(yi), Is.EqualTo(new[] { 1, 3, 6 }));
        using var b = Tensor.FromArray(new[] { true, false, true }).To(_device);
        using var yb = b.CumSum(0);
        Assert.That(yb.DType, Is.EqualTo(DType.Int64));
        Assert.That(Ints(yb), Is.EqualTo(new[] { 1, 1, 2 }));
        using var yd = i.CumSum(0, DType.Float64);
        Assert.That(yd.DType, Is.EqualTo(DType.Float64));
        Close(yd, [3], [1, 3, 6]);
        using var y32 = i.CumSum(0, DType.Int32);
        Assert.That(y32.DType, Is.EqualTo(DType.Int32));
        Assert.That(Ints(y32), Is.EqualTo(new[] { 1, 3, 6 }));
        // Int64 totals past 2^53 stay exact (a double would round 2^53 + 1).
        using var big = Tensor.FromArray(new[] { 1L << 53, 1L, 1L }).To(_device);
        using var yBig = big.CumSum(0);
        Assert.That(yBig.To(Device.Cpu).ToArray<long>(), Is.EqualTo(new[] { 1L << 53, (1L << 53) + 1, (1L << 53) + 2 }));
    }

    [Test]
    public void CumSum_OfAScalarAndOfAnEmptyTensor()
    {
        using var s = Tensor.Scalar(5.0, DType.Float64, _device);
        using var ys = s.CumSum(0);
        Assert.That(ys.Rank, Is.EqualTo(0));
        Assert.That(ys.Item<double>(), Is.EqualTo(5.0));
        using var e = Tensor.Zeros([2, 0], DType.Float64, _device);
        using var ye = e.CumSum(1);
        Assert.That(ye.Shape, Is.EqualTo(new[] { 2, 0 }));
    }

    [Test]
    public void CumSum_Gradient_IsTheCumsumOfTheGradientFromTheEnd()
    {
        // y_i = x_0 + ... + x_i, so dL/dx_j = sum over i >= j of g_i: g = [1, 2, 3, 4] gives [10, 9, 7, 4].
        using var x = D(0.5, -1, 2, 3).RequireGrad();
        using var g = D(1, 2, 3, 4);
        using var y = x.CumSum(0);
        y.Backward(g);
        Close(x.Grad!, [4], [10, 9, 7, 4]);
    }

    [Test]
    public void CumSum_WithADimOutOfRange_NamesTheOp()
    {
        using var x = D(1, 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.CumSum(1));
        Assert.That(e!.Message, Does.Contain("cumsum"));
    }

    // ---- sort and argsort ----

    [Test]
    public void Sort_IsAscendingAlongTheLastDimByDefault_WithThePositions()
    {
        using var x = D(3, 1, 2);
        var (v, i) = x.Sort();
        Close(v, [3], [1, 2, 3]);
        Assert.That(i.DType, Is.EqualTo(Sort.IndexDType));
        Assert.That(Ints(i), Is.EqualTo(new[] { 1, 2, 0 }));   // 1 was at 1, 2 at 2, 3 at 0
        var (vd, id) = x.Sort(descending: true);
        Close(vd, [3], [3, 2, 1]);
        Assert.That(Ints(id), Is.EqualTo(new[] { 0, 2, 1 }));
        using var a = x.Argsort(descending: true);
        Assert.That(Ints(a), Is.EqualTo(new[] { 0, 2, 1 }));
    }

    [Test]
    public void Sort_KeepsTiesInTheirOrderOfPosition_AscendingAndDescending()
    {
        // [2, 1, 2, 1]: the 1s are at 1 and 3, the 2s at 0 and 2; a stable sort keeps each pair in that order.
        using var x = D(2, 1, 2, 1);
        var (v, i) = x.Sort(stable: true);
        Close(v, [4], [1, 1, 2, 2]);
        Assert.That(Ints(i), Is.EqualTo(new[] { 1, 3, 0, 2 }));
        var (vd, id) = x.Sort(descending: true, stable: true);
        Close(vd, [4], [2, 2, 1, 1]);
        Assert.That(Ints(id), Is.EqualTo(new[] { 0, 2, 1, 3 }));
    }

    [Test]
    public void Sort_PutsNaNAboveEveryNumber_AsPyTorchDoes()
    {
        // NaN is the largest: last ascending, first descending; the two NaNs (at 1 and 3) keep their order.
        using var x = D(1, double.NaN, -1, double.NaN);
        var (v, i) = x.Sort();
        Close(v, [4], [-1, 1, double.NaN, double.NaN]);
        Assert.That(Ints(i), Is.EqualTo(new[] { 2, 0, 1, 3 }));
        var (vd, id) = x.Sort(descending: true);
        Close(vd, [4], [double.NaN, double.NaN, 1, -1]);
        Assert.That(Ints(id), Is.EqualTo(new[] { 1, 3, 0, 2 }));
    }

    [Test]
    public void Sort_AlongTheFirstDimOfATransposedView()
    {
        using var m = D([5, 0, 2, 9, 1, 7], [2, 3]);    // [[5, 0, 2], [9, 1, 7]]
        using var t = m.T;                               // [[5, 9], [0, 1], [2, 7]]
        var (v, i) = t.Sort(0);
        Close(v, [3, 2], [0, 1, 2, 7, 5, 9]);          // column 0: 0, 2, 5 (from rows 1, 2, 0); column 1: 1, 7, 9
        Assert.That(Ints(i), Is.EqualTo(new[] { 1, 1, 2, 2, 0, 0 }));
    }

    [Test]
    public void Sort_OfIntegersBoolsScalarsAndEmptyTensors()
    {
        using var n = Tensor.FromArray(new[] { 4, -2, 7 }).To(_device);
        var (vn, inn) = n.Sort(descending: true);
        Assert.That(vn.DType, Is.EqualTo(DType.Int32));
        Assert.That(Ints(vn), Is.EqualTo(new[] { 7, 4, -2 }));
        Assert.That(Ints(inn), Is.EqualTo(new[] { 2, 0, 1 }));
        using var b = Tensor.FromArray(new[] { true, false, true }).To(_device);
        var (vb, ib) = b.Sort();
        Assert.That(vb.DType, Is.EqualTo(DType.Bool));
        Assert.That(Ints(vb), Is.EqualTo(new[] { 0, 1, 1 }));
        Assert.That(Ints(ib), Is.EqualTo(new[] { 1, 0, 2 }));
        using var s = Tensor.Scalar(3.0, DType.Float64, _device);
        var (vs, iss) = s.Sort();
        Assert.That(vs.Rank + iss.Rank, Is.EqualTo(0));
        Assert.That(vs.Item<double>(), Is.EqualTo(3.0));
        Assert.That(iss.DType, Is.EqualTo(DType.Int64));   // PyTorch's index dtype
        Assert.That(iss.Item<long>(), Is.EqualTo(0));
        // Int64 values beyond 2^53 sort exactly (as doubles, 2^53 and 2^53 + 1 would tie).
        using var big = Tensor.FromArray(new[] { (1L << 53) + 1, 1L << 53, -5L }).To(_device);
        var (vBig, iBig) = big.Sort();
        Assert.That(vBig.To(Device.Cpu).ToArray<long>(), Is.EqualTo(new[] { -5L, 1L << 53, (1L << 53) + 1 }));
        Assert.That(iBig.To(Device.Cpu).ToArray<long>(), Is.EqualTo(new[] { 2L, 1L, 0L }));
        using var e = Tensor.Zeros([0, 3], DType.Float32, _device);
        var (ve, ie) = e.Sort(0);
        Assert.That(ve.Shape, Is.EqualTo(new[] { 0, 3 }));
        Assert.That(ie.Shape, Is.EqualTo(new[] { 0, 3 }));
    }

    [Test]
    public void Sort_Gradient_GoesBackToThePositionEachValueCameFrom()
    {
        // x = [3, 1, 2] sorts to [1, 2, 3] from positions [1, 2, 0]; the gradient g = [10, 20, 30] of the sorted values
        // goes back as dX[1] = 10, dX[2] = 20, dX[0] = 30.
        using var x = D(3, 1, 2).RequireGrad();
        using var g = D(10, 20, 30);
        var (v, _) = x.Sort();
        v.Backward(g);
        Close(x.Grad!, [3], [30, 10, 20]);
    }

    [Test]
    public void Sort_WithADimOutOfRange_NamesTheOp()
    {
        using var x = D([1, 2, 3, 4], [2, 2]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Sort(2));
        Assert.That(e!.Message, Does.Contain("sort"));
    }

    // ---- topk ----

    [Test]
    public void TopK_GivesTheLargestFirst_TiesToTheLowerPosition()
    {
        using var x = D(1, 5, 3, 5, 2);
        var (v, i) = x.TopK(2);
        Close(v, [2], [5, 5]);
        Assert.That(Ints(i), Is.EqualTo(new[] { 1, 3 }));     // both 5s, the one at 1 first
        var (vs, iss) = x.TopK(3, largest: false);
        Close(vs, [3], [1, 2, 3]);
        Assert.That(Ints(iss), Is.EqualTo(new[] { 0, 4, 2 }));
        Assert.That(iss.DType, Is.EqualTo(Sort.IndexDType));
    }

    [Test]
    public void TopK_AlongTheFirstDim_AndWithNaNAsTheLargest()
    {
        using var m = D([5, 0, 2, 9, 1, 7], [2, 3]);    // [[5, 0, 2], [9, 1, 7]]
        var (v, i) = m.TopK(1, dim: 0);
        Close(v, [1, 3], [9, 1, 7]);
        Assert.That(Ints(i), Is.EqualTo(new[] { 1, 1, 1 }));
        using var n = D(1, double.NaN, 3);
        var (vn, inn) = n.TopK(2);
        Close(vn, [2], [double.NaN, 3]);
        Assert.That(Ints(inn), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void TopK_WithKOfZeroOrTheWholeDim()
    {
        using var x = D(2, 1, 3);
        var (v0, i0) = x.TopK(0);
        Assert.That(v0.Shape, Is.EqualTo(new[] { 0 }));
        Assert.That(i0.Shape, Is.EqualTo(new[] { 0 }));
        var (v3, _) = x.TopK(3);
        Close(v3, [3], [3, 2, 1]);
    }

    [Test]
    public void TopK_WithKAboveTheDimSize_SaysWhatKMayBe()
    {
        using var x = D([1, 2, 3, 4, 5, 6], [2, 3]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(4));
        Assert.That(e!.Message, Does.Contain("topk").And.Contain("[0, 3]").And.Contain("k = 4"));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(3, dim: 0)); // dim 0 has size 2
    }

    [Test]
    public void TopK_Gradient_ReachesOnlyTheChosenPositions()
    {
        // topk(2) of [1, 5, 3] is [5, 3] from positions [1, 2]; g = [1, 2] lands there and position 0 gets nothing.
        using var x = D(1, 5, 3).RequireGrad();
        using var g = D(1, 2);
        var (v, _) = x.TopK(2);
        v.Backward(g);
        Close(x.Grad!, [3], [0, 1, 2]);
    }
}
