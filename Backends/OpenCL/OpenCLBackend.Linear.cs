// A linear layer's forward on an OpenCL device: the device's GEMM, then the bias added in a second kernel.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>
    /// y = x W^T + b as the composite does it (<see cref="CompositeKernels.Linear"/>): the tiled GEMM kernel reads W
    /// transposed through its strides, and a broadcast add follows. A GEMM whose stores add the bias would save that
    /// pass; the device is fast enough at elementwise work that it has not been written yet.
    /// </summary>
    public void Linear(Strided x, Strided weight, Strided? bias, Strided y) => new CompositeKernels(this).Linear(x, weight, bias, y);
}
