// Cumulative sum along a dim, forward and backward: the backward of a cumsum is a cumsum from the other end.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// Inclusive cumulative sum along a dim, <c>torch.cumsum</c>: y_i = x_0 + ... + x_i (negative dims count from the
/// end; a 0-d tensor takes dim 0 or -1). With <c>reverse</c> (internal: the backward) y_i = x_i + ... + x_(n-1).
/// d/dx: dX_j = sum over i &gt;= j of dY_i, the reverse cumsum of dY (PyTorch's <c>reversed_cumsum</c>); the reverse
/// cumsum's backward is the forward one, so the pair differentiates any number of times.
/// One kernel per backend (a running total per line); Float32 accumulates in double, as PyTorch's CPU kernel does.
/// </summary>
public sealed class CumSum(int axis, bool reverse) : Function
{
    /// <summary>The backward needs only the dim, so in-place writes into the input afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    /// <summary>
    /// cumsum(x, dim, dtype): with <paramref name="dtype"/> the input is cast to it first (PyTorch's <c>dtype=</c>).
    /// Without, floats keep their dtype and Bool, Int32 and Int64 inputs give Int64, as PyTorch promotes them.
    /// </summary>
    public static Tensor Apply(Tensor x, int dim, DType? dtype = null)
    {
        var target = dtype ?? (x.DType is DType.Bool or DType.Int32 ? DType.Int64 : x.DType);
        if (target != x.DType) x = x.To(target);
        int axis = ShapeMath.NormalizeDim(dim, Math.Max(x.Rank, 1), "cumsum");
        return Run(x, axis, reverse: false);
    }

    private static Tensor Run(Tensor x, int axis, bool reverse)
    {
        var y = RawOps.CumSum(x, axis, reverse);
        return Record(y, () => new CumSum(axis, reverse), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [Run(dOut, axis, !reverse)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<CumSum>("reduce")
        .Op("cumsum_last", x => x[0].CumSum(-1), d => d.Unary(-2, 2))
        .Op("cumsum_first", x => x[0].CumSum(0), d => d.Unary(-2, 2, minRank: 1))
        // Squaring makes the second-order check see a non-zero Hessian through both the cumsum and its backward.
        .Op("cumsum_squared", x => x[0].CumSum(-2).Square(), d => d.Unary(-2, 2, minRank: 2), uses: [typeof(Square)]);
}
