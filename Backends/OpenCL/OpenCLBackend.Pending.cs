namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp> => throw new NotSupportedException("pending");
    public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max) => throw new NotSupportedException("pending");
    public void Softmax(Strided x, Strided y, int axis, bool log) => throw new NotSupportedException("pending");
    public void MatMul(Strided a, Strided b, Strided c) => throw new NotSupportedException("pending");
}
