// Int64, PyTorch's default integer, on every device: creation, casts both ways (values beyond Int32's range and past
// 2^53, where a double no longer holds every integer), arithmetic, comparisons, reductions, views, indexing, against
// values worked out by hand in the comments.
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

[TestFixture("reference")]
[TestFixture("cpu")]
[TestFixture("opencl:0")]
public class Int64Tests
{
    private readonly Device _device;

    public Int64Tests(string device) => _device = Device.Parse(device);

    /// <summary>An absent OpenCL runtime skips this fixture with the reason shown.</summary>
    [OneTimeSetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    private const long P40 = 1L << 40;             // 1099511627776, beyond Int32
    private const long P53 = 1L << 53;             // 9007199254740992: P53 + 1 is the first integer no double holds

    private Tensor L(params long[] values) => Tensor.FromArray(values, _device);

    private static long[] Longs(Tensor t)
    {
        Assert.That(t.DType, Is.EqualTo(DType.Int64));
        using var host = t.To(Device.Cpu);
        return host.ToArray<long>();
    }

    // ---- creation ----

    [Test]
    public void FromArray_OfLongs_AnyRank_IsInt64_AndReadsBackExactly()
    {
        using var v = L(P53 + 1, -P40, long.MinValue, long.MaxValue);
        Assert.That(Longs(v), Is.EqualTo(new[] { P53 + 1, -P40, long.MinValue, long.MaxValue }));
        using var m = Tensor.FromArray(new long[,] { { 1, P53 + 1 }, { -3, 4 } }, _device);
        Assert.That(m.Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(Longs(m), Is.EqualTo(new[] { 1, P53 + 1, -3, 4 }));
        using var cube = Tensor.FromArray(new long[2, 1, 3], _device);
        Assert.That((cube.DType, cube.Shape), Is.EqualTo((DType.Int64, new[] { 2, 1, 3 })));
        using var one = L(P53 + 1);
        Assert.That(one.Item<long>(), Is.EqualTo(P53 + 1));
    }

    [Test]
    public void ZerosFullScalarArangeAndRandint_MakeInt64()
    {
        using var z = Tensor.Zeros([3], DType.Int64, _device);
        Assert.That(Longs(z), Is.EqualTo(new long[] { 0, 0, 0 }));
        using var f = Tensor.Full([2], P40, DType.Int64, _device);   // 2^40 is exact in the double Full takes
        Assert.That(Longs(f), Is.EqualTo(new[] { P40, P40 }));
        using var s = Tensor.Scalar(-7, DType.Int64, _device);
        Assert.That(s.Item<long>(), Is.EqualTo(-7));
        // torch.arange(5) is int64; from 2^40 the values stay exact.
        using var a = Tensor.Arange(5, device: _device);
        Assert.That(Longs(a), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        using var far = Tensor.Arange((double)P40, P40 + 3, 1, DType.Int64, _device);
        Assert.That(Longs(far), Is.EqualTo(new[] { P40, P40 + 1, P40 + 2 }));
        // torch.randint is int64; the same seed gives the same numbers on every device.
        using var r = Tensor.Randint(-4, 4, [300], new Generator(3), device: _device);
        using var rr = Tensor.Randint(-4, 4, [300], new Generator(3), device: Device.Reference);
        Assert.That(Longs(r), Is.EqualTo(Longs(rr)));
        Assert.That(Longs(r).Distinct().Order(), Is.EqualTo(Enumerable.Range(-4, 8).Select(i => (long)i)));
    }

    [Test]
    public void ToString_PrintsTheExactValues()
    {
        // 2^53 + 1 = 9007199254740993 would print as ...992 through a double. The column is 16 wide, the longest value.
        using var v = L(P53 + 1, -5);
        Assert.That(v.ToString(), Is.EqualTo($"tensor([9007199254740993,               -5], shape=[2], dtype=Int64, device={_device})"));
        using var s = Tensor.Scalar(-7, DType.Int64, _device);
        Assert.That(s.ToString(), Is.EqualTo($"tensor(-7, shape=[], dtype=Int64, device={_device})"));
    }

    // ---- casts ----

    [Test]
    public void Casts_BeyondInt32_SurviveARoundTripThroughFloat64()
    {
        // 2^40 and -2^40 - 7 are exact doubles: Int64 -> Float64 -> Int64 gives them back.
        using var x = L(P40, -P40 - 7, 0, int.MinValue - 1L);
        using var d = x.To(DType.Float64);
        Assert.That(Values(d), Is.EqualTo(new[] { (double)P40, -P40 - 7.0, 0, -2147483649.0 }));
        using var back = d.To(DType.Int64);
        Assert.That(Longs(back), Is.EqualTo(new[] { P40, -P40 - 7, 0, int.MinValue - 1L }));
    }

    [Test]
    public void Casts_FromFloats_TruncateTowardZero_AndSaturate_NaNGivesZero()
    {
        // -2.7 -> -2, 2^40 + 0.5 -> 2^40, 3e9 (beyond Int32) -> 3000000000; +-1e19 lie past +-2^63 and saturate; NaN -> 0.
        using var x = Tensor.FromArray(new[] { -2.7, P40 + 0.5, 3e9, 1e19, -1e19, double.NaN }, _device);
        using var y = x.To(DType.Int64);
        Assert.That(Longs(y), Is.EqualTo(new[] { -2, P40, 3_000_000_000, long.MaxValue, long.MinValue, 0 }));
        using var f = Tensor.FromArray(new[] { 3e9f, -1.5f }, _device);          // 3e9 is a float exactly (a multiple of 256)
        using var fy = f.To(DType.Int64);
        Assert.That(Longs(fy), Is.EqualTo(new[] { 3_000_000_000L, -1 }));
    }

    [Test]
    public void Cast_ToInt32_KeepsTheLow32Bits_AsPyTorch()
    {
        // 2^40 + 5 -> 5; -2^32 - 1 -> -1; 2^31 -> -2^31; long.MaxValue (all ones but the sign) -> -1.
        using var x = L(P40 + 5, -(1L << 32) - 1, 1L << 31, long.MaxValue);
        using var y = x.To(DType.Int32);
        Assert.That(y.ToArray<int>(), Is.EqualTo(new[] { 5, -1, int.MinValue, -1 }));
        using var i = Tensor.FromArray(new[] { int.MinValue, 7 }, _device);
        using var widened = i.To(DType.Int64);
        Assert.That(Longs(widened), Is.EqualTo(new[] { (long)int.MinValue, 7 }));
    }

    [Test]
    public void Cast_ToFloat32_RoundsOnce()
    {
        // v = 2^60 + 2^36 + 1. A float keeps 24 bits, so near 2^60 its step is 2^37 and v lies just above the midpoint
        // 2^60 + 2^36: it rounds up to 2^60 + 2^37. Through a double first, the +1 is lost (step 2^8), v becomes the
        // midpoint exactly, and ties-to-even gives 2^60: the wrong answer a double-rounding cast would give.
        long v = (1L << 60) + (1L << 36) + 1;
        using var x = L(v, 16_777_217);                                 // 2^24 + 1: a tie, to even 2^24
        using var f = x.To(DType.Float32);
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { (float)((1L << 60) + (1L << 37)), 16_777_216f }));
        Assert.That((double)f.ToArray<float>()[0], Is.EqualTo(1152921642045800448.0));
    }

    [Test]
    public void Casts_WithBool_AndStorageFloats()
    {
        // Bool -> Int64 is 0/1; Int64 -> Bool is "non-zero", so 2^40 (low 32 bits all zero) is true.
        using var b = Tensor.FromArray(new[] { true, false }, _device);
        using var bl = b.To(DType.Int64);
        Assert.That(Longs(bl), Is.EqualTo(new long[] { 1, 0 }));
        using var x = L(0, P40, -1);
        using var xb = x.To(DType.Bool);
        Assert.That(xb.ToArray<bool>(), Is.EqualTo(new[] { false, true, true }));
        // 2^40 is exact in BFloat16 and beyond Float16 (max 65504: inf); 3 is exact in both.
        using var h = L(P40, 3).To(DType.BFloat16);
        Assert.That(Values(h), Is.EqualTo(new[] { (double)P40, 3 }));
        using var half = L(P40, 3).To(DType.Float16);
        Assert.That(Values(half), Is.EqualTo(new[] { double.PositiveInfinity, 3 }));
        using var hb = h.To(DType.Int64);
        Assert.That(Longs(hb), Is.EqualTo(new[] { P40, 3 }));
    }

    // ---- arithmetic, comparisons, where ----

    [Test]
    public void Arithmetic_IsExactBeyondInt32_AndWrapsOnOverflow()
    {
        using var a = L(P40 + 1, -3, long.MaxValue);
        using var b = L(3, 1L << 33, 1);
        using var sum = a + b;                                          // 2^40 + 4, 2^33 - 3, MaxValue + 1 wraps to MinValue
        Assert.That(Longs(sum), Is.EqualTo(new[] { P40 + 4, (1L << 33) - 3, long.MinValue }));
        using var diff = a - b;                                         // 2^40 - 2, -3 - 2^33, MaxValue - 1
        Assert.That(Longs(diff), Is.EqualTo(new[] { P40 - 2, -3 - (1L << 33), long.MaxValue - 1 }));
        using var prod = a * b;                                         // 3 * 2^40 + 3, -3 * 2^33, MaxValue
        Assert.That(Longs(prod), Is.EqualTo(new[] { 3_298_534_883_331, -25_769_803_776, long.MaxValue }));
        using var max = a.Maximum(b);
        Assert.That(Longs(max), Is.EqualTo(new[] { P40 + 1, 1L << 33, long.MaxValue }));
        using var min = a.Minimum(b);
        Assert.That(Longs(min), Is.EqualTo(new long[] { 3, -3, 1 }));
        using var neg = -a;
        Assert.That(Longs(neg), Is.EqualTo(new[] { -P40 - 1, 3, -long.MaxValue }));
        using var abs = L(long.MinValue, -5).Abs();                     // |MinValue| wraps to itself, as in PyTorch
        Assert.That(Longs(abs), Is.EqualTo(new[] { long.MinValue, 5 }));
        using var sq = L(-P40 / 1024).Square();                         // (2^30)^2 = 2^60
        Assert.That(Longs(sq), Is.EqualTo(new[] { 1L << 60 }));
        using var scaled = a * 2;                                       // a whole scalar keeps Int64: (2^40 + 1) * 2, -6, wraps to -2
        Assert.That(Longs(scaled), Is.EqualTo(new[] { 2 * P40 + 2, -6, -2 }));
    }

    [Test]
    public void Comparisons_SeeIntegersADoubleCannotTellApart()
    {
        // As doubles 2^53 and 2^53 + 1 are one value; as Int64 they differ.
        using var c = L(P53, P53 + 1, P53 + 1);
        using var d = L(P53 + 1, P53 + 1, P53);
        Assert.That(c.Lt(d).ToArray<bool>(), Is.EqualTo(new[] { true, false, false }));
        Assert.That(c.Eq(d).ToArray<bool>(), Is.EqualTo(new[] { false, true, false }));
        Assert.That(c.Ge(d).ToArray<bool>(), Is.EqualTo(new[] { false, true, true }));
        Assert.That(c.Ne(d).ToArray<bool>(), Is.EqualTo(new[] { true, false, true }));
        using var gt = c.Gt(P40);                                       // against a scalar beyond Int32
        Assert.That(gt.ToArray<bool>(), Is.EqualTo(new[] { true, true, true }));
    }

    [Test]
    public void Where_PicksExactValues_AndPromotesInt32ToInt64()
    {
        using var mask = Tensor.FromArray(new[] { true, false, true }, _device);
        using var a = L(P53 + 1, P53 + 3, -P53 - 1);
        using var b = Tensor.FromArray(new[] { 10, 20, 30 }, _device);
        using var y = Tensor.Where(mask, a, b);
        Assert.That(Longs(y), Is.EqualTo(new[] { P53 + 1, 20, -P53 - 1 }));
        using var filled = a.MaskedFill(mask, -1);
        Assert.That(Longs(filled), Is.EqualTo(new[] { -1, P53 + 3, -1 }));
    }

    // ---- reductions ----

    [Test]
    public void Sum_AddsInInt64_WhereADoubleWouldLoseTheOnes()
    {
        // 2^53 + 1 + 1 = 2^53 + 2 exactly; in double each +1 rounds back to 2^53 (ties to even).
        using var s = L(P53, 1, 1);
        using var total = s.Sum();
        Assert.That(total.Item<long>(), Is.EqualTo(P53 + 2));
        using var m = Tensor.FromArray(new long[,] { { 1, 2 }, { 3, P40 } }, _device);
        using var cols = m.Sum(0);                                      // [1 + 3, 2 + 2^40]
        Assert.That(Longs(cols), Is.EqualTo(new[] { 4, P40 + 2 }));
        using var rows = m.Sum(1, keepDim: true);                       // [[3], [3 + 2^40]]
        Assert.That(rows.Shape, Is.EqualTo(new[] { 2, 1 }));
        Assert.That(Longs(rows), Is.EqualTo(new[] { 3, P40 + 3 }));
        using var empty = Tensor.Zeros([0], DType.Int64, _device).Sum();
        Assert.That(empty.Item<long>(), Is.EqualTo(0));
        // A long run, summed in parallel blocks on the CPU and in a tree on OpenCL: 2^40 + i for i < 100000 gives
        // 100000 * 2^40 + 100000 * 99999 / 2.
        using var run = Tensor.Arange(0, 100_000, 1, DType.Int64, _device) + P40;
        using var runSum = run.Sum();
        Assert.That(runSum.Item<long>(), Is.EqualTo(100_000 * P40 + 100_000L * 99_999 / 2));
    }

    [Test]
    public void MaxMinAndArg_CompareExactly_AndGiveInt64Indices()
    {
        using var x = L(P53, P53 + 1, 5);
        using var max = x.Max();
        Assert.That(max.Item<long>(), Is.EqualTo(P53 + 1));
        using var min = x.Min();
        Assert.That(min.Item<long>(), Is.EqualTo(5));
        using var argmax = x.Argmax();                                  // through doubles 0 and 1 would tie, giving 0
        Assert.That((argmax.DType, argmax.Item<long>()), Is.EqualTo((DType.Int64, 1L)));
        using var m = Tensor.FromArray(new long[,] { { P53, P53 + 1 }, { 7, -7 } }, _device);
        var (values, indices) = m.Max(1);
        using (values)
        using (indices)
        {
            Assert.That(Longs(values), Is.EqualTo(new[] { P53 + 1, 7 }));
            Assert.That(Longs(indices), Is.EqualTo(new long[] { 1, 0 }));
        }
        using var argmin = m.Argmin(0);                                 // columns: min of (2^53, 7) at 1, of (2^53 + 1, -7) at 1
        Assert.That(Longs(argmin), Is.EqualTo(new long[] { 1, 1 }));
    }

    [Test]
    public void MaxAlongADim_OfFloats_HasInt64Indices_AndItsGradientGoesToThem()
    {
        // Row 0 [1, 4, 2]: max at 1; row 1 [9, 0, 9]: the first 9, at 0. The gradient of sum(values) is 1 there.
        using var x = Tensor.FromArray(new[,] { { 1.0, 4, 2 }, { 9, 0, 9 } }, _device).RequireGrad();
        var (values, indices) = x.Max(1);
        Assert.That(Longs(indices), Is.EqualTo(new long[] { 1, 0 }));
        values.Sum().Backward();
        Close(x.Grad!, [2, 3], [0, 1, 0, 1, 0, 0]);
    }

    // ---- views, copies, cat ----

    [Test]
    public void ViewsCopiesAndCat_MoveTheBitsExactly()
    {
        using var x = Tensor.FromArray(new long[,] { { P53 + 1, 2 }, { 3, -P53 - 1 } }, _device);
        using var t = x.Transpose(0, 1).Contiguous();
        Assert.That(Longs(t), Is.EqualTo(new[] { P53 + 1, 3, 2, -P53 - 1 }));
        using var row = x[1];
        Assert.That(Longs(row), Is.EqualTo(new[] { 3, -P53 - 1 }));
        using var col = x[.., 0];
        Assert.That(Longs(col), Is.EqualTo(new[] { P53 + 1, 3 }));
        using var cat = Tensor.Cat([x, t], 0);
        Assert.That(cat.Shape, Is.EqualTo(new[] { 4, 2 }));
        Assert.That(Longs(cat), Is.EqualTo(new[] { P53 + 1, 2, 3, -P53 - 1, P53 + 1, 3, 2, -P53 - 1 }));
        using var stack = Tensor.Stack([row, col], 1);                  // [[3, 2^53 + 1], [-2^53 - 1, 3]]
        Assert.That(Longs(stack), Is.EqualTo(new[] { 3, P53 + 1, -P53 - 1, 3 }));
        using var onHost = x.To(Device.Cpu);
        using var back = onHost.To(_device);
        Assert.That(Longs(back), Is.EqualTo(Longs(x)));
    }

    // ---- indices ----

    [Test]
    public void IndexOps_WithInt64Indices_GiveWhatInt32IndicesGive()
    {
        using var x = Tensor.FromArray(new[,] { { 1f, 2, 3 }, { 4, 5, 6 } }, _device);
        foreach (var dtype in new[] { DType.Int32, DType.Int64 })
        {
            using var idx = L(2, 0).To(dtype);
            using var selected = x.IndexSelect(1, idx);                 // columns 2 and 0
            Close(selected, [2, 2], [3, 1, 6, 4]);
            using var gi = Tensor.FromArray(new long[,] { { 0, 0 }, { 1, 2 } }, _device).To(dtype);
            using var gathered = x.Gather(1, gi);                       // [[x00, x00], [x11, x12]]
            Close(gathered, [2, 2], [1, 1, 5, 6]);
            using var zeros = Tensor.Zeros([2, 3], DType.Float32, _device);
            using var ones = Tensor.Ones([2, 2], DType.Float32, _device);
            using var scattered = zeros.ScatterAdd(1, gi, ones);        // row 0: 1 + 1 at column 0; row 1: 1 at 1 and 2
            Close(scattered, [2, 3], [2, 0, 0, 0, 1, 1]);
            using var oneHot = idx.OneHot(3);                           // F.one_hot gives int64
            Assert.That(Longs(oneHot), Is.EqualTo(new long[] { 0, 0, 1, 1, 0, 0 }));
        }
        // An Int64 table scatters exactly: 2^53 + 1 added to 0 stays 2^53 + 1.
        using var table = Tensor.Zeros([3], DType.Int64, _device);
        using var at = L(2, 2);
        using var src = L(P53 + 1, -1);
        using var added = table.ScatterAdd(0, at, src);
        Assert.That(Longs(added), Is.EqualTo(new[] { 0, 0, P53 }));
    }

    [Test]
    public void IndexOps_RefuseAnInt64IndexBeyondInt32_InsteadOfWrappingIt()
    {
        // 2^32 + 1 would be index 1 if it were truncated to 32 bits.
        using var x = Tensor.FromArray(new[] { 1f, 2, 3 }, _device);
        using var bad = L(0, (1L << 32) + 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            using var y = x.Gather(0, bad);
            y.ToArray<float>(); // devices with queues raise kernel errors when they synchronise
        });
        Assert.That(e!.Message, Does.Contain("gather").And.Contain("4294967297"));
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            using var y = x.IndexSelect(0, bad);
            y.ToArray<float>();
        });
        Assert.That(e2!.Message, Does.Contain("index_select").And.Contain("4294967297"));
    }

    [Test]
    public void EmbeddingAndCrossEntropy_TakeInt64_AndAgreeWithInt32()
    {
        using var emb = new Embedding(5, 3, new Generator(1), device: _device);
        using var i32 = Tensor.FromArray(new[,] { { 4, 0 }, { 2, 2 } }, _device);
        using var i64 = i32.To(DType.Int64);
        using var e32 = emb.Call(i32);
        using var e64 = emb.Call(i64);
        Assert.That(e64.Shape, Is.EqualTo(new[] { 2, 2, 3 }));
        Assert.That(Values(e64), Is.EqualTo(Values(e32)));

        // Row 0 logits [0, 0, 0], label 1: -log(1/3) = ln 3. Row 1 [1, 0, 0], label 0: ln(e + 2) - 1. Row 2 is ignored.
        double expected = (Math.Log(3) + Math.Log(Math.E + 2) - 1) / 2;
        foreach (bool fused in new[] { true, false })
        {
            var losses = new List<double>();
            var grads = new List<double[]>();
            foreach (var dtype in new[] { DType.Int32, DType.Int64 })
            {
                using var logits = Tensor.FromArray(new[,] { { 0.0, 0, 0 }, { 1, 0, 0 }, { 5, 5, 5 } }, _device).RequireGrad();
                using var labels = L(1, 0, -100).To(dtype);
                using var loss = Functional.CrossEntropy(logits, labels, fused: fused);
                loss.Backward();
                losses.Add(loss.Item());
                grads.Add(Values(logits.Grad!));
            }
            Assert.That(losses[0], Is.EqualTo(expected).Within(1e-12), $"fused {fused}");
            Assert.That(losses[1], Is.EqualTo(losses[0]), $"fused {fused}: Int64 labels give the Int32 loss");
            Assert.That(grads[1], Is.EqualTo(grads[0]), $"fused {fused}: and the same gradient");
        }
        using var lg = Tensor.Zeros([2, 3], DType.Float32, _device);
        using var beyond = L(0, 3 + (1L << 32));                        // 3 + 2^32: 3 if wrapped, out of range either way
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(lg, beyond));
        Assert.That(e!.Message, Does.Contain("cross_entropy").And.Contain("4294967299"));
    }
}

