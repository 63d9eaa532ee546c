// The checked path to the scan and sort kernels (cumsum, sort): validation, Bool to Int32, 0-d tensors as one element.
using DotGrad.Backends;

namespace DotGrad;

internal static partial class RawOps
{
    /// <summary>
    /// Inclusive cumsum along <paramref name="dim"/> (from the end when <paramref name="reverse"/>), in x's dtype
    /// (Bool counts as Int32). A 0-d tensor is one element: dim 0 or -1, like PyTorch.
    /// </summary>
    public static Tensor CumSum(Tensor x, int dim, bool reverse)
    {
        const string op = "cumsum";
        using var prof = Profiler.Op(op, x.Count, x);
        CheckComputable(op, x.DType);
        using var input = x.CastRaw(x.DType == DType.Bool ? DType.Int32 : x.DType);
        using var source = AsRank1(input);
        int axis = ShapeMath.NormalizeDim(dim, source.Rank, op);
        var y = Tensor.Empty(source.ShapeRef, source.DType, x.Device);
        x.Backend.CumSum(source.Data, y.Data, axis, reverse);
        return x.Rank == 0 ? ReshapeOwned(y) : y;
    }

    /// <summary>
    /// Stable sort along <paramref name="dim"/>: values in x's dtype and Int32 positions, both shaped like x
    /// (see <see cref="IBackend.Sort"/> for ties and NaN). Bool sorts as 0 and 1 and stays Bool.
    /// </summary>
    public static (Tensor Values, Tensor Indices) Sort(Tensor x, int dim, bool descending)
    {
        const string op = "sort";
        using var prof = Profiler.Op(op, x.Count, x);
        CheckComputable(op, x.DType);
        using var input = x.CastRaw(x.DType == DType.Bool ? DType.Int32 : x.DType);
        using var source = AsRank1(input);
        int axis = ShapeMath.NormalizeDim(dim, source.Rank, op);
        var values = Tensor.Empty(source.ShapeRef, source.DType, x.Device);
        var indices = Tensor.Empty(source.ShapeRef, DType.Int32, x.Device);
        x.Backend.Sort(source.Data, values.Data, indices.Data, axis, descending);
        if (x.DType == DType.Bool)
        {
            var bools = values.CastRaw(DType.Bool);
            values.Dispose();
            values = bools;
        }
        return x.Rank == 0 ? (ReshapeOwned(values), ReshapeOwned(indices)) : (values, indices);
    }
}
