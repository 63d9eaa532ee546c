// The tensor's scan, sort and contraction methods, PyTorch-named: cumsum, sort, argsort, topk, einsum.
using F = DotGrad.Autodiff.Functions;

using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>
    /// Inclusive cumulative sum along <paramref name="dim"/> (<c>torch.cumsum</c>; negative dims count from the end).
    /// With <paramref name="dtype"/> the input is cast first. Without, integer inputs stay Int32 (PyTorch gives int64).
    /// </summary>
    public Tensor CumSum(int dim, DType? dtype = null) => F.CumSum.Apply(this, dim, dtype);

    /// <summary>
    /// The values along <paramref name="dim"/> in order, and the positions they came from (<c>torch.sort</c>, the same
    /// defaults). Always stable: equal values keep their order of position, whatever <paramref name="stable"/> says.
    /// A NaN sorts as the largest value. Indices are <see cref="F.Sort.IndexDType"/>.
    /// </summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false, bool stable = false) =>
        F.Sort.Apply(this, dim, descending);

    /// <summary>The positions that sort the values along <paramref name="dim"/> (<c>torch.argsort</c>): Sort's indices.</summary>
    public Tensor Argsort(int dim = -1, bool descending = false, bool stable = false)
    {
        var (values, indices) = RawOps.Sort(this, dim, descending);
        values.Dispose();
        return F.Sort.Public(indices);
    }

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their positions
    /// (<c>torch.topk</c>, the same defaults), largest first (smallest first when not <paramref name="largest"/>).
    /// Ties go to the lower position first. <paramref name="sorted"/> = false returns them sorted too. Throws unless
    /// 0 &lt;= k &lt;= the dim's size.
    /// </summary>
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true, bool sorted = true) =>
        F.TopK.Apply(this, k, dim, largest);

    /// <summary>
    /// Einstein summation (<c>torch.einsum</c>): <c>Tensor.Einsum("ij,jk-&gt;ik", a, b)</c> is a @ b. Explicit and
    /// implicit outputs, any number of operands, diagonals of a repeated letter, "..." and size-1 broadcasting: see
    /// <see cref="Autodiff.Einsum"/>. Differentiable (built from permute, reshape, sum, mul and matmul).
    /// </summary>
    public static Tensor Einsum(string equation, params Tensor[] operands) => Autodiff.Einsum.Apply(equation, operands);
}
