namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp> => throw new NotSupportedException("pending");
    public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max) => throw new NotSupportedException("pending");
    public void Softmax(Strided x, Strided y, int axis, bool log) => throw new NotSupportedException("pending");
    public void IndexSelect(Strided x, int axis, Strided index, Strided y) => throw new NotSupportedException("pending");
    public void Gather(Strided x, int axis, Strided index, Strided y) => throw new NotSupportedException("pending");
    public void ScatterAdd(Strided y, int axis, Strided index, Strided src) => throw new NotSupportedException("pending");
    public void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset) => throw new NotSupportedException("pending");
}
