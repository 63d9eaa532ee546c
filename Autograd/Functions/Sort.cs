// Sorting along a dim: sort (values and the positions they came from) and topk, its first k. The values are
// differentiable: each output element is one input element, so the gradient goes back to the position it came from.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// <c>torch.sort(x, dim=-1, descending=False, stable=False)</c>: the values of each line along the dim in order, and
/// the positions they came from. The sort is always stable: equal values keep their order of position, ascending
/// or descending (so <c>stable</c> changes nothing; PyTorch leaves the order of ties unspecified without it). A NaN
/// sorts above every number, last ascending and first descending, as in PyTorch; -0 and +0 are equal.
/// d/dx: the values are a permutation of x along the dim, so dX[.., indices[.., r, ..], ..] = dY[.., r, ..]: dY
/// scattered back to the positions (a scatter_add into zeros, linear in dY, so second derivatives work).
/// </summary>
public sealed class Sort(int axis, Tensor indices) : Function
{
    /// <summary>
    /// The dtype of the indices sort, argsort and topk return: Int64, as PyTorch's. The one place that decides it;
    /// the kernels write Int32 positions (a line is shorter than 2^31), and results are cast to this.
    /// </summary>
    public static DType IndexDType => DType.Int64;

    /// <summary>The backward needs only the positions, so in-place writes into the input afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static (Tensor Values, Tensor Indices) Apply(Tensor x, int dim, bool descending)
    {
        var (values, indices) = RawOps.Sort(x, dim, descending);
        if (!Autograd.IsRecording([x])) return (values, Public(indices));
        int axis = ShapeMath.NormalizeDim(dim, Math.Max(x.Rank, 1), "sort");
        Tensor own; // a handle of our own on the positions: the caller may dispose (or write into) theirs
        using (Autograd.Pause()) own = indices.Clone();
        return (Record(values, () => new Sort(axis, own), x), Public(indices));
    }

    /// <summary>The positions as the user gets them, in <see cref="IndexDType"/>.</summary>
    internal static Tensor Public(Tensor indices)
    {
        if (indices.DType == IndexDType) return indices;
        using (indices) return indices.To(IndexDType);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        if (dOut.Rank == 0) return [dOut]; // one element sorts to itself
        var zeros = Tensor.Zeros(dOut.ShapeRef, dOut.DType, dOut.Device);
        return [zeros.ScatterAdd(axis, indices, dOut)];
    }

    protected override void ReleaseSaved() => indices.Dispose();

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sort>("index")
        // Distinct values: the sort is piecewise linear, and a finite-difference step must not reorder a tie.
        .Op("sort", x => x[0].Sort().Values, d => d.One(d.Distinct(d.Shape())), uses: [typeof(ScatterAdd)])
        .Op("sort_descending_dim0", x => x[0].Sort(0, descending: true).Values.Square(), d => d.One(d.Distinct(d.Shape(minRank: 1))),
            uses: [typeof(ScatterAdd), typeof(Square)])
        .Op("topk", x => x[0].TopK(1).Values, d => d.One(d.Distinct(d.Shape(minRank: 1))), uses: [typeof(ScatterAdd), typeof(Slice)])
        .Op("topk_smallest_dim0", x => x[0].TopK(1, dim: 0, largest: false).Values.Square(), d => d.One(d.Distinct(d.Shape(minRank: 1))),
            uses: [typeof(ScatterAdd), typeof(Slice), typeof(Square)]);
}

/// <summary>
/// <c>torch.topk(x, k, dim=-1, largest=True, sorted=True)</c>: the k largest (or smallest) values along the dim
/// and their positions, in order. Built as a stable <see cref="Sort"/> (descending for the largest) and its first k
/// along the dim: O(n log n) per line rather than a selection's O(n), in exchange for one kernel per backend and a
/// gradient for free (through the sort's scatter and the narrowing's slice). Ties go to the lower position first, a
/// NaN counts as the largest value (as in PyTorch); <c>sorted=false</c> returns them sorted too (PyTorch leaves that
/// order unspecified). k must be in [0, size of the dim].
/// </summary>
public static class TopK
{
    public static (Tensor Values, Tensor Indices) Apply(Tensor x, int k, int dim, bool largest)
    {
        int axis = ShapeMath.NormalizeDim(dim, Math.Max(x.Rank, 1), "topk");
        int size = x.Rank == 0 ? 1 : x.ShapeRef[axis];
        if (k < 0 || k > size)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"topk: k must be in [0, {size}] (the size of dim {axis} of shape {ShapeMath.Format(x.ShapeRef)}), got k = {k}");
        var (values, indices) = Sort.Apply(x, axis, descending: largest);
        if (x.Rank == 0 || k == size) return (values, indices);
        // The first k along the dim, copied out (as PyTorch returns new tensors). The full sort is released unless
        // it is in the graph, which then holds it (the scope, or the collector, frees it with the graph).
        var valuesView = values.Narrow(axis, 0, k);
        var top = valuesView.Clone();
        Tensor topIndices;
        using (indices)
        using (var indicesView = indices.Narrow(axis, 0, k))
            topIndices = indicesView.Clone();
        if (top.GradFn is null)
        {
            valuesView.Dispose();
            values.Dispose();
        }
        return (top, topIndices);
    }
}
