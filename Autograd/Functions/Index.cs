// Indexing functions: index_select (embedding lookup), gather, scatter_add, one_hot.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// x.index_select(dim, index). d/dx = zeros with dY scatter-added at the selected positions (the index broadcast
/// along every other dim), so rows picked more than once get the sum of their gradients.
/// </summary>
public sealed class IndexSelect(int axis, Tensor index) : Function
{
    public static Tensor Apply(Tensor x, int dim, Tensor index)
    {
        Tensor y;
        using (Autograd.Pause()) y = RawOps.IndexSelect(x, dim, index);
        if (!Autograd.IsRecording([x])) return y;
        int axis = ShapeMath.NormalizeDim(dim, Math.Max(1, x.Rank), "index_select");
        Tensor flat;
        using (Autograd.Pause()) flat = index.Reshape(-1); // our own handle: the caller may dispose the index
        return Record(y, () => new IndexSelect(axis, flat), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var x = Inputs[0];
        var shape = x.Rank == 0 ? new[] { 1 } : x.ShapeRef; // a scalar is handled as a one-element vector
        var outShape = (int[])shape.Clone();
        outShape[axis] = index.Count;
        var g = dOut.Reshape(outShape);
        var along = Enumerable.Repeat(1, shape.Length).ToArray();
        along[axis] = index.Count;
        Tensor expanded;
        using (Autograd.Pause())
        using (var column = index.Reshape(along))
            expanded = column.Expand(outShape);               // index[i] at every position of slot i along dim
        var dX = Tensor.Zeros(shape, dOut.DType, dOut.Device).ScatterAdd(axis, expanded, g);
        return [x.Rank == 0 ? dX.Reshape() : dX];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<IndexSelect>("index")
        .Op("index_select", x => x[0].IndexSelect(0, x[1]), d => d.IndexSelectSample(0))
        .Op("index_select_last", x => x[0].IndexSelect(-1, x[1]), d => d.IndexSelectSample(-1));
}

/// <summary>x.gather(dim, index). d/dx = zeros.scatter_add(dim, index, dY).</summary>
public sealed class Gather(int axis, Tensor index) : Function
{
    public static Tensor Apply(Tensor x, int dim, Tensor index)
    {
        Tensor y;
        using (Autograd.Pause()) y = RawOps.Gather(x, dim, index);
        if (!Autograd.IsRecording([x])) return y;
        int axis = ShapeMath.NormalizeDim(dim, x.Rank, "gather");
        Tensor own;
        using (Autograd.Pause()) own = index.Reshape(index.ShapeRef);
        return Record(y, () => new Gather(axis, own), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) =>
        [Tensor.Zeros(Inputs[0].ShapeRef, dOut.DType, dOut.Device).ScatterAdd(axis, index, dOut)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Gather>("index").Op("gather", x => x[0].Gather(-1, x[1]), d => d.GatherSample());
}

/// <summary>
/// x.scatter_add(dim, index, src), out of place: y = x, then y[..., index[j], ...] += src[j] along dim.
/// d/dx = dY, d/dsrc = dY.gather(dim, index) (zero for the part of src outside index's shape, which is cut off by a
/// differentiable slice first).
/// </summary>
public sealed class ScatterAdd(int axis, Tensor index) : Function
{
    public static Tensor Apply(Tensor x, int dim, Tensor index, Tensor src)
    {
        Tensor y;
        using (Autograd.Pause()) y = RawOps.ScatterAdd(x, dim, index, src);
        if (!Autograd.IsRecording([x, src])) return y;
        int axis = ShapeMath.NormalizeDim(dim, x.Rank, "scatter_add");
        var used = src;
        for (int d = 0; d < src.Rank; d++)
            if (used.ShapeRef[d] != index.ShapeRef[d]) used = used.Narrow(d, 0, index.ShapeRef[d]);
        Tensor own;
        using (Autograd.Pause()) own = index.Reshape(index.ShapeRef);
        return Record(y, () => new ScatterAdd(axis, own), x, used);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) =>
        [dOut, Inputs[1].RequiresGrad ? dOut.Gather(axis, index) : null];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<ScatterAdd>("index")
        .Op("scatter_add", x => x[0].ScatterAdd(0, x[1], x[2]), d => d.ScatterAddSample());
}

/// <summary>
/// one_hot(index, numClasses): a new last dim with a 1 at each index (<c>torch.nn.functional.one_hot</c>);
/// numClasses -1 means max(index) + 1; indices must lie in [0, numClasses). The index is Int32 or Int64; the result is
/// Int64, as PyTorch's. Not differentiable.
/// </summary>
public sealed class OneHot
{
    public static Tensor Apply(Tensor index, int numClasses)
    {
        RawOps.CheckIndexDType("one_hot", index);
        if (numClasses < -1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "one_hot: numClasses must be -1 (infer max + 1) or a class count");
        // As PyTorch: an empty index needs a positive numClasses (0 is refused too, with the same message).
        if (index.Count == 0 && numClasses <= 0) throw new ArgumentException("one_hot: cannot infer the number of classes from an empty index; pass numClasses");
        if (index.Count > 0)
        {
            using var lo = RawOps.Reduce<MinOp>(index, null, false);
            using var hi = RawOps.Reduce<MaxOp>(index, null, false);
            long min = (long)lo.Item(), max = (long)hi.Item();
            if (numClasses < 0) numClasses = checked((int)(max + 1));
            if (min < 0 || max >= numClasses)
                throw new ArgumentOutOfRangeException(nameof(index), $"one_hot: index values must be in [0, {numClasses}), got values from {min} to {max}");
        }
        using var classes = Tensor.Arange(0, numClasses, 1, index.DType, index.Device);
        using var column = index.Unsqueeze(-1);
        using var mask = RawOps.Compare<EqOp>(column, classes);
        return mask.To(DType.Int64);
    }
}
