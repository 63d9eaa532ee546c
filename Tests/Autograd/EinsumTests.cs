// einsum against products worked out by hand: explicit and implicit outputs (PyTorch's alphabetical order), traces
// and diagonals, "..." and size-1 broadcasting, several operands, gradients, and an error naming each bad equation.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Autograd;

public class EinsumTests
{
    private static Tensor M(double[] v, params int[] shape) => Tensor.FromArray(v, shape, Device.Cpu);

    /// <summary>a = [[1, 2], [3, 4]], b = [[5, 6], [7, 8]].</summary>
    private static (Tensor A, Tensor B) Pair() => (M([1, 2, 3, 4], 2, 2), M([5, 6, 7, 8], 2, 2));

    [Test]
    public void MatrixProduct_ExplicitAndImplicit()
    {
        // a @ b = [[1*5 + 2*7, 1*6 + 2*8], [3*5 + 4*7, 3*6 + 4*8]] = [[19, 22], [43, 50]].
        var (a, b) = Pair();
        Close(Tensor.Einsum("ij,jk->ik", a, b), [2, 2], [19, 22, 43, 50]);
        Close(Tensor.Einsum("ij,jk", a, b), [2, 2], [19, 22, 43, 50]);      // implicit: i and k appear once
        Close(Tensor.Einsum(" ij , jk -> ki ", a, b), [2, 2], [19, 43, 22, 50]); // spaces ignored; transposed output
    }

    [Test]
    public void ImplicitOutput_IsAlphabetical_UpperCaseFirst()
    {
        var (a, _) = Pair();
        // "ji": the implicit output is "ij", so dim 1 of a comes first: a transposed.
        Close(Tensor.Einsum("ji", a), [2, 2], [1, 3, 2, 4]);
        // "aB": upper case sorts before lower case (labels A-Z, then a-z), so the output is "Ba": a transpose.
        using var r = M([1, 2, 3, 4, 5, 6], 2, 3);
        Close(Tensor.Einsum("aB", r), [3, 2], [1, 4, 2, 5, 3, 6]);
    }

    [Test]
    public void RepeatedSubscript_TakesTheDiagonal_OrTheTrace()
    {
        var (a, _) = Pair();
        Close(Tensor.Einsum("ii", a), [], [5]);           // trace 1 + 4
        Close(Tensor.Einsum("ii->i", a), [2], [1, 4]);    // diagonal
        using var v = M([10, 100], 2);
        Close(Tensor.Einsum("ii,i->i", a, v), [2], [10, 400]); // diagonal times v
        // x[i, j, i] over a 2x3x2 block: x = arange(12); x[0, j, 0] = 2j, x[1, j, 1] = 6 + 2j + 1.
        using var x = Tensor.Arange(0, 12, 1, DType.Float64).Reshape(2, 3, 2);
        Close(Tensor.Einsum("iji->ij", x), [2, 3], [0, 2, 4, 7, 9, 11]);
    }

    [Test]
    public void OuterProduct_Sums_AndThreeOperands()
    {
        using var u = M([1, 2], 2);
        using var w = M([3, 4, 5], 3);
        Close(Tensor.Einsum("i,j->ij", u, w), [2, 3], [3, 4, 5, 6, 8, 10]);
        var (a, b) = Pair();
        Close(Tensor.Einsum("ij->", a), [], [10]);
        Close(Tensor.Einsum("ij->j", a), [2], [4, 6]);    // column sums 1+3, 2+4
        Close(Tensor.Einsum("ij,ij", a, b), [], [70]);    // 5 + 12 + 21 + 32
        // sum_i p_i q_i r_i = 1*3*5 + 2*4*6 = 63
        Close(Tensor.Einsum("i,i,i->", u, M([3, 4], 2), M([5, 6], 2)), [], [63]);
        // (a @ b) @ a = [[19, 22], [43, 50]] @ [[1, 2], [3, 4]] = [[85, 126], [193, 286]]
        Close(Tensor.Einsum("ij,jk,kl->il", a, b, a), [2, 2], [85, 126, 193, 286]);
    }

