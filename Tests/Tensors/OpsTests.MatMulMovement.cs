// Golden tests of matmul (vectors, matrices, batches, broadcast, transposed operands) and the movement ops.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public partial class OpsTests
{
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
        Assert.That(bySize[2].ToArray<long>(), Is.EqualTo(new long[] { 4 }));
        var bySizes = x.Split([1, 0, 4]);
        Assert.That(bySizes.Select(p => p.Shape[0]), Is.EqualTo(new[] { 1, 0, 4 }));
        Assert.That(bySizes[2].ToArray<long>(), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
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
}
