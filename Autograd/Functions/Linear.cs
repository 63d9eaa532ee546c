// A linear layer as one graph node: y = x W^T + b computed by one GEMM that adds the bias in the same pass, and the
// three gradients side by side. The composition it replaces is x.MatMul(W.MT) + b (two nodes and two full outputs).
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// <c>y = x W^T + b</c> over the last dim (PyTorch's <c>F.linear</c>), x [..., K], W [N, K], b [N]. With the rows of
/// x folded into one matrix X [M, K] and dY [M, N]: dX = dY W, dW = dY^T X, db = the column sums of dY. The backward
/// is written with tensor ops (two matrix products and a sum), so it is differentiable again.
/// </summary>
public sealed class LinearFused : Function
{
    /// <summary>Arguments as <see cref="Functional.Linear"/>; the kernel validates them.</summary>
    internal static Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        var y = RawOps.Linear(x, weight, bias);
        return bias is null ? Record(y, () => new LinearFused(), x, weight) : Record(y, () => new LinearFused(), x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var (x, weight) = (Inputs[0], Inputs[1]);
        int N = weight.ShapeRef[0], K = weight.ShapeRef[1], M = ShapeMath.Count(x.ShapeRef[..^1]);
        var dY = dOut.Reshape(M, N);                                                   // [..., N] -> [M, N]
        var dx = x.RequiresGrad ? dY.MatMul(weight).Reshape(x.ShapeRef) : null;        // [M, N] @ [N, K] -> [..., K]
        var dw = weight.RequiresGrad ? dY.MT.MatMul(x.Reshape(M, K)) : null;           // [N, M] @ [M, K] -> [N, K]
        if (Inputs.Count == 2) return [dx, dw];
        var db = Inputs[2].RequiresGrad ? dY.Sum(0) : null;                            // [N]
        return [dx, dw, db];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<LinearFused>("matmul")
        .Op("linear", x => Functional.Linear(x[0], x[1], x[2]), d => d.LinearSample(withBias: true, rank: 2))
        .Op("linear_batched", x => Functional.Linear(x[0], x[1], x[2]), d => d.LinearSample(withBias: true, rank: 3))
        .Op("linear_vector", x => Functional.Linear(x[0], x[1], x[2]), d => d.LinearSample(withBias: true, rank: 1))
        .Op("linear_no_bias", x => Functional.Linear(x[0], x[1]), d => d.LinearSample(withBias: false, rank: 3));
}