/// <summary>PyTorch's type promotion with Int64 in it, and the dtypes of results where PyTorch gives int64.</summary>
public class Int64PromotionTests
{
    private static readonly DType[] Types = [DType.Bool, DType.Int32, DType.Int64, DType.Float32, DType.Float64];

    private static Tensor One(DType dtype) => Tensor.Ones([2], dtype);

    /// <summary>
    /// torch.result_type for add and mul: the higher of bool &lt; int32 &lt; int64 &lt; float32 &lt; float64, except that
    /// bool with bool adds as Int32 here (PyTorch's bool + bool is a logical or; DotGrad counts).
    /// </summary>
    [TestCase(DType.Int64, DType.Int32, DType.Int64)]
    [TestCase(DType.Int64, DType.Bool, DType.Int64)]
    [TestCase(DType.Int64, DType.Float32, DType.Float32)]
    [TestCase(DType.Int64, DType.Float64, DType.Float64)]
    [TestCase(DType.Int64, DType.Int64, DType.Int64)]
    [TestCase(DType.Int32, DType.Bool, DType.Int32)]
    [TestCase(DType.Int32, DType.Float32, DType.Float32)]
    public void AddAndMul_PromoteAsPyTorch(DType a, DType b, DType expected)
    {
        foreach (var (x, y) in new[] { (a, b), (b, a) })
        {
            using var ta = One(x);
            using var tb = One(y);
            using var sum = ta + tb;
            using var prod = ta * tb;
            using var cmp = ta.Lt(tb);
            Assert.That((sum.DType, prod.DType), Is.EqualTo((expected, expected)), $"{x} op {y}");
            Assert.That(cmp.DType, Is.EqualTo(DType.Bool));
        }
    }

