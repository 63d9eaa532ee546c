// Bad input: every kind of invalid argument throws an ArgumentException (or subclass) whose message names the
// operation, what it expected and what it was given; a disposed tensor throws ObjectDisposedException.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public class BadInputTests
{
    /// <summary>Asserts an ArgumentException (or subclass) whose message contains every fragment.</summary>
    private static void Bad(Action code, params string[] fragments)
    {
        var ex = Assert.Throws(Is.InstanceOf<ArgumentException>(), code);
        foreach (var f in fragments) Assert.That(ex!.Message, Does.Contain(f), $"message: {ex.Message}");
    }

    // ---- shapes ----

    [Test]
    public void NonBroadcastableShapes_NameTheOpAndBothShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4);
        Bad(() => a.Add(b), "add", "[2, 3]", "[4]", "broadcast");
        Bad(() => _ = a - b, "sub", "[2, 3]", "[4]");
        Bad(() => _ = a * b, "mul", "[2, 3]", "[4]");
        Bad(() => _ = a / b, "div", "[2, 3]", "[4]");
        Bad(() => a.Maximum(b), "maximum", "[2, 3]", "[4]");
        Bad(() => a.Lt(b), "lt", "[2, 3]", "[4]");
        using var cond = Tensor.Zeros([4], DType.Bool);
        Bad(() => Tensor.Where(cond, a, a), "where", "[4]", "[2, 3]");
        Bad(() => a.MaskedFill(cond, 1), "masked_fill", "[4]", "[2, 3]");
        Bad(() => a[..] = b, "index assignment", "[4]", "[2, 3]");
        Bad(() => a.Expand(2, 4), "expand", "[2, 3]", "[2, 4]");
    }

    [Test]
    public void MatMulInnerDimMismatch_ShowsBothShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4, 5);
        Bad(() => a.MatMul(b), "matmul", "[2, 3]", "[4, 5]", "3 columns vs 4 rows");
        using var v = Tensor.Zeros(4);
        Bad(() => a.MatMul(v), "matmul", "[2, 3]", "[4]");
        using var s = Tensor.Scalar(1);
        Bad(() => s.MatMul(a), "matmul", "at least 1 dim", "[]");
        using var batchA = Tensor.Zeros(2, 2, 3);
        using var batchB = Tensor.Zeros(3, 3, 2);
        Bad(() => batchA.MatMul(batchB), "matmul", "[2]", "[3]");
    }

    [Test]
    public void ReshapeToAnIncompatibleShape_NamesBothShapesAndCounts()
    {
        using var x = Tensor.Zeros(3, 4);
        Bad(() => x.Reshape(5, 3), "reshape", "[5, 3]", "15", "12", "[3, 4]");
        Bad(() => x.Reshape(5, -1), "reshape", "[5, -1]", "12");
        Bad(() => x.Reshape(-1, -1), "reshape", "only one dimension can be -1");
        Bad(() => x.View(7), "view", "[7]");
        Bad(() => Tensor.FromArray(new[] { 1f, 2, 3 }, [2, 2]), "FromArray", "[2, 2]", "4", "3");
    }

    [Test]
    public void CatAndStackWithMismatchedShapes_NameTheShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(2, 4);
        Bad(() => Tensor.Cat([a, b]), "cat", "[2, 3]", "[2, 4]", "dim 0");
        using var c = Tensor.Zeros(2, 3, 1);
        Bad(() => Tensor.Cat([a, c], 1), "cat", "rank 3", "rank 2");
        Bad(() => Tensor.Cat([]), "cat", "at least one");
        using var s = Tensor.Scalar(1);
        Bad(() => Tensor.Cat([s]), "cat", "zero-dimensional");
        Bad(() => Tensor.Stack([a, b]), "stack", "[2, 3]", "[2, 4]");
    }

    [Test]
    public void IndexShapesThatDoNotFit_NameTheShapes()
    {
        using var x = Tensor.Zeros(2, 3);
        using var idx3 = Tensor.Zeros([3, 1], DType.Int32);
        Bad(() => x.Gather(1, idx3), "gather", "[3, 1]", "[2, 3]");
        using var idx1 = Tensor.Zeros([2], DType.Int32);
        Bad(() => x.Gather(1, idx1), "gather", "rank 2", "[2]");
        using var idx2d = Tensor.Zeros([1, 1], DType.Int32);
        Bad(() => x.IndexSelect(0, idx2d), "index_select", "0-d or 1-d", "[1, 1]");
        using var src = Tensor.Zeros(1, 1);
        using var bigIdx = Tensor.Zeros([2, 2], DType.Int32);
        Bad(() => x.ScatterAdd(1, bigIdx, src), "scatter_add", "[2, 2]", "[1, 1]");
    }

    // ---- dtypes ----

    [Test]
    public void MeanOnInt32_AsksForAFloatingType()
    {
        using var x = Tensor.Arange(4, DType.Int32);
        Bad(() => x.Mean(), "mean", "floating-point", "Int32", "To(DType.Float32)");
        Bad(() => x.Var(), "var", "Int32");
        Bad(() => x.Softmax(0), "softmax", "Int32");
        Bad(() => x.LogSumExp(0), "logsumexp", "Int32");
        Bad(() => x.Norm(), "norm", "Int32");
    }

    [Test]
    public void MatMulOnInt32_AsksForFloats()
    {
        using var a = Tensor.Ones([2, 2], DType.Int32);
        Bad(() => a.MatMul(a), "matmul", "Float32 or Float64", "Int32");
    }

    [Test]
    public void MatMulOfFloat32WithFloat64_IsRejectedLikePyTorch()
    {
        using var a = Tensor.Ones([2, 2]);
        using var b = Tensor.Ones([2, 2], DType.Float64);
        Bad(() => a.MatMul(b), "matmul", "one dtype", "Float32", "Float64");
    }

    [Test]
    public void WhereWithANonBoolCondition_AsksForBool()
    {
        using var cond = Check.F(1, 0);
        using var a = Tensor.Zeros(2);
        Bad(() => Tensor.Where(cond, a, a), "where", "Bool", "Float32");
        Bad(() => a.MaskedFill(cond, 1), "masked_fill", "Bool", "Float32");
    }

    [Test]
    public void IndexWithAFloatIndex_AsksForInt32()
    {
        using var x = Tensor.Zeros(3, 2);
        using var fidx = Check.F(0, 1);
        Bad(() => x.IndexSelect(0, fidx), "index_select", "Int32", "Float32");
        using var fidx2 = Tensor.Zeros(1, 2);
        Bad(() => x.Gather(0, fidx2), "gather", "Int32", "Float32");
        Bad(() => x.ScatterAdd(0, fidx2, fidx2), "scatter_add", "Int32", "Float32");
        Bad(() => fidx.OneHot(2), "one_hot", "Int32", "Float32");
        using var src = Tensor.Zeros([1, 2], DType.Float64);
        using var iidx = Tensor.Zeros([1, 2], DType.Int32);
        Bad(() => x.ScatterAdd(0, iidx, src), "scatter_add", "Float32", "Float64");
    }

    [Test]
    public void ArithmeticOnHalfPrecisionStorage_AsksForACastFirst()
    {
        using var b = Tensor.Ones(2).To(DType.BFloat16);
        Bad(() => _ = b + b, "add", "BFloat16", "To(DType.Float32)");
        Bad(() => _ = b * 2, "mul", "BFloat16");
        Bad(() => b.Exp(), "exp", "BFloat16");
        Bad(() => b.Sum(), "sum", "BFloat16");
        Bad(() => b.MatMul(b), "matmul", "BFloat16");
        using var h = Tensor.Ones(2).To(DType.Float16);
        Bad(() => h.Sqrt(), "sqrt", "Float16");
        Bad(() => Tensor.Rand([2], dtype: DType.BFloat16), "rand", "BFloat16");
        // Storage and movement still work: a view, a copy and a cast back.
        using var t = b[..1];
        using var f = t.Float();
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { 1f }));
    }

    // ---- devices ----

    [Test]
    public void MixedDevices_NameBothDevices()
    {
        using var c = Tensor.Ones([2, 2], DType.Float32, Device.Cpu);
        using var r = Tensor.Ones([2, 2], DType.Float32, Device.Reference);
        Bad(() => _ = c + r, "add", "cpu", "reference", ".To(device)");
        Bad(() => c.MatMul(r), "matmul", "cpu", "reference");
        Bad(() => Tensor.Cat([c, r]), "cat", "cpu", "reference");
        Bad(() => Tensor.Stack([c, r]), "cat", "cpu", "reference");
        Bad(() => c.Eq(r), "eq", "cpu", "reference");
        using var mask = Tensor.Ones([2, 2], DType.Bool, Device.Reference);
        Bad(() => Tensor.Where(mask, c, c), "where", "cpu", "reference");
        Bad(() => c.MaskedFill(mask, 0), "where", "cpu", "reference");
        using var idx = Tensor.Zeros([2, 2], DType.Int32, Device.Reference);
        Bad(() => c.Gather(0, idx), "gather", "cpu", "reference");
        Bad(() => c.ScatterAdd(0, idx, c), "scatter_add", "cpu", "reference");
        using var idx1 = Tensor.Zeros([1], DType.Int32, Device.Reference);
        Bad(() => c.IndexSelect(0, idx1), "index_select", "cpu", "reference");
        Bad(() => c[0] = r[0], "index assignment", "cpu", "reference");
        // Moving one fixes it.
        using var moved = r.To(Device.Cpu);
        using var sum = c + moved;
        Assert.That(sum.Device, Is.EqualTo(Device.Cpu));
        Assert.That(sum.ToArray<float>(), Is.EqualTo(new[] { 2f, 2, 2, 2 }));
    }

    // ---- dims ----

    [Test]
    public void DimsOutOfRange_NameTheOpTheDimAndTheRank()
    {
        using var x = Tensor.Zeros(2, 3);
        Bad(() => x.Sum(2), "sum", "dim 2", "rank 2", "-2 <= dim < 2");
        Bad(() => x.Sum(-3), "sum", "dim -3");
        Bad(() => x.Mean([0, 5]), "mean", "dim 5");
        Bad(() => x.Sum([1, -1]), "sum", "more than once");
        Bad(() => x.Max(2), "max", "dim 2");
        Bad(() => x.Argmax(-3), "argmax", "dim -3");
        Bad(() => x.Var(4), "var", "dim 4");
        Bad(() => x.Softmax(2), "softmax", "dim 2");
        Bad(() => x.LogSoftmax(-3), "log_softmax", "dim -3");
        Bad(() => x.Transpose(0, 2), "transpose", "dim 2");
        Bad(() => x.Permute(0, 0), "permute", "twice");
        Bad(() => x.Permute(0), "permute", "expected 2 dims");
        Bad(() => x.Unsqueeze(3), "unsqueeze", "dim 3");
        Bad(() => x.Squeeze(2), "squeeze", "dim 2");
        Bad(() => x.Narrow(2, 0, 1), "narrow", "dim 2");
        Bad(() => x.Slice(-3), "slice", "dim -3");
        Bad(() => x.Flatten(0, 2), "flatten", "dim 2");
        Bad(() => x.Size(2), "size", "dim 2");
        Bad(() => Tensor.Cat([x, x], 2), "cat", "dim 2");
        Bad(() => Tensor.Stack([x, x], 3), "stack", "dim 3");
        Bad(() => x.Split(1, 2), "split", "dim 2");
        Bad(() => x.Chunk(2, -3), "chunk", "dim -3");
        using var idx = Tensor.Zeros([1, 1], DType.Int32);
        Bad(() => x.Gather(2, idx), "gather", "dim 2");
        Bad(() => x.IndexSelect(2, Tensor.Zeros([1], DType.Int32)), "index_select", "dim 2");
    }

    [Test]
    public void OutOfRangeRangesAndCounts_NameWhatWasExpected()
    {
        using var x = Tensor.Zeros(2, 3);
        Bad(() => x.Narrow(1, 2, 2), "narrow", "start 2", "length 2", "size 3");
        Bad(() => x.Slice(1, step: 0), "slice", "step", "0");
        Bad(() => x.Split([1, 1], 1), "split", "[1, 1]", "3");
        Bad(() => x.Split(0, 1), "split", "positive", "0");
        Bad(() => x.Chunk(0), "chunk", "positive", "0");
        Bad(() => x.Pad([1]), "pad", "even", "1");
        Bad(() => x.Pad([1, 1, 1, 1, 1, 1]), "pad", "6");
        Bad(() => x.Repeat(2), "repeat", "at least 2", "[2]");
        Bad(() => x.Tril().Sum().Tril(), "tril", "rank >= 2", "[]");
        Bad(() => x.Norm(double.NaN), "norm", "NaN");
        Bad(() => x.Gelu("erf"), "gelu", "'none' or 'tanh'", "'erf'");
        Bad(() => Tensor.Arange(0, 5, 0), "arange", "step", "0");
        Bad(() => Tensor.Uniform([2], 1, 0), "uniform", "low <= high", "1", "0");
        Bad(() => Tensor.Randint(3, 3, [2]), "randint", "low < high", "3");
        Bad(() => Tensor.Normal([2], 0, -1), "normal", "std >= 0", "-1");
    }

    // ---- negative sizes ----

    [Test]
    public void NegativeSizes_AreRejectedWithTheShape()
    {
        Bad(() => Tensor.Zeros(2, -1), "zeros", "non-negative", "[2, -1]");
        Bad(() => Tensor.Ones(-3), "full", "[-3]");
        Bad(() => Tensor.Full([-1], 0), "full", "[-1]");
        Bad(() => Tensor.Rand([-2]), "rand", "[-2]");
        Bad(() => Tensor.Randn([1, -2]), "randn", "[1, -2]");
        Bad(() => Tensor.Randint(0, 3, [-1]), "randint", "[-1]");
        Bad(() => Tensor.Eye(-1), "eye", "[-1, -1]");
        Bad(() => Tensor.Eye(2, -2), "eye", "[2, -2]");
        Bad(() => Tensor.Linspace(0, 1, -1), "linspace", "-1");
        Bad(() => Tensor.Arange(5, 0), "arange", "step");
        using var x = Tensor.Zeros(2, 3);
        Bad(() => x.Reshape(-2, 3), "reshape", "[-2, 3]");
        Bad(() => x.View(3, -2), "view", "[3, -2]");
        Bad(() => x[..1].Expand(-2, 3), "expand", "[-2, 3]");
        Bad(() => x.Expand(-1, 2, 3), "expand", "-1");
        Bad(() => x.Narrow(0, 0, -1), "narrow", "length -1");
        Bad(() => x.Repeat(1, -1), "repeat", "[1, -1]");
        Bad(() => x.Split([3, -1], 1), "split", "[3, -1]");
        Bad(() => x.Pad([-2, -2]), "pad", "negative size", "-1");
    }

    // ---- index values ----

    [Test]
    public void IndexValuesOutOfRange_NameTheValueAndTheSize()
    {
        using var x = Tensor.Zeros(2, 3);
        using var g = Tensor.FromArray(new[] { 0, 5 }, [1, 2]);
        Bad(() => x.Gather(1, g), "gather", "index 5", "size 3");
        Bad(() => x.IndexSelect(0, Check.I(0, -1)), "index_select", "index -1", "size 2");
        Bad(() => x.IndexSelect(0, Check.I(2)), "index_select", "index 2", "size 2");
        using var src = Tensor.Ones(1, 2);
        using var s = Tensor.FromArray(new[] { 2, 0 }, [1, 2]);
        Bad(() => x.ScatterAdd(0, s, src), "scatter_add", "index 2", "size 2");
        Bad(() => Check.I(0, 3).OneHot(3), "one_hot", "[0, 3)", "3");
        Bad(() => Check.I(-1, 1).OneHot(), "one_hot", "-1");
        Bad(() => Tensor.Zeros([0], DType.Int32).OneHot(), "one_hot", "numClasses");
        Bad(() => _ = x[2], "index", "2", "size 2");
        Bad(() => _ = x[.., ^4], "index", "^4", "size 3");
    }

    // ---- element types ----

    [Test]
    public void UnsupportedArrayElementType_IsRejected()
    {
        Bad(() => Tensor.FromArray(new ulong[] { 1, 2 }), "FromArray", "UInt64", "float, double, int, long");
        Bad(() => Tensor.FromArray(new[] { new[] { 1f } }), "FromArray", "Single[]");
    }

    // ---- disposed tensors ----

    [Test]
    public void UsingADisposedTensor_ThrowsObjectDisposedException()
    {
        var x = Tensor.Ones(2, 2);
        using var other = Tensor.Ones(2, 2);
        x.Dispose();
        Assert.That(x.IsDisposed, Is.True);
        Assert.Throws<ObjectDisposedException>(() => _ = x + other);
        Assert.Throws<ObjectDisposedException>(() => _ = other + x);
        Assert.Throws<ObjectDisposedException>(() => x.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => x.Sum());
        Assert.Throws<ObjectDisposedException>(() => x.Exp());
        Assert.Throws<ObjectDisposedException>(() => x.MatMul(other));
        Assert.Throws<ObjectDisposedException>(() => x.Reshape(4));
        Assert.Throws<ObjectDisposedException>(() => _ = x.T);
        Assert.Throws<ObjectDisposedException>(() => _ = x[0]);
        Assert.Throws<ObjectDisposedException>(() => x.Clone());
        Assert.Throws<ObjectDisposedException>(() => x.To(Device.Reference));
        Assert.That(x.ToString(), Does.Contain("disposed"));
        Assert.DoesNotThrow(x.Dispose, "disposing twice is harmless");
    }
}
