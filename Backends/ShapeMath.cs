// Pure functions on shapes and strides: counts, contiguity, broadcasting, dimension normalisation.
namespace DotGrad.Backends;

/// <summary>Shape arithmetic shared by the tensor layer and the backends.</summary>
public static class ShapeMath
{
    /// <summary>Number of elements; 1 for a scalar (rank 0).</summary>
    public static int Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"a tensor of shape {Format(shape)} has {n} elements; at most {int.MaxValue} are supported");
        return (int)n;
    }

    /// <summary>Row-major (C order) strides for a shape.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>True when a view with these strides is row-major without gaps (size-1 dims may have any stride).</summary>
    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (shape[i] == 0) return true;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>The NumPy broadcast of two shapes, or an exception naming the operation and both shapes.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dim {i}: {da} vs {db}); each dim must match or be 1");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Wraps a possibly negative dim into [0, rank), or throws naming the operation.</summary>
    public static int NormalizeDim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dim {dim} is out of range for a tensor of rank {rank} (expected {-r} <= dim < {r})");
        return dim < 0 ? dim + r : dim;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>
    /// Merges adjacent dims that are laid out as one in every operand (same shape, strides chain), so kernels
    /// iterate over as few and as long dims as possible. Size-1 dims are dropped. Returns the merged shape and
    /// the merged strides of each operand.
    /// </summary>
    public static (int[] Shape, int[][] Strides) Coalesce(ReadOnlySpan<int> shape, params int[][] strides)
    {
        var outShape = new List<int>(shape.Length);
        var outStrides = new List<int>[strides.Length];
        for (int k = 0; k < strides.Length; k++) outStrides[k] = new List<int>(shape.Length);
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int last = outShape.Count - 1;
            bool merge = last >= 0;
            for (int k = 0; merge && k < strides.Length; k++)
                merge = outStrides[k][last] == strides[k][i] * shape[i];
            if (merge)
            {
                outShape[last] *= shape[i];
                for (int k = 0; k < strides.Length; k++) outStrides[k][last] = strides[k][i];
            }
            else
            {
                outShape.Add(shape[i]);
                for (int k = 0; k < strides.Length; k++) outStrides[k].Add(strides[k][i]);
            }
        }
        var result = new int[strides.Length][];
        for (int k = 0; k < strides.Length; k++) result[k] = outStrides[k].ToArray();
        return (outShape.ToArray(), result);
    }

    /// <summary>True when <paramref name="from"/> broadcasts to exactly <paramref name="to"/>.</summary>
    public static bool CanBroadcastTo(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length) return false;
        int lead = to.Length - from.Length;
        for (int i = 0; i < from.Length; i++)
            if (from[i] != to[lead + i] && from[i] != 1) return false;
        return true;
    }
}
