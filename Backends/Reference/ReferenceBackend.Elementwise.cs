// Reference elementwise kernels: unary, binary, comparisons and where, one element at a time.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed unsafe partial class ReferenceBackend
{
    public void Unary<TOp>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp>
    {
        void* xp = ((HostStorage)x.Storage).Pointer, yp = ((HostStorage)y.Storage).Pointer;
        for (int i = 0, n = y.Count; i < n; i++)
        {
            int xo = OffsetOf(i, x), yo = OffsetOf(i, y);
            switch (y.DType)
            {
                case DType.Float32: ((float*)yp)[yo] = TOp.Invoke(((float*)xp)[xo]); break;
                case DType.Float64: ((double*)yp)[yo] = TOp.Invoke(((double*)xp)[xo]); break;
                case DType.Int32: ((int*)yp)[yo] = TOp.Invoke(((int*)xp)[xo]); break;
                case DType.Int64: ((long*)yp)[yo] = TOp.Invoke(((long*)xp)[xo]); break;
                default: throw new NotSupportedException($"{TOp.Name}: dtype {y.DType}");
            }
        }
    }

    public void Binary<TOp>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp>
    {
        void* ap = ((HostStorage)a.Storage).Pointer, bp = ((HostStorage)b.Storage).Pointer, yp = ((HostStorage)y.Storage).Pointer;
        for (int i = 0, n = y.Count; i < n; i++)
        {
            int ao = OffsetOf(i, a), bo = OffsetOf(i, b), yo = OffsetOf(i, y);
            switch (y.DType)
            {
                case DType.Float32: ((float*)yp)[yo] = TOp.Invoke(((float*)ap)[ao], ((float*)bp)[bo]); break;
                case DType.Float64: ((double*)yp)[yo] = TOp.Invoke(((double*)ap)[ao], ((double*)bp)[bo]); break;
                case DType.Int32: ((int*)yp)[yo] = TOp.Invoke(((int*)ap)[ao], ((int*)bp)[bo]); break;
                case DType.Int64: ((long*)yp)[yo] = TOp.Invoke(((long*)ap)[ao], ((long*)bp)[bo]); break;
                default: throw new NotSupportedException($"{TOp.Name}: dtype {y.DType}");
            }
        }
    }

    public void Compare<TOp>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp>
    {
        void* ap = ((HostStorage)a.Storage).Pointer, bp = ((HostStorage)b.Storage).Pointer;
        byte* yp = (byte*)((HostStorage)y.Storage).Pointer;
        for (int i = 0, n = y.Count; i < n; i++)
        {
            int ao = OffsetOf(i, a), bo = OffsetOf(i, b);
            bool r = a.DType switch
            {
                DType.Float32 => TOp.Invoke(((float*)ap)[ao], ((float*)bp)[bo]),
                DType.Float64 => TOp.Invoke(((double*)ap)[ao], ((double*)bp)[bo]),
                DType.Int32 => TOp.Invoke(((int*)ap)[ao], ((int*)bp)[bo]),
                DType.Int64 => TOp.Invoke(((long*)ap)[ao], ((long*)bp)[bo]),
                DType.Bool => TOp.Invoke((int)((byte*)ap)[ao], ((byte*)bp)[bo]),
                _ => throw new NotSupportedException($"{TOp.Name}: dtype {a.DType}"),
            };
            yp[OffsetOf(i, y)] = r ? (byte)1 : (byte)0;
        }
    }

    public void Where(Strided cond, Strided a, Strided b, Strided y)
    {
        byte* c = (byte*)((HostStorage)cond.Storage).Pointer;
        for (int i = 0, n = y.Count; i < n; i++)
        {
            bool pick = c[OffsetOf(i, cond)] != 0;
            var src = pick ? a : b;
            CopyElement(src.Storage, OffsetOf(i, src), y.Storage, OffsetOf(i, y));
        }
    }
}
