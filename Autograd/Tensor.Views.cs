// The tensor's differentiable views, copies and conversions, PyTorch-named. Each forwards to its function class in
// Functions/Views.cs, where the forward (stride arithmetic on the raw tensor) sits beside the backward.
using DotGrad.Backends;
using F = DotGrad.Autodiff.Functions;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with a new shape; one size may be -1 (inferred). A view when the strides allow it,
    /// otherwise a copy, like <c>torch.reshape</c>.
    /// </summary>
    public Tensor Reshape(params int[] shape) => F.Reshape.Apply(this, shape);

    /// <summary>A view with a new shape; throws when the layout does not allow one (call Contiguous or Reshape), like <c>torch.view</c>.</summary>
    public Tensor View(params int[] shape) => F.Reshape.View(this, shape);

    /// <summary>Reorders the dimensions: result dim i is this tensor's dim <c>dims[i]</c>.</summary>
    public Tensor Permute(params int[] dims) => F.Permute.Apply(this, dims);

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
            if (Rank > 2) throw new InvalidOperationException($"T: expects a tensor of rank <= 2, got shape {ShapeMath.Format(ShapeRef)}; use Transpose(-2, -1) (mT) for batches");
            return Rank < 2 ? Alias() : Transpose(0, 1);
        }
    }

    /// <summary>Transposes the last two dims (batched matrices).</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>
    /// Broadcasts size-1 dims to larger sizes without copying (stride 0); -1 keeps a size; new leading dims may be added.
    /// </summary>
    public Tensor Expand(params int[] shape) => F.Expand.Apply(this, shape);

    /// <summary>Expands to another tensor's shape.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.ShapeRef);

    /// <summary>Elements [start, start + length) along one dim, as a view (<c>torch.narrow</c>).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        var (d, from) = NormalizeNarrow(dim, start, length);
        return F.Slice.Apply(this, d, from, length, 1);
    }

    /// <summary>
    /// Python-style slice along one dim: start and end are clamped (negative ones count from the end), step &gt; 0.
    /// </summary>
    public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
    {
        var (d, s, length) = NormalizeSlice(dim, start, end, step);
        return F.Slice.Apply(this, d, s, length, step);
    }

    /// <summary>Removes every size-1 dim.</summary>
    public Tensor Squeeze() => F.Reshape.Squeeze(this);

    /// <summary>Removes one dim if its size is 1 (and leaves the tensor as is otherwise, like PyTorch).</summary>
    public Tensor Squeeze(int dim) => F.Reshape.Squeeze(this, dim);

    /// <summary>Inserts a size-1 dim at position <paramref name="dim"/> (in [-rank-1, rank]).</summary>
    public Tensor Unsqueeze(int dim) => F.Reshape.Unsqueeze(this, dim);

    /// <summary>Merges dims startDim..endDim into one (a view when possible).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = ShapeMath.NormalizeDim(startDim, Rank, "flatten"), e = ShapeMath.NormalizeDim(endDim, Rank, "flatten");
        if (s > e) throw new ArgumentException($"flatten: startDim {startDim} must not come after endDim {endDim}");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(ShapeRef[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= ShapeRef[i];
        shape.Add(merged);
        for (int i = e + 1; i < Rank; i++) shape.Add(ShapeRef[i]);
        return Reshape(shape.ToArray());
    }

    /// <summary>A contiguous tensor with these elements: a view when the layout already is contiguous, else a copy.</summary>
    public Tensor Contiguous() => IsContiguous ? Alias() : Clone();

    /// <summary>A contiguous copy with its own storage (PyTorch's <c>clone()</c>); gradients pass straight through.</summary>
    public Tensor Clone() => F.Identity.Clone(this);

    /// <summary>A new view of the same elements, linked to this tensor in the graph.</summary>
    internal Tensor Alias() => F.Identity.Alias(this);

    /// <summary>A copy converted to another dtype (a view when the dtype already matches); differentiable between float types.</summary>
    public Tensor To(DType dtype) => F.Cast.Apply(this, dtype);

    /// <summary>A copy on another device (a view when it is already there); gradients are copied back.</summary>
    public Tensor To(Device device) => F.ToDevice.Apply(this, device);

    public Tensor Float() => To(DType.Float32);
    public Tensor Double() => To(DType.Float64);
    public Tensor Int() => To(DType.Int32);

    /// <summary>To Int64, PyTorch's <c>.long()</c>.</summary>
    public Tensor Long() => To(DType.Int64);
}