    [Test]
    public void TrueDivision_OfIntegers_IsFloat32_AsTorchDiv()
    {
        // 7 / 2 = 3.5 for every integer pair; with a Float64 operand the result is Float64.
        foreach (var a in new[] { DType.Int32, DType.Int64 })
            foreach (var b in new[] { DType.Int32, DType.Int64, DType.Bool })
            {
                using var x = Tensor.Full([1], 7, a);
                using var y = Tensor.Full([1], b == DType.Bool ? 1 : 2, b);
                using var q = x / y;
                Assert.That(q.DType, Is.EqualTo(DType.Float32), $"{a} / {b}");
                Assert.That(q.Item(), Is.EqualTo(b == DType.Bool ? 7.0 : 3.5));
            }
        using var d = Tensor.Full([1], 7, DType.Int64) / Tensor.Full([1], 2, DType.Float64);
        Assert.That(d.DType, Is.EqualTo(DType.Float64));
    }

    [Test]
    public void Scalars_BesideInt64_KeepInt64WhenWhole_AndGiveFloat32WhenFractional()
    {
        using var x = Tensor.FromArray(new long[] { 1L << 40 });
        using var whole = x + 3;
        Assert.That((whole.DType, whole.Item<long>()), Is.EqualTo((DType.Int64, (1L << 40) + 3)));
        using var big = x + 4e12;                                       // whole, beyond Int32: still Int64
        Assert.That((big.DType, big.Item<long>()), Is.EqualTo((DType.Int64, (1L << 40) + 4_000_000_000_000)));
        using var frac = x * 0.5;                                       // 2^39 in Float32
        Assert.That((frac.DType, frac.Item()), Is.EqualTo((DType.Float32, 549755813888.0)));
        // torch.tensor([True, False]) * 3 is int64 [3, 0]; an Int32 tensor keeps Int32 with a whole scalar.
        using var mask = Tensor.FromArray(new[] { true, false });
        using var counted = mask * 3;
        Assert.That(counted.DType, Is.EqualTo(DType.Int64));
        Assert.That(counted.ToArray<long>(), Is.EqualTo(new long[] { 3, 0 }));
        using var i32 = Tensor.FromArray(new[] { 1, 2 }) + 3;
        Assert.That(i32.DType, Is.EqualTo(DType.Int32));
    }

