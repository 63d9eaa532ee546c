// Golden tests of indexing (index_select, gather, scatter_add, one_hot), printing, and resource release.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public partial class OpsTests
{
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
    public void ScatterAdd_WithAnEmptyIndex_ReturnsTheInputUnchanged([Values(0, 1)] int dim)
    {
        // An index with a zero-length dim has no elements, though a row loop over the other dims counts rows: src
        // [2, 1, 0] along dim 0 is two rows of nothing. Nothing may be read from the index (its storage is empty).
        using var x = Tensor.Ones(3, 1, 2)[.., .., ..0];                           // [3, 1, 0], a view
        using var idx = Tensor.Zeros([2, 1, 0], DType.Int32);
        using var src = Tensor.Zeros([2, 1, 0]);
        using var y = x.ScatterAdd(dim, idx, src);
        Assert.That(y.Shape, Is.EqualTo(new[] { 3, 1, 0 }));
        using var full = Tensor.Ones(3, 4);
        using var y2 = full.ScatterAdd(dim, Tensor.Zeros([dim == 0 ? 0 : 3, dim == 0 ? 4 : 0], DType.Int32), Tensor.Zeros([dim == 0 ? 0 : 3, dim == 0 ? 4 : 0]));
        Close(y2, [3, 4], Enumerable.Repeat(1.0, 12).ToArray());
    }

    [Test]
    public void OneHot_InfersOrTakesTheClassCount()
    {
        using var idx = I(0, 2, 1);
        using var oh = idx.OneHot();
        Assert.That(oh.DType, Is.EqualTo(DType.Int64)); // F.one_hot gives int64
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
        Assert.That(v.ToString(), Is.EqualTo("tensor([   0,    1,    2,  ...,  998,  999, 1000], shape=[1001], dtype=Int64, device=cpu)"));
        using var m = Tensor.Arange(2000).Reshape(1000, 2);
        Assert.That(m.ToString(), Is.EqualTo(
            "tensor([[   0,    1],\n" +
            "        [   2,    3],\n" +
            "        [   4,    5],\n" +
            "        ...,\n" +
            "        [1994, 1995],\n" +
            "        [1996, 1997],\n" +
            "        [1998, 1999]], shape=[1000, 2], dtype=Int64, device=cpu)"));
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
            "         [6, 7]]], shape=[2, 2, 2], dtype=Int64, device=cpu)"));
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
