// The training-step kernels (activation, softmax and cross-entropy backwards, optimizer updates) on OpenCL. No
// OpenCL kernels are written for them yet: each runs its composite explicitly, the device's own elementwise,
// reduction and gather kernels in a few passes, so it gives what the CPU's one-pass kernels give, to rounding.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>The composite form (<see cref="CompositeKernels.ActivationBackward"/>); no OpenCL kernel of its own yet.</summary>
    public void ActivationBackward(ActivationKind kind, Strided x, Strided dy, Strided dx) =>
        new CompositeKernels(this).ActivationBackward(kind, x, dy, dx);

    /// <summary>The composite form (<see cref="CompositeKernels.SoftmaxBackward"/>); no OpenCL kernel of its own yet.</summary>
    public void SoftmaxBackward(Strided y, Strided dy, Strided dx, int axis, bool log) =>
        new CompositeKernels(this).SoftmaxBackward(y, dy, dx, axis, log);

    /// <summary>The composite form (<see cref="CompositeKernels.CrossEntropy"/>); no OpenCL kernel of its own yet.</summary>
    public void CrossEntropy(Strided x, Strided labels, Strided loss, int ignoreIndex, double eps) =>
        new CompositeKernels(this).CrossEntropy(x, labels, loss, ignoreIndex, eps);

    /// <summary>The composite form (<see cref="CompositeKernels.CrossEntropyBackward"/>); no OpenCL kernel of its own yet.</summary>
    public void CrossEntropyBackward(Strided x, Strided labels, Strided rowWeight, Strided dx, double eps) =>
        new CompositeKernels(this).CrossEntropyBackward(x, labels, rowWeight, dx, eps);

    /// <summary>The composite form (<see cref="CompositeKernels.AdamStep"/>); no OpenCL kernel of its own yet.</summary>
    public void AdamStep(Strided p, Strided g, Strided m, Strided v, Strided? maxV, double lr, double wd, bool decoupled,
                         double beta1, double beta2, double eps, double bias1, double bias2) =>
        new CompositeKernels(this).AdamStep(p, g, m, v, maxV, lr, wd, decoupled, beta1, beta2, eps, bias1, bias2);

    /// <summary>The composite form (<see cref="CompositeKernels.SgdStep"/>); no OpenCL kernel of its own yet.</summary>
    public void SgdStep(Strided p, Strided g, Strided? buf, double lr, double wd, double momentum, double dampening, bool nesterov, bool firstStep) =>
        new CompositeKernels(this).SgdStep(p, g, buf, lr, wd, momentum, dampening, nesterov, firstStep);
}
