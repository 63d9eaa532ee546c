namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    public void MatMul(Strided a, Strided b, Strided c) => throw new NotSupportedException("pending");
}
