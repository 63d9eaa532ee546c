// Attention on OpenCL: no kernel of its own yet. Both directions run the composite (batched matmuls, a softmax from
// reductions and elementwise kernels), which keeps every operand on the device.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>The composite (<see cref="CompositeKernels.Attention"/>): no OpenCL attention kernel is written.</summary>
    public void Attention(Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal) =>
        new CompositeKernels(this).Attention(q, k, v, o, lse, scale, causal);

    /// <summary>The composite (<see cref="CompositeKernels.AttentionBackward"/>): no OpenCL attention kernel is written.</summary>
    public void AttentionBackward(Strided dO, Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal,
                                  Strided dq, Strided dk, Strided dv) =>
        new CompositeKernels(this).AttentionBackward(dO, q, k, v, o, lse, scale, causal, dq, dk, dv);
}
