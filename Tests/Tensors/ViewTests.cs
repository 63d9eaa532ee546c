// Views share storage with their base; reshape/view rules; permutes, expands, slices, indexing; zero-size dims.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public class ViewTests
{
    /// <summary>[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] as Float32.</summary>
    private static Tensor M34() => Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [3, 4]);

    /// <summary>Writes 100 through the view at <paramref name="at"/> and returns the base's elements.</summary>
    private static float[] WriteThrough(Tensor baseTensor, Tensor view, params TensorIndex[] at)
    {
        using var hundred = Tensor.Scalar(100);
        view[at] = hundred;
        return baseTensor.ToArray<float>();
    }

    // ---- storage sharing ----

    [Test]
    public void EveryView_WritesThroughToTheBase()
    {
        // Each view, the index written in it, and the base's flat position that must change.
        var cases = new (string Name, Func<Tensor, Tensor> View, TensorIndex[] At, int Flat)[]
        {
            ("reshape", x => x.Reshape(2, 6), [1, 0], 6),
            ("view", x => x.View(12), [5], 5),
            ("view -1", x => x.View(-1, 2), [3, 1], 7),
            ("permute", x => x.Permute(1, 0), [3, 2], 11),
            ("transpose", x => x.Transpose(0, 1), [1, 2], 9),
            ("T", x => x.T, [0, 1], 4),
            ("MT", x => x.MT, [2, 0], 2),
            ("expand", x => x[0..1].Expand(5, 4), [4, 3], 3),
            ("narrow", x => x.Narrow(1, 1, 2), [2, 1], 10),
            ("slice step", x => x.Slice(1, 0, null, 2), [1, 1], 6),
            ("squeeze", x => x[1..2].Squeeze(), [3], 7),
            ("unsqueeze", x => x.Unsqueeze(1), [2, 0, 0], 8),
            ("flatten", x => x.Flatten(), [9], 9),
            ("contiguous", x => x.Contiguous(), [0, 0], 0),
            ("index", x => x[.., 2], [1], 6),
            ("range", x => x[1..^1], [0, 3], 7),
            ("last", x => x[^1], [0], 8),
            ("split", x => x.Split(2, 1)[1], [0, 1], 3),
            ("chunk", x => x.Chunk(3, 0)[2], [0, 0], 8),
        };
        foreach (var (name, make, at, flat) in cases)
        {
            using var x = M34();
            using var v = make(x);
            var after = WriteThrough(x, v, at);
            for (int i = 0; i < 12; i++)
                Assert.That(after[i], Is.EqualTo(i == flat ? 100f : i), $"{name}: base element {i}");
        }
    }

    [Test]
    public void DisposingTheBase_LeavesViewsUsable()
    {
        var x = M34();
        using var v = x[1];
        x.Dispose();
        Assert.That(v.ToArray<float>(), Is.EqualTo(new[] { 4f, 5, 6, 7 }));
    }

    // ---- reshape and view ----

    [Test]
    public void View_OnATransposedTensor_ThrowsAndNamesReshape()
    {
        using var x = M34();
        using var t = x.T;
        var ex = Assert.Throws<ArgumentException>(() => t.View(12));
        Assert.That(ex!.Message, Does.Contain("Reshape").And.Contain("[4, 3]"));
    }

    [Test]
    public void Reshape_OnATransposedTensor_CopiesInLogicalOrder()
    {
        using var x = M34();
        using var t = x.T;
        using var r = t.Reshape(12);
        // x.T rows are x's columns: 0 4 8, 1 5 9, ...
        Assert.That(r.ToArray<float>(), Is.EqualTo(new[] { 0f, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }));
        using var one = Tensor.Scalar(-1);
        r[0] = one;
        Assert.That(x.ToArray<float>()[0], Is.EqualTo(0f), "a copy must not write through");
    }

    [Test]
    public void Reshape_InfersTheMinusOneDim()
    {
        using var x = M34();
        using var a = x.Reshape(-1);
        Assert.That(a.Shape, Is.EqualTo(new[] { 12 }));
        using var b = x.Reshape(2, -1, 3);
        Assert.That(b.Shape, Is.EqualTo(new[] { 2, 2, 3 }));
        using var z = Tensor.Zeros(0, 4);
        using var zr = z.Reshape(-1, 2);
        Assert.That(zr.Shape, Is.EqualTo(new[] { 0, 2 }));
    }

    [Test]
    public void Reshape_OfASliceWhoseStridesAllowIt_IsAView()
    {
        // x[.., 1..3] is [3, 2] with strides [4, 1]; splitting its rows into [3, 1, 2] needs no copy.
        using var x = M34();
        using var s = x[.., 1..3];
        using var r = s.Reshape(3, 1, 2);
        Assert.That(r.Strides, Is.EqualTo(new[] { 4, 2, 1 }).Or.EqualTo(new[] { 4, 4, 1 }).Or.EqualTo(new[] { 4, 1, 1 }));
        Assert.That(WriteThrough(x, r, 2, 0, 1)[10], Is.EqualTo(100f));
    }

    [Test]
    public void Reshape_OfRandomViews_MatchesReshapeOfAContiguousCopy()
    {
        // A naive oracle: the view's elements in logical order, then reshaped row-major.
        var shapes = new[] { new[] { 2, 3, 4 }, new[] { 4, 1, 6 }, new[] { 1, 6, 2, 2 } };
        var rng = new Random(3);
        for (int trial = 0; trial < 60; trial++)
        {
            var shape = shapes[trial % shapes.Length];
            int n = shape.Aggregate(1, (a, b) => a * b);
            using var x = Tensor.Arange(0, n, 1, DType.Float32).Reshape(shape);
            var perm = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
            using var p = x.Permute(perm);
            var expected = p.Contiguous().ToArray<float>();
            int[] target = trial % 2 == 0 ? [n] : [p.Size(0) * p.Size(1), -1];
            using var r = p.Reshape(target);
            Assert.That(r.ToArray<float>(), Is.EqualTo(expected), $"perm [{string.Join(", ", perm)}] of [{string.Join(", ", shape)}]");
        }
    }

    // ---- permute, transpose, T, MT ----

    [Test]
    public void Permute_ReordersShapeAndStrides()
    {
        using var x = Tensor.Zeros(2, 3, 4);
        using var p = x.Permute(2, 0, 1);
        Assert.That(p.Shape, Is.EqualTo(new[] { 4, 2, 3 }));
        Assert.That(p.Strides, Is.EqualTo(new[] { 1, 12, 4 }));
        Assert.That(p.IsContiguous, Is.False);
        using var n = x.Permute(-1, -2, -3);
        Assert.That(n.Shape, Is.EqualTo(new[] { 4, 3, 2 }));
    }

    [Test]
    public void TransposeAndT_SwapRowsAndColumns()
    {
        using var x = M34();
        using var t = x.T;
        Assert.That(t.Shape, Is.EqualTo(new[] { 4, 3 }));
        using var e = t[1, 2];
        Assert.That(e.Item<float>(), Is.EqualTo(9f)); // x[2, 1] = 2 * 4 + 1
        using var v = Tensor.Arange(3);
        using var vt = v.T;
        Assert.That(vt.Shape, Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void MT_TransposesTheLastTwoDimsOfABatch()
    {
        using var x = Tensor.Arange(0, 24, 1, DType.Float32).Reshape(2, 3, 4);
        using var m = x.MT;
        Assert.That(m.Shape, Is.EqualTo(new[] { 2, 4, 3 }));
        using var e = m[1, 3, 2];
        Assert.That(e.Item<float>(), Is.EqualTo(12 + 2 * 4 + 3f));
    }

    // ---- expand ----

    [Test]
    public void Expand_UsesStrideZeroAndAddsLeadingDims()
    {
        using var col = Tensor.FromArray(new[] { 1f, 2f, 3f }, [3, 1]);
        using var e = col.Expand(2, 3, 4);
        Assert.That(e.Shape, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(e.Strides, Is.EqualTo(new[] { 0, 1, 0 }));
        var v = e.ToArray<float>();
        for (int a = 0; a < 2; a++) for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++)
            Assert.That(v[a * 12 + r * 4 + c], Is.EqualTo(r + 1f));
        using var keep = col.Expand(-1, 5);
        Assert.That(keep.Shape, Is.EqualTo(new[] { 3, 5 }));
    }

    [Test]
    public void ExpandAs_TakesTheOtherTensorsShape()
    {
        using var row = Check.F(1, 2);
        using var other = Tensor.Zeros(3, 2);
        using var e = row.ExpandAs(other);
        Assert.That(e.Shape, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(e.ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 1, 2, 1, 2 }));
    }

    [Test]
    public void Expand_OfANonSizeOneDim_Throws()
    {
        using var x = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => x.Expand(4, 3));
        Assert.That(ex!.Message, Does.Contain("expand").And.Contain("[2, 3]").And.Contain("[4, 3]"));
    }

    // ---- narrow, slice ----

    [Test]
    public void Narrow_SelectsARunAlongADim()
    {
        using var x = M34();
        using var n = x.Narrow(1, 1, 2);
        Close(n, [3, 2], [1, 2, 5, 6, 9, 10]);
        using var neg = x.Narrow(0, -1, 1);
        Close(neg, [1, 4], [8, 9, 10, 11]);
        using var empty = x.Narrow(0, 3, 0);
        Assert.That(empty.Shape, Is.EqualTo(new[] { 0, 4 }));
    }

    [Test]
    public void Slice_WithAStep_TakesEveryStepthElement()
    {
        using var x = Tensor.Arange(10);
        using var s = x.Slice(0, 1, 8, 3);  // 1, 4, 7
        Assert.That(s.ToArray<long>(), Is.EqualTo(new long[] { 1, 4, 7 }));
        Assert.That(s.Strides, Is.EqualTo(new[] { 3 }));
        using var tail = x.Slice(0, -3);      // 7, 8, 9
        Assert.That(tail.ToArray<long>(), Is.EqualTo(new long[] { 7, 8, 9 }));
        using var clamped = x.Slice(0, 5, 100, 2); // 5, 7, 9
        Assert.That(clamped.ToArray<long>(), Is.EqualTo(new long[] { 5, 7, 9 }));
        using var none = x.Slice(0, 6, 2);
        Assert.That(none.Shape, Is.EqualTo(new[] { 0 }));
    }

    // ---- squeeze, unsqueeze, flatten, contiguous ----

    [Test]
    public void Squeeze_RemovesSizeOneDims()
    {
        using var x = Tensor.Zeros(1, 3, 1, 2);
        using var all = x.Squeeze();
        Assert.That(all.Shape, Is.EqualTo(new[] { 3, 2 }));
        using var one = x.Squeeze(2);
        Assert.That(one.Shape, Is.EqualTo(new[] { 1, 3, 2 }));
        using var notOne = x.Squeeze(1); // size 3: unchanged, like PyTorch
        Assert.That(notOne.Shape, Is.EqualTo(new[] { 1, 3, 1, 2 }));
    }

    [Test]
    public void Unsqueeze_InsertsASizeOneDim()
    {
        using var x = Tensor.Zeros(3, 2);
        using var a = x.Unsqueeze(0);
        using var b = x.Unsqueeze(-1);
        using var c = x.Unsqueeze(1);
        Assert.That(a.Shape, Is.EqualTo(new[] { 1, 3, 2 }));
        Assert.That(b.Shape, Is.EqualTo(new[] { 3, 2, 1 }));
        Assert.That(c.Shape, Is.EqualTo(new[] { 3, 1, 2 }));
        Assert.That(c.IsContiguous, Is.True);
    }

    [Test]
    public void Flatten_MergesARangeOfDims()
    {
        using var x = Tensor.Zeros(2, 3, 4, 5);
        using var all = x.Flatten();
        Assert.That(all.Shape, Is.EqualTo(new[] { 120 }));
        using var mid = x.Flatten(1, 2);
        Assert.That(mid.Shape, Is.EqualTo(new[] { 2, 12, 5 }));
        using var s = Tensor.Scalar(1);
        using var sf = s.Flatten();
        Assert.That(sf.Shape, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void Contiguous_CopiesOnlyWhenNeeded()
    {
        using var x = M34();
        using var same = x.Contiguous();
        Assert.That(WriteThrough(x, same, 0, 1)[1], Is.EqualTo(100f), "contiguous input: a view");
        using var t = x.T;
        using var c = t.Contiguous();
        Assert.That(c.IsContiguous, Is.True);
        Assert.That(c.Strides, Is.EqualTo(new[] { 3, 1 }));
        Assert.That(c.ToArray<float>(), Is.EqualTo(t.ToArray<float>()));
        Assert.That(WriteThrough(x, c, 0, 2)[8], Is.EqualTo(8f), "non-contiguous input: a copy");
    }

    // ---- indexing ----

    [Test]
    public void Index_RangeAllAndPosition_SelectsAColumn()
    {
        using var x = M34();
        using var col = x[.., 0];
        Close(col, [3], [0, 4, 8]);
    }

    [Test]
    public void Index_RangeFromOneToHatOne_DropsTheEnds()
    {
        using var x = M34();
        using var mid = x[1..^1];
        Close(mid, [1, 4], [4, 5, 6, 7]);
        using var inner = x[.., 1..^1];
        Close(inner, [3, 2], [1, 2, 5, 6, 9, 10]);
    }

    [Test]
    public void Index_HatOneAndMinusOne_AreTheLastRow()
    {
        using var x = M34();
        using var last = x[^1];
        Close(last, [4], [8, 9, 10, 11]);
        using var minusOne = x[-1, -2];
        Assert.That(minusOne.Rank, Is.EqualTo(0));
        Assert.That(minusOne.Item<float>(), Is.EqualTo(10f));
    }

    [Test]
    public void Index_NewAxisAndEllipsis()
    {
        using var x = Tensor.Zeros(2, 3, 4);
        using var a = x[TensorIndex.NewAxis];
        Assert.That(a.Shape, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        using var b = x[TensorIndex.Ellipsis, 0];
        Assert.That(b.Shape, Is.EqualTo(new[] { 2, 3 }));
        using var c = x[0, TensorIndex.Ellipsis, TensorIndex.NewAxis];
        Assert.That(c.Shape, Is.EqualTo(new[] { 3, 4, 1 }));
        using var d = x[.., TensorIndex.NewAxis, 1..];
        Assert.That(d.Shape, Is.EqualTo(new[] { 2, 1, 2, 4 }));
        using var m = M34();
        using var e = m[TensorIndex.Ellipsis, 1];
        Close(e, [3], [1, 5, 9]);
    }

    [Test]
    public void Index_Setter_BroadcastsTheValue()
    {
        using var x = Tensor.Zeros(2, 3);
        using var row = Check.F(1, 2, 3);
        x[.., ..] = row;
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 3, 1, 2, 3 }));
        using var seven = Tensor.Scalar(7);
        x[1, 1..] = seven;
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 3, 1, 7, 7 }));
    }

    [Test]
    public void Index_OutOfRange_ThrowsArgumentOutOfRange()
    {
        using var x = M34();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => { using var _ = x[3]; });
        Assert.That(ex!.Message, Does.Contain("index").And.Contain("3").And.Contain("size 3"));
        Assert.Throws<ArgumentOutOfRangeException>(() => { using var _ = x[0, -5]; });
        Assert.Throws<ArgumentOutOfRangeException>(() => { using var _ = x[^4]; });
        var tooMany = Assert.Throws<ArgumentException>(() => { using var _ = x[0, 0, 0]; });
        Assert.That(tooMany!.Message, Does.Contain("too many indices"));
        Assert.Throws<ArgumentException>(() => { using var _ = x[TensorIndex.Ellipsis, TensorIndex.Ellipsis]; });
    }

    // ---- zero-size dims ----

    [Test]
    public void ZeroSize_ThroughViews()
    {
        using var x = Tensor.Zeros(0, 3);
        using var t = x.T;
        Assert.That(t.Shape, Is.EqualTo(new[] { 3, 0 }));
        using var u = x.Unsqueeze(1);
        Assert.That(u.Shape, Is.EqualTo(new[] { 0, 1, 3 }));
        using var e = u.Expand(0, 2, 3);
        Assert.That(e.Shape, Is.EqualTo(new[] { 0, 2, 3 }));
        using var s = x[.., 1..];
        Assert.That(s.Shape, Is.EqualTo(new[] { 0, 2 }));
        using var f = x.Flatten();
        Assert.That(f.Shape, Is.EqualTo(new[] { 0 }));
        using var r = x.Reshape(3, 0);
        Assert.That(r.Shape, Is.EqualTo(new[] { 3, 0 }));
        using var c = t.Contiguous();
        Assert.That(c.ToArray<float>(), Is.Empty);
        var parts = x.Chunk(2, 1);
        Assert.That(parts.Select(p => p.Shape[1]), Is.EqualTo(new[] { 2, 1 }));
        foreach (var p in parts) p.Dispose();
    }

    [Test]
    public void ZeroSize_ChunkOfAnEmptyDim_GivesThatManyEmptyPieces()
    {
        // torch.zeros(0, 3).chunk(3) -> three tensors of shape (0, 3)
        using var x = Tensor.Zeros(0, 3);
        var parts = x.Chunk(3);
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts.All(p => p.Shape.SequenceEqual(new[] { 0, 3 })), Is.True);
        foreach (var p in parts) p.Dispose();
    }

    [Test]
    public void ZeroSize_Reductions_SumIsZerosAndMaxThrows()
    {
        using var x = Tensor.Zeros(0, 3);
        using var s0 = x.Sum(0);
        Close(s0, [3], [0, 0, 0]);
        using var s1 = x.Sum(1);
        Assert.That(s1.Shape, Is.EqualTo(new[] { 0 }));
        using var all = x.Sum();
        Assert.That(all.Item<float>(), Is.EqualTo(0f));
        using var m1 = x.Amax([1]); // reducing a non-empty dim of an empty tensor is fine: shape [0]
        Assert.That(m1.Shape, Is.EqualTo(new[] { 0 }));
        var ex = Assert.Throws<ArgumentException>(() => x.Max());
        Assert.That(ex!.Message, Does.Contain("max").And.Contain("size 0"));
        Assert.Throws<ArgumentException>(() => x.Max(0));
        Assert.Throws<ArgumentException>(() => x.Argmax());
        using var mean = x.Mean(0);
        Assert.That(mean.ToArray<float>().All(float.IsNaN), Is.True, "mean of nothing is NaN, like PyTorch");
    }

    [Test]
    public void ZeroSize_MatMulWithZeroInnerDim_IsZeros()
    {
        using var a = Tensor.Zeros(2, 0);
        using var b = Tensor.Zeros(0, 3);
        using var c = a.MatMul(b);
        Close(c, [2, 3], new double[6]);
        using var empty = Tensor.Zeros(0, 4).MatMul(Tensor.Zeros(4, 5));
        Assert.That(empty.Shape, Is.EqualTo(new[] { 0, 5 }));
        using var batched = Tensor.Zeros(0, 2, 4).MatMul(Tensor.Ones(4, 3));
        Assert.That(batched.Shape, Is.EqualTo(new[] { 0, 2, 3 }));
    }

    [Test]
    public void ZeroSize_CatWithEmptyParts()
    {
        using var a = Tensor.Zeros(0, 3);
        using var b = Tensor.Ones(2, 3);
        using var c = Tensor.Cat([a, b, a]);
        Close(c, [2, 3], [1, 1, 1, 1, 1, 1]);
        using var d = Tensor.Cat([Tensor.Zeros(2, 0), b], 1);
        Assert.That(d.Shape, Is.EqualTo(new[] { 2, 3 }));
        // Like torch.cat, a 1-D empty tensor is skipped whatever the other shapes: growing a result from nothing.
        using var legacy = Tensor.Cat([Tensor.Zeros(0), b]);
        Close(legacy, [2, 3], [1, 1, 1, 1, 1, 1]);
        using var allEmpty = Tensor.Cat([a, a]);
        Assert.That(allEmpty.Shape, Is.EqualTo(new[] { 0, 3 }));
    }

    [Test]
    public void ZeroSize_ElementwiseAndSoftmax_KeepTheShape()
    {
        using var x = Tensor.Zeros(0, 3);
        using var y = (x + 1).Exp();
        Assert.That(y.Shape, Is.EqualTo(new[] { 0, 3 }));
        using var row = Tensor.Ones(3);
        using var b = x * row;
        Assert.That(b.Shape, Is.EqualTo(new[] { 0, 3 }));
        using var sm = x.Softmax(-1);
        Assert.That(sm.Shape, Is.EqualTo(new[] { 0, 3 }));
        using var p = x.Pad([1, 1]);
        Assert.That(p.Shape, Is.EqualTo(new[] { 0, 5 }));
    }
}
