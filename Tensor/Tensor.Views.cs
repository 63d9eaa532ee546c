// Views as stride arithmetic: new shapes and strides over the same storage, no data copied and nothing recorded.
// The differentiable views (Reshape, Permute, Expand, Slice, ...) in Autograd/Functions/Views.cs are built on these.
using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>The shape with a -1 resolved from the element count; validated against this tensor's size.</summary>
    internal int[] InferShape(int[] shape, string op)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var result = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1, got {ShapeMath.Format(shape)}");
                infer = i;
            }
            else if (result[i] < 0) throw new ArgumentException($"{op}: sizes must be non-negative or -1, got {ShapeMath.Format(shape)}");
            else known *= result[i];
        }
        int count = Count;
        if (infer >= 0)
        {
            if (known == 0 || count % known != 0)
                throw new ArgumentException($"{op}: shape {ShapeMath.Format(shape)} is invalid for a tensor of {count} elements (shape {ShapeMath.Format(_shape)})");
            result[infer] = (int)(count / known);
        }
        else if (known != count)
            throw new ArgumentException($"{op}: shape {ShapeMath.Format(shape)} ({known} elements) is invalid for a tensor of {count} elements (shape {ShapeMath.Format(_shape)})");
        return result;
    }

    /// <summary>Strides that show this tensor's elements with <paramref name="target"/> shape without a copy, or null.</summary>
    internal int[]? ViewStrides(int[] target)
    {
        if (IsContiguous) return ShapeMath.ContiguousStrides(target);
        // Walk the current dims from the innermost out, grouping them into chunks that are contiguous among
        // themselves (each dim's stride is the next inner one's stride times its size). Every chunk must be covered
        // exactly by a run of target dims, whose strides then step through the chunk row-major.
        var strides = new int[target.Length];
        int t = target.Length - 1;
        int chunkStride = _strides[^1];
        long chunkCount = 1, viewCount = 1;
        for (int d = _shape.Length - 1; d >= 0; d--)
        {
            chunkCount *= _shape[d];
            bool chunkEnds = d == 0 || (_shape[d - 1] != 1 && _strides[d - 1] != chunkCount * chunkStride);
            if (!chunkEnds) continue;
            while (t >= 0 && (viewCount < chunkCount || target[t] == 1))
            {
                strides[t] = (int)(viewCount * chunkStride);
                viewCount *= target[t];
                t--;
            }
            if (viewCount != chunkCount) return null;
            if (d > 0)
            {
                chunkStride = _strides[d - 1];
                chunkCount = 1;
                viewCount = 1;
            }
        }
        return t == -1 ? strides : null;
    }

    /// <summary>The same elements with <paramref name="target"/> shape (already inferred): a view when the strides allow, else a copy.</summary>
    internal Tensor ReshapeRaw(int[] target)
    {
        if (ViewStrides(target) is { } strides) return AsStrided(target, strides, Offset);
        using var copy = CopyRaw();
        return copy.AsStrided(target, ShapeMath.ContiguousStrides(target), 0);
    }

    /// <summary>The same elements with <paramref name="target"/> shape as a view, or an error naming <paramref name="op"/> and the fix.</summary>
    internal Tensor ViewRaw(int[] target, string op)
    {
        var strides = ViewStrides(target)
            ?? throw new ArgumentException($"{op}: a tensor of shape {ShapeMath.Format(_shape)} with strides {ShapeMath.Format(_strides)} cannot be viewed as {ShapeMath.Format(target)}; use Reshape (which copies) or Contiguous() first");
        return AsStrided(target, strides, Offset);
    }

    /// <summary>dims validated as a permutation of this tensor's dims, negative ones normalised.</summary>
    internal int[] NormalizePermutation(int[] dims)
    {
        if (dims.Length != Rank)
            throw new ArgumentException($"permute: expected {Rank} dims for a tensor of shape {ShapeMath.Format(_shape)}, got {ShapeMath.Format(dims)}");
        var seen = new bool[Rank];
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = ShapeMath.NormalizeDim(dims[i], Rank, "permute");
            if (seen[d]) throw new ArgumentException($"permute: dim {d} appears twice in {ShapeMath.Format(dims)}");
            seen[d] = true;
            perm[i] = d;
        }
        return perm;
    }

    /// <summary>Result dim i is this tensor's dim perm[i] (a validated permutation).</summary>
    internal Tensor PermuteRaw(int[] perm) =>
        AsStrided(perm.Select(d => _shape[d]).ToArray(), perm.Select(d => _strides[d]).ToArray(), Offset);

    /// <summary>Size-1 dims broadcast to larger sizes with stride 0; -1 keeps a size; new leading dims may be added.</summary>
    internal Tensor ExpandRaw(int[] shape)
    {
        if (shape.Length < Rank)
            throw new ArgumentException($"expand: the target shape {ShapeMath.Format(shape)} has fewer dims than the tensor's shape {ShapeMath.Format(_shape)}");
        int lead = shape.Length - Rank;
        var outShape = new int[shape.Length];
        var strides = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            int want = shape[i];
            if (i < lead)
            {
                if (want < 0) throw new ArgumentException($"expand: -1 is not allowed for a new leading dim, got {ShapeMath.Format(shape)}");
                outShape[i] = want;
                strides[i] = 0;
                continue;
            }
            int have = _shape[i - lead];
            if (want == -1) want = have;
            if (want < 0) throw new ArgumentException($"expand: sizes must be non-negative or -1, got {ShapeMath.Format(shape)}");
            if (have != want && have != 1)
                throw new ArgumentException($"expand: cannot expand shape {ShapeMath.Format(_shape)} to {ShapeMath.Format(shape)} (dim {i}: {have} to {want}); only size-1 dims can grow");
            outShape[i] = want;
            strides[i] = have == want ? _strides[i - lead] : 0;
        }
        return AsStrided(outShape, strides, Offset);
    }

    /// <summary>narrow's arguments validated: the dim, and start counted from the front.</summary>
    internal (int Dim, int Start) NormalizeNarrow(int dim, int start, int length)
    {
        if (Rank == 0) throw new ArgumentException("narrow: cannot be applied to a 0-d tensor, which has no dims to narrow; unsqueeze it first", nameof(dim));
        int d = ShapeMath.NormalizeDim(dim, Rank, "narrow");
        int size = _shape[d];
        if (start < 0) start += size;
        if (start < 0 || length < 0 || start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow: start {start} and length {length} are out of range for dim {d} of size {size} (need 0 <= start and start + length <= {size})");
        return (d, start);
    }

    /// <summary>A Python slice's arguments resolved: the dim, the clamped start and the length (start and end may be negative).</summary>
    internal (int Dim, int Start, int Length) NormalizeSlice(int dim, int? start, int? end, int step)
    {
        if (Rank == 0) throw new ArgumentException("slice: cannot be applied to a 0-d tensor, which has no dims to slice; unsqueeze it first", nameof(dim));
        int d = ShapeMath.NormalizeDim(dim, Rank, "slice");
        if (step <= 0) throw new ArgumentException($"slice: step must be positive, got {step}", nameof(step));
        int size = _shape[d];
        int s = Clamp(start ?? 0), e = Clamp(end ?? size);
        return (d, s, e > s ? (e - s + step - 1) / step : 0);

        int Clamp(int i) => Math.Clamp(i < 0 ? i + size : i, 0, size);
    }

    /// <summary>Elements start, start + step, ... (<paramref name="length"/> of them) along dim d, as a view.</summary>
    internal Tensor SliceRaw(int d, int start, int length, int step)
    {
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        shape[d] = length;
        strides[d] = _strides[d] * step;
        return AsStrided(shape, strides, Offset + (length == 0 ? 0 : start * _strides[d]));
    }

    /// <summary>Every size-1 dim removed.</summary>
    internal Tensor SqueezeRaw()
    {
        var keep = Enumerable.Range(0, Rank).Where(i => _shape[i] != 1).ToArray();
        return AsStrided(keep.Select(i => _shape[i]).ToArray(), keep.Select(i => _strides[i]).ToArray(), Offset);
    }

    /// <summary>Dim d removed (its size must be 1).</summary>
    internal Tensor SqueezeRaw(int d) =>
        AsStrided(_shape.Where((_, i) => i != d).ToArray(), _strides.Where((_, i) => i != d).ToArray(), Offset);

    /// <summary>A size-1 dim inserted at <paramref name="dim"/> (in [-rank-1, rank]).</summary>
    internal Tensor UnsqueezeRaw(int dim)
    {
        int d = ShapeMath.NormalizeDim(dim, Rank + 1, "unsqueeze");
        var shape = _shape.ToList();
        var strides = _strides.ToList();
        shape.Insert(d, 1);
        strides.Insert(d, d < Rank ? _strides[d] * _shape[d] : 1);
        return AsStrided(shape.ToArray(), strides.ToArray(), Offset);
    }
}
