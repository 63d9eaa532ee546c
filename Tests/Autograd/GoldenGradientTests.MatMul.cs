// Matrix products: dA = dC @ B^T, dB = A^T @ dC, with vectors and broadcast batch dims around the core product.
using DotGrad;

namespace DotGrad.Tests.Autograd;

public partial class GoldenGradientTests
{
    [Test]
    public void MatMul_GoldenGradient()
    {
        // L = sum(A @ B), so dC = ones: dA = ones @ B^T holds B's row sums in every row, [[11, 15], [11, 15]];
        // dB = A^T @ ones holds A's column sums in every column, [[4, 4], [6, 6]].
        var a = Leaf([1, 2, 3, 4], 2, 2);
        var b = Leaf([5, 6, 7, 8], 2, 2);
        a.MatMul(b).Sum().Backward();
        AssertClose(a.Grad, [11, 15, 11, 15]);
        AssertClose(b.Grad, [4, 4, 6, 6]);
    }

    [Test]
    public void MatMul_WithABroadcastWeight_SumsItsGradientOverTheBatch()
    {
        // A [2, 1, 2] @ B [2, 1]: dB = sum over the batch of A_b^T @ ones = [1 + 3, 2 + 4] = [4, 6].
        var a = Leaf([1, 2, 3, 4], 2, 1, 2);
        var b = Leaf([5, 6], 2, 1);
        a.MatMul(b).Sum().Backward();
        AssertClose(b.Grad, [4, 6]);
        AssertClose(a.Grad, [5, 6, 5, 6]);
    }

    [Test]
    public void MatMul_OnEveryShapeRule_MatchesCentralDifferences()
    {
        (int[] A, int[] B)[] cases =
        [
            ([3], [3]), ([2, 3], [3]), ([3], [3, 2]), ([2, 3], [3, 4]), ([2, 2, 3], [3, 4]), ([3], [2, 3, 4]),
            ([2, 1, 2, 3], [3, 3, 2]), ([2, 3, 2], [2, 2, 4]), ([1, 2, 3], [2, 3, 2]),
        ];
        int seed = 10;
        foreach (var (sa, sb) in cases)
            CheckGrad(x => x[0].MatMul(x[1]), Randn(seed++, sa), Randn(seed++, sb));
        // Non-contiguous operands: a transposed weight and a sliced batch.
        CheckGrad(x => x[0].MatMul(x[1].MT), Randn(30, 2, 3), Randn(31, 4, 3));
        CheckGrad(x => x[0].Slice(0, 0, 4, 2).MatMul(x[1]), Randn(32, 4, 2, 3), Randn(33, 3, 2));
    }

    [Test]
    public void MatMul_MatchesSecondOrderCentralDifferences()
    {
        CheckGradGrad(x => x[0].MatMul(x[1]), Randn(40, 2, 3), Randn(41, 3, 2));
        CheckGradGrad(x => x[0].MatMul(x[1]), Randn(42, 2, 2, 3), Randn(43, 3));
        CheckGradGrad(x => x[0].MatMul(x[1]), Randn(44, 2, 1, 2, 3), Randn(45, 3, 3, 2));
        // A product of the input with itself has a non-zero Hessian on one input: d2/dA2 sum((A @ A) * w).
        CheckGradGrad(x => x[0].MatMul(x[0]), Randn(46, 3, 3));
    }
}
