// TEMPORARY: the SIMD CPU backend delegates to the reference loops until its kernels land.
using DotGrad.Backends.Reference;

namespace DotGrad.Backends.Cpu;

public sealed class CpuBackend : IBackend
{
    public static CpuBackend Instance { get; } = new();
    private static readonly ReferenceBackend R = ReferenceBackend.Instance;
    public Device Device => Device.Cpu;
    public Storage Allocate(DType dtype, int length, bool zero = false) => new HostStorage(dtype, length, Device, zero);
    public void Write(Storage destination, ReadOnlySpan<byte> source) => R.Write(destination, source);
    public void Read(Storage source, Span<byte> destination) => R.Read(source, destination);
    public void Fill(Strided y, double value) => R.Fill(y, value);
    public void Copy(Strided x, Strided y) => R.Copy(x, y);
    public void Unary<TOp>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp> => R.Unary<TOp>(x, y);
    public void Binary<TOp>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp> => R.Binary<TOp>(a, b, y);
    public void Compare<TOp>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp> => R.Compare<TOp>(a, b, y);
    public void Where(Strided cond, Strided a, Strided b, Strided y) => R.Where(cond, a, b, y);
    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp> => R.Reduce<TOp>(x, y, axes);
    public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max) => R.ArgReduce(x, values, indices, axis, max);
    public void Softmax(Strided x, Strided y, int axis, bool log) => R.Softmax(x, y, axis, log);
    public void MatMul(Strided a, Strided b, Strided c) => R.MatMul(a, b, c);
    public void IndexSelect(Strided x, int axis, Strided index, Strided y) => R.IndexSelect(x, axis, index, y);
    public void Gather(Strided x, int axis, Strided index, Strided y) => R.Gather(x, axis, index, y);
    public void ScatterAdd(Strided y, int axis, Strided index, Strided src) => R.ScatterAdd(y, axis, index, src);
    public void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset) => R.FillRandom(y, kind, a, b, seed, offset);
}