    [Test]
    public void FloatOnlyUnaryOps_OnInt64_GiveFloat32()
    {
        // torch.exp(torch.tensor([0])) is float32: exp(0) = 1, sqrt(4) = 2.
        using var x = Tensor.FromArray(new long[] { 0, 4 });
        using var e = x.Exp();
        Assert.That(e.DType, Is.EqualTo(DType.Float32));
        using var r = x.Sqrt();
        Assert.That(r.ToArray<float>(), Is.EqualTo(new[] { 0f, 2f }));
    }

    [Test]
    public void ResultsWherePyTorchGivesInt64_AreInt64()
    {
        using var f = Tensor.FromArray(new[] { 1f, 3, 2 });
        using var argmax = f.Argmax();
        using var arange = Tensor.Arange(3);
        using var randint = Tensor.Randint(0, 5, [2]);
        using var ints = Tensor.FromArray(new[] { 1, 2 });
        using var intSum = ints.Sum();
        using var mask = Tensor.FromArray(new[] { true, true, false });
        using var count = mask.Sum();
        using var oneHot = ints.OneHot(3);
        Assert.That(new[] { argmax.DType, arange.DType, randint.DType, intSum.DType, count.DType, oneHot.DType }, Is.All.EqualTo(DType.Int64));
        Assert.That(count.Item<long>(), Is.EqualTo(2));
        var (_, indices) = f.Max(0);
        Assert.That(indices.DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void AllFiveComputableDTypes_PromotePairwiseToTheHigherRank()
    {
        // The whole table at once: the result is whichever operand comes later in Types (Bool with Bool counts as Int32).
        for (int i = 0; i < Types.Length; i++)
            for (int j = 0; j < Types.Length; j++)
            {
                using var a = One(Types[i]);
                using var b = One(Types[j]);
                using var y = a + b;
                var expected = Types[Math.Max(i, j)] == DType.Bool ? DType.Int32 : Types[Math.Max(i, j)];
                Assert.That(y.DType, Is.EqualTo(expected), $"{Types[i]} + {Types[j]}");
            }
    }

    [Test]
    public void IndexChecks_NameBothIndexDTypes()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2 });
        using var f = Tensor.FromArray(new[] { 0f });
        var e = Assert.Throws<ArgumentException>(() => x.IndexSelect(0, f));
        Assert.That(e!.Message, Does.StartWith("index_select: expected an Int32 or Int64 index, got Float32"));
        Assert.That(DType.Int64.IsIndex() && DType.Int32.IsIndex() && !DType.Bool.IsIndex() && !DType.Float32.IsIndex(), Is.True);
    }

    [Test]
    public void AsInt64Indices_ConvertsInt32IndicesExactly_AndKeepsInt64()
    {
        // The helper ops that compute Int32 indices (topk, sort) call to return PyTorch's int64.
        var i32 = Tensor.FromArray(new[] { int.MaxValue, 0, -1 });
        using var converted = RawOps.AsInt64Indices(i32);
        Assert.That(converted.ToArray<long>(), Is.EqualTo(new long[] { int.MaxValue, 0, -1 }));
        Assert.That(i32.IsDisposed, Is.True, "the Int32 tensor is released");
        var i64 = Tensor.FromArray(new long[] { 5 });
        using var same = RawOps.AsInt64Indices(i64);
        Assert.That(same, Is.SameAs(i64));
        using var f = Tensor.FromArray(new[] { 1f });
        Assert.Throws<ArgumentException>(() => RawOps.AsInt64Indices(f));
    }

    /// <summary>A module with an Int64 buffer, as PyTorch's BatchNorm keeps num_batches_tracked.</summary>
    private sealed class Counted : Module<Tensor, Tensor>
    {
        public Counted(long steps)
        {
            Weight = AddParameter("weight", Tensor.Ones([2]));
            Steps = AddBuffer("steps", Tensor.FromArray(new[] { steps }));
        }

        public Tensor Weight { get; }
        public Tensor Steps { get; }

        public override Tensor Forward(Tensor x) => x * Weight;
    }

    [Test]
    public void StateDict_WithAnInt64Buffer_RoundTripsThroughSafetensorsExactly()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dotgrad-int64-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var saved = new Counted((1L << 53) + 1);
            saved.SaveSafetensors(path);
            using var loaded = new Counted(0);
            loaded.LoadSafetensors(path);
            Assert.That(loaded.Steps.DType, Is.EqualTo(DType.Int64));
            Assert.That(loaded.Steps.Item<long>(), Is.EqualTo((1L << 53) + 1));
            var state = Safetensors.Load(path);
            foreach (var t in state.Values) t.Dispose();
            Assert.That(state.Keys, Is.EquivalentTo(new[] { "weight", "steps" }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
