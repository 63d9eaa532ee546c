// Views: new shapes and strides over the same storage, no data copied (reshape copies only when it must).
using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with a new shape; one size may be -1 (inferred). A view when the strides allow it,
    /// otherwise a copy, like <c>torch.reshape</c>.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        var target = InferShape(shape, "reshape");
        var strides = ViewStrides(target);
        Tensor y;
        if (strides is not null) y = AsStrided(target, strides, Offset);
        else
        {
            using var copy = CopyRaw();
            y = copy.AsStrided(target, ShapeMath.ContiguousStrides(target), 0);
        }
        return RecordReshape(y);
    }

    /// <summary>A view with a new shape; throws when the layout does not allow one (call Contiguous or Reshape), like <c>torch.view</c>.</summary>
    public Tensor View(params int[] shape)
    {
        var target = InferShape(shape, "view");
        var strides = ViewStrides(target)
            ?? throw new ArgumentException($"view: a tensor of shape {ShapeMath.Format(_shape)} with strides {ShapeMath.Format(_strides)} cannot be viewed as {ShapeMath.Format(target)}; use Reshape (which copies) or Contiguous() first");
        return RecordReshape(AsStrided(target, strides, Offset));
    }

    /// <summary>Links a view of another shape over this tensor's elements into the graph (its gradient is reshaped back).</summary>
    private Tensor RecordReshape(Tensor y)
    {
        var inputShape = _shape;
        return Function.Record(y, () => new Functions.Reshape(inputShape), this);
    }

    private int[] InferShape(int[] shape, string op)
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
    private int[]? ViewStrides(int[] target)
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

    /// <summary>Reorders the dimensions: result dim i is this tensor's dim <c>dims[i]</c>.</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank)
            throw new ArgumentException($"permute: expected {Rank} dims for a tensor of shape {ShapeMath.Format(_shape)}, got {ShapeMath.Format(dims)}");
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = ShapeMath.NormalizeDim(dims[i], Rank, "permute");
            if (seen[d]) throw new ArgumentException($"permute: dim {d} appears twice in {ShapeMath.Format(dims)}");
            seen[d] = true;
            shape[i] = _shape[d];
            strides[i] = _strides[d];
        }
        var perm = dims.Select(d => ShapeMath.NormalizeDim(d, Rank, "permute")).ToArray();
        return Function.Record(AsStrided(shape, strides, Offset), () => new Functions.Permute(perm), this);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        if (Rank == 0) return Alias();
        int a = ShapeMath.NormalizeDim(dim0, Rank, "transpose"), b = ShapeMath.NormalizeDim(dim1, Rank, "transpose");
        var perm = Enumerable.Range(0, Rank).ToArray();
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>The transpose of a matrix (rank 0, 1 or 2), like <c>Tensor.T</c> restricted to what PyTorch still allows.</summary>
    public Tensor T
    {
        get
        {
            if (Rank > 2) throw new InvalidOperationException($"T: expects a tensor of rank <= 2, got shape {ShapeMath.Format(_shape)}; use Transpose(-2, -1) (mT) for batches");
            return Rank < 2 ? Alias() : Transpose(0, 1);
        }
    }

    /// <summary>Transposes the last two dims (batched matrices).</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>
    /// Broadcasts size-1 dims to larger sizes without copying (stride 0); -1 keeps a size; new leading dims may be added.
    /// </summary>
    public Tensor Expand(params int[] shape)
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
        var inputShape = _shape;
        return Function.Record(AsStrided(outShape, strides, Offset), () => new Functions.Expand(inputShape), this);
    }

    /// <summary>Expands to another tensor's shape.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other._shape);

    /// <summary>Elements [start, start + length) along one dim, as a view (<c>torch.narrow</c>).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeMath.NormalizeDim(dim, Rank, "narrow");
        int size = _shape[d];
        if (start < 0) start += size;
        if (start < 0 || length < 0 || start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow: start {start} and length {length} are out of range for dim {d} of size {size} (need 0 <= start and start + length <= {size})");
        var shape = (int[])_shape.Clone();
        shape[d] = length;
        var inputShape = _shape;
        int from = start;
        return Function.Record(AsStrided(shape, (int[])_strides.Clone(), Offset + (length == 0 ? 0 : start * _strides[d])),
            () => new Functions.Slice(inputShape, d, from, 1), this);
    }

    /// <summary>
    /// Python-style slice along one dim: start and end are clamped (negative ones count from the end), step &gt; 0.
    /// </summary>
    public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
    {
        int d = ShapeMath.NormalizeDim(dim, Rank, "slice");
        if (step <= 0) throw new ArgumentException($"slice: step must be positive, got {step}", nameof(step));
        int size = _shape[d];
        int s = Clamp(start ?? 0), e = Clamp(end ?? size);
        int len = e > s ? (e - s + step - 1) / step : 0;
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        shape[d] = len;
        strides[d] = _strides[d] * step;
        var inputShape = _shape;
        return Function.Record(AsStrided(shape, strides, Offset + (len == 0 ? 0 : s * _strides[d])),
            () => new Functions.Slice(inputShape, d, s, step), this);

        int Clamp(int i) => Math.Clamp(i < 0 ? i + size : i, 0, size);
    }

    /// <summary>Removes every size-1 dim.</summary>
    public Tensor Squeeze()
    {
        var keep = Enumerable.Range(0, Rank).Where(i => _shape[i] != 1).ToArray();
        return RecordReshape(AsStrided(keep.Select(i => _shape[i]).ToArray(), keep.Select(i => _strides[i]).ToArray(), Offset));
    }

    /// <summary>Removes one dim if its size is 1 (and leaves the tensor as is otherwise, like PyTorch).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeMath.NormalizeDim(dim, Rank, "squeeze");
        if (Rank == 0 || _shape[d] != 1) return Alias();
        return RecordReshape(AsStrided(_shape.Where((_, i) => i != d).ToArray(), _strides.Where((_, i) => i != d).ToArray(), Offset));
    }

    /// <summary>Inserts a size-1 dim at position <paramref name="dim"/> (in [-rank-1, rank]).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeMath.NormalizeDim(dim, Rank + 1, "unsqueeze");
        var shape = _shape.ToList();
        var strides = _strides.ToList();
        shape.Insert(d, 1);
        strides.Insert(d, d < Rank ? _strides[d] * _shape[d] : 1);
        return RecordReshape(AsStrided(shape.ToArray(), strides.ToArray(), Offset));
    }

    /// <summary>Merges dims startDim..endDim into one (a view when possible).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = ShapeMath.NormalizeDim(startDim, Rank, "flatten"), e = ShapeMath.NormalizeDim(endDim, Rank, "flatten");
        if (s > e) throw new ArgumentException($"flatten: startDim {startDim} must not come after endDim {endDim}");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(_shape[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= _shape[i];
        shape.Add(merged);
        for (int i = e + 1; i < Rank; i++) shape.Add(_shape[i]);
        return Reshape(shape.ToArray());
    }
}
