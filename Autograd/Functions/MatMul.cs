// Matrix products: 1-D, 2-D, batched and broadcast, with PyTorch's matmul rules. When recording, vectors are
// unsqueezed and batch dims broadcast by differentiable views around one core product of equal batch shapes.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// a @ b (<c>torch.matmul</c>): vectors are promoted to one-row / one-column matrices and that dim dropped from
/// the result; leading dims broadcast as batch dims. The recorded core is C = A @ B on operands [..., M, K] and
/// [..., K, N] with one batch shape: dA = dC @ B^T, dB = A^T @ dC. Unsqueeze, Expand (whose backward sums over the
/// broadcast batches) and the final squeeze are separate view nodes.
/// </summary>
public sealed class MatMul : Function
{
    public static Tensor Apply(Tensor a, Tensor b)
    {
        if (!Autograd.IsRecording([a, b])) return RawOps.MatMul(a, b);
        Tensor c;
        using (Autograd.Pause()) c = RawOps.MatMul(a, b); // validates, and is the core's result up to a reshape
        int K = a.ShapeRef[^1];
        var outShape = c.ShapeRef;
        // A weight shared by every batch ([..., M, K] @ [K, N]): one [rows, K] @ [K, N] product, so that dB is a
        // single GEMM rather than a batch of them summed by Expand's backward.
        if (a.Rank > 2 && b.Rank == 2)
        {
            int rows = ShapeMath.Count(a.ShapeRef[..^1]);
            var c2 = Core(a.Reshape(rows, K), b, c, [rows, b.ShapeRef[1]]); // [rows, N]
            return c2.Reshape(outShape);
        }
        var A = a.Rank == 1 ? a.Unsqueeze(0) : a;  // [..., M, K]
        var B = b.Rank == 1 ? b.Unsqueeze(-1) : b; // [..., K, N]
        int M = A.ShapeRef[^2], N = B.ShapeRef[^1];
        var batch = ShapeMath.Broadcast(A.ShapeRef[..^2], B.ShapeRef[..^2], "matmul");
        A = BinaryFunction.Conform(A, A.DType, [.. batch, M, K]);
        B = BinaryFunction.Conform(B, B.DType, [.. batch, K, N]);
        var C = Core(A, B, c, [.. batch, M, N]); // [..., M, N]
        return C.ShapeRef.SequenceEqual(outShape) ? C : C.Reshape(outShape);
    }

    /// <summary>Records the core product A @ B, whose value <paramref name="c"/> was computed already, as shape <paramref name="shape"/> (c is released).</summary>
    private static Tensor Core(Tensor A, Tensor B, Tensor c, int[] shape)
    {
        Tensor C;
        using (Autograd.Pause())
        using (c)
            C = c.Reshape(shape); // a view: the kernel's result is contiguous
        return Record(C, () => new MatMul(), A, B);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var (A, B) = (Inputs[0], Inputs[1]);
        return [A.RequiresGrad ? dOut.MatMul(B.MT) : null, B.RequiresGrad ? A.MT.MatMul(dOut) : null];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<MatMul>("matmul")
        .Op("matmul_1d", x => x[0].MatMul(x[1]), d => d.MatMul([], [], true))
        .Op("matmul_2d", x => x[0].MatMul(x[1]), d => d.MatMul([], [], false))
        .Op("matmul_vector_matrix", x => x[0].MatMul(x[1]), d => d.MatMulVector(vectorFirst: true))
        .Op("matmul_matrix_vector", x => x[0].MatMul(x[1]), d => d.MatMulVector(vectorFirst: false))
        .Op("matmul_batched", x => x[0].MatMul(x[1]), d => d.MatMul([2], [2], false))
        .Op("matmul_broadcast", x => x[0].MatMul(x[1]), d => d.MatMul([2, 1], [3], false));
}