    [Test]
    public void Ellipsis_BroadcastsLeadingDims_AndIsSummedWhenTheOutputLeavesItOut()
    {
        // A batch of 2 matrices against one b: "...ij,...jk" is a batched matmul with b broadcast.
        var (a, b) = Pair();
        using var batch = Tensor.Stack([a, a * 2.0]);     // [2, 2, 2]
        Close(Tensor.Einsum("...ij,...jk->...ik", batch, b), [2, 2, 2], [19, 22, 43, 50, 38, 44, 86, 100]);
        Close(Tensor.Einsum("...ij,...jk", batch, b), [2, 2, 2], [19, 22, 43, 50, 38, 44, 86, 100]);
        // "...i->i" over a [2, 2] matrix sums the leading dim away: column sums.
        Close(Tensor.Einsum("...i->i", a), [2], [4, 6]);
        // "i...->..." sums the first dim and keeps the rest.
        Close(Tensor.Einsum("i...->...", batch), [2, 2], [3, 6, 9, 12]);
    }

    [Test]
    public void SizeOneDims_Broadcast()
    {
        // b is [1, 2, 2]: broadcast over a batch of 2.
        var (a, b) = Pair();
        using var batch = Tensor.Stack([a, a * 2.0]);
        using var b1 = b.Reshape(1, 2, 2);
        Close(Tensor.Einsum("bij,bjk->bik", batch, b1), [2, 2, 2], [19, 22, 43, 50, 38, 44, 86, 100]);
        // A contracted dim of size 1 on one side: sum_j u[i, 0] w[j, k] = u[i] * (column sums of w).
        using var u = M([1, 2], 2, 1);
        Close(Tensor.Einsum("ij,jk->ik", u, b), [2, 2], [12, 14, 24, 28]);
    }

    [Test]
    public void Gradients_AreThoseOfTheProduct()
    {
        // L = sum(a @ b): dL/da = ones @ b^T (row sums of b: 11, 15), dL/db = a^T @ ones (column sums of a... per row k: 4, 6).
        var (a0, b0) = Pair();
        var a = a0.RequireGrad();
        var b = b0.RequireGrad();
        Tensor.Einsum("ij,jk->ik", a, b).Sum().Backward();
        Close(a.Grad!, [2, 2], [11, 15, 11, 15]);
        Close(b.Grad!, [2, 2], [4, 4, 6, 6]);
    }

    [TestCase("ij,jk->ik", 1, "subscripts for 2 operand(s) but 1 were given")]
    [TestCase("ijk", 1, "rank 2")]
    [TestCase("i$j", 1, "'$'")]
    [TestCase("ij->ii", 1, "more than once")]
    [TestCase("ij->k", 1, "which no operand has")]
    [TestCase("i..j", 1, "not part of '...'")]
    [TestCase("...i...", 1, "'...' more than once")]
    [TestCase("ij->i->j", 1, "more than one '->'")]
    [TestCase("ij,ij->ij", 2, "sizes must agree or be 1")]
    [TestCase("ii", 3, "a diagonal needs equal sizes")]
    public void BadEquations_AreRefusedWithTheReason(string equation, int which, string message)
    {
        var operands = which switch
        {
            1 => new[] { M([1, 2, 3, 4, 5, 6], 2, 3) },
            2 => new[] { M([1, 2, 3, 4, 5, 6], 2, 3), M([1, 2, 3, 4, 5, 6], 3, 2) },
            _ => new[] { M([1, 2, 3, 4, 5, 6], 2, 3) },
        };
        var e = Assert.Throws<ArgumentException>(() => Tensor.Einsum(equation, operands));
        Assert.That(e!.Message, Does.StartWith("einsum:").And.Contain(message));
    }

    [Test]
    public void NoOperands_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Einsum("i"));
        Assert.That(e!.Message, Does.Contain("einsum").And.Contain("at least one operand"));
    }
}
