// Reference indexing kernels: index_select, gather and scatter_add, with index values checked.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public void IndexSelect(Strided x, int axis, Strided index, Strided y)
    {
        int size = x.Shape[axis];
        var yShape = y.Shape;
        var pos = new int[yShape.Length];
        for (int i = 0, n = y.Count; i < n; i++)
        {
            Unravel(i, yShape, pos);
            int idx = IndexValue("index_select", index, OffsetOf(pos[axis], index), size, axis);
            int xo = x.Offset;
            for (int d = 0; d < pos.Length; d++) xo += (d == axis ? idx : pos[d]) * x.Strides[d];
            CopyElement(x.Storage, xo, y.Storage, OffsetOf(i, y));
        }
    }

    public void Gather(Strided x, int axis, Strided index, Strided y)
    {
        int size = x.Shape[axis];
        var pos = new int[y.Rank];
        for (int i = 0, n = y.Count; i < n; i++)
        {
            Unravel(i, y.Shape, pos);
            int idx = IndexValue("gather", index, OffsetOf(i, index), size, axis);
            int xo = x.Offset;
            for (int d = 0; d < pos.Length; d++) xo += (d == axis ? idx : pos[d]) * x.Strides[d];
            CopyElement(x.Storage, xo, y.Storage, OffsetOf(i, y));
        }
    }

    public void ScatterAdd(Strided y, int axis, Strided index, Strided src)
    {
        int size = y.Shape[axis];
        var pos = new int[src.Rank];
        for (int i = 0, n = src.Count; i < n; i++)
        {
            Unravel(i, src.Shape, pos);
            int idx = IndexValue("scatter_add", index, OffsetOf(i, index), size, axis);
            int yo = y.Offset;
            for (int d = 0; d < pos.Length; d++) yo += (d == axis ? idx : pos[d]) * y.Strides[d];
            // Int64 adds in long (wrapping on overflow, as PyTorch does); a double would round sums beyond 2^53.
            if (y.DType == DType.Int64) SetInt64(y.Storage, yo, GetInt64(y.Storage, yo) + GetInt64(src.Storage, OffsetOf(i, src)));
            else Set(y.Storage, yo, Get(y.Storage, yo) + Get(src.Storage, OffsetOf(i, src)));
        }
    }

    private static void Unravel(int linear, int[] shape, int[] pos)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            pos[d] = linear % shape[d];
            linear /= shape[d];
        }
    }

    /// <summary>Reads an index and throws when it is outside [0, size), as PyTorch does (no negative wrapping).</summary>
    internal static int IndexValue(string op, Strided index, int offset, int size, int axis)
    {
        long idx = GetInt64(index.Storage, offset); // Int32 or Int64, read exactly
        if (idx < 0 || idx >= size)
            throw new ArgumentOutOfRangeException(nameof(index), idx, $"{op}: index {idx} is out of range for dim {axis} of size {size} (expected 0 <= index < {size})");
        return (int)idx;
    }
}
