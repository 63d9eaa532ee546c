// Elementwise kernels (unary, binary, compare, where): contiguous runs go to the operators' span (SIMD) forms,
// broadcast runs to their span-scalar forms, anything else to a strided scalar loop.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Unary<TOp>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp>
    {
        switch (y.DType)
        {
            case DType.Float32: Unary<TOp, float>(x, y); break;
            case DType.Float64: Unary<TOp, double>(x, y); break;
            case DType.Int32: Unary<TOp, int>(x, y); break;
            case DType.Int64: Unary<TOp, long>(x, y); break;
            default: throw Unsupported(TOp.Name, y.DType);
        }
    }

    private static void Unary<TOp, T>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp> where T : unmanaged
    {
        var loop = StridedLoop.Over(x, y);
        loop.Run(new UnaryKernel<TOp, T>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer,
            Sx = loop.InnerStrides[0], Sy = loop.InnerStrides[1],
        });
    }

    private struct UnaryKernel<TOp, T> : IStridedKernel where TOp : struct, IUnaryOperator<TOp> where T : unmanaged
    {
        public T* X, Y;
        public int Sx, Sy;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* x = X + o[0], y = Y + o[1];
            if (Sx == 1 && Sy == 1) TypedOperators.Unary<TOp, T>(new ReadOnlySpan<T>(x, n), new Span<T>(y, n));
            else for (int i = 0; i < n; i++) y[i * Sy] = TypedOperators.Unary<TOp, T>(x[i * Sx]);
        }
    }

    public void Binary<TOp>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp>
    {
        switch (y.DType)
        {
            case DType.Float32: Binary<TOp, float>(a, b, y); break;
            case DType.Float64: Binary<TOp, double>(a, b, y); break;
            case DType.Int32: Binary<TOp, int>(a, b, y); break;
            case DType.Int64: Binary<TOp, long>(a, b, y); break;
            default: throw Unsupported(TOp.Name, y.DType);
        }
    }

    private static void Binary<TOp, T>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp> where T : unmanaged
    {
        var loop = StridedLoop.Over(y, a, b);
        loop.Run(new BinaryKernel<TOp, T>
        {
            Y = (T*)((HostStorage)y.Storage).Pointer, A = (T*)((HostStorage)a.Storage).Pointer, B = (T*)((HostStorage)b.Storage).Pointer,
            Sy = loop.InnerStrides[0], Sa = loop.InnerStrides[1], Sb = loop.InnerStrides[2],
        });
    }

    private struct BinaryKernel<TOp, T> : IStridedKernel where TOp : struct, IBinaryOperator<TOp> where T : unmanaged
    {
        public T* Y, A, B;
        public int Sy, Sa, Sb;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* y = Y + o[0], a = A + o[1], b = B + o[2];
            if (Sy == 1)
            {
                var ys = new Span<T>(y, n);
                if (Sa == 1 && Sb == 1)
                {
                    TypedOperators.Binary<TOp, T>(new ReadOnlySpan<T>(a, n), new ReadOnlySpan<T>(b, n), ys);
                    return;
                }
                // A stride of 0 is a broadcast value (x * 2, or a row/column broadcast after coalescing).
                if (Sa == 1 && Sb == 0 && TypedOperators.Binary<TOp, T>(new ReadOnlySpan<T>(a, n), *b, ys)) return;
                if (Sa == 0 && Sb == 1 && TypedOperators.Binary<TOp, T>(*a, new ReadOnlySpan<T>(b, n), ys)) return;
            }
            for (int i = 0; i < n; i++) y[i * Sy] = TypedOperators.Binary<TOp, T>(a[i * Sa], b[i * Sb]);
        }
    }

    public void Compare<TOp>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp>
    {
        switch (a.DType)
        {
            case DType.Float32: Compare<TOp, float>(a, b, y); break;
            case DType.Float64: Compare<TOp, double>(a, b, y); break;
            case DType.Int32: Compare<TOp, int>(a, b, y); break;
            case DType.Int64: Compare<TOp, long>(a, b, y); break;
            case DType.Bool: Compare<TOp, byte>(a, b, y); break;
            default: throw Unsupported(TOp.Name, a.DType);
        }
    }

    private static void Compare<TOp, T>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp> where T : unmanaged
    {
        var loop = StridedLoop.Over(y, a, b);
        loop.Run(new CompareKernel<TOp, T>
        {
            Y = (byte*)((HostStorage)y.Storage).Pointer, A = (T*)((HostStorage)a.Storage).Pointer, B = (T*)((HostStorage)b.Storage).Pointer,
            Sy = loop.InnerStrides[0], Sa = loop.InnerStrides[1], Sb = loop.InnerStrides[2],
        });
    }

    // Comparisons have no span forms; a tight pointer loop is what the JIT gets to work with.
    private struct CompareKernel<TOp, T> : IStridedKernel where TOp : struct, ICompareOperator<TOp> where T : unmanaged
    {
        public byte* Y;
        public T* A, B;
        public int Sy, Sa, Sb;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            byte* y = Y + o[0];
            T* a = A + o[1], b = B + o[2];
            if (Sy == 1 && Sa == 1 && Sb == 1)
                for (int i = 0; i < n; i++) y[i] = TypedOperators.Compare<TOp, T>(a[i], b[i]) ? (byte)1 : (byte)0;
            else
                for (int i = 0; i < n; i++) y[i * Sy] = TypedOperators.Compare<TOp, T>(a[i * Sa], b[i * Sb]) ? (byte)1 : (byte)0;
        }
    }

    public void Where(Strided cond, Strided a, Strided b, Strided y)
    {
        if (a.DType != y.DType || b.DType != y.DType)
        {
            // Mixed dtypes are not produced by the tensor layer; convert per element like the reference does.
            var mixed = StridedLoop.Over(y, cond, a, b);
            mixed.Run(new WhereConvertKernel
            {
                Y = y.Storage, C = (byte*)((HostStorage)cond.Storage).Pointer, A = a.Storage, B = b.Storage,
                Sy = mixed.InnerStrides[0], Sc = mixed.InnerStrides[1], Sa = mixed.InnerStrides[2], Sb = mixed.InnerStrides[3],
            });
            return;
        }
        // Selecting moves bits, so one kernel per element size serves every dtype.
        switch (y.DType.ElementSize())
        {
            case 1: Where<byte>(cond, a, b, y); break;
            case 2: Where<ushort>(cond, a, b, y); break;
            case 4: Where<int>(cond, a, b, y); break;
            default: Where<long>(cond, a, b, y); break;
        }
    }

    private static void Where<T>(Strided cond, Strided a, Strided b, Strided y) where T : unmanaged
    {
        var loop = StridedLoop.Over(y, cond, a, b);
        loop.Run(new WhereKernel<T>
        {
            Y = (T*)((HostStorage)y.Storage).Pointer, C = (byte*)((HostStorage)cond.Storage).Pointer,
            A = (T*)((HostStorage)a.Storage).Pointer, B = (T*)((HostStorage)b.Storage).Pointer,
            Sy = loop.InnerStrides[0], Sc = loop.InnerStrides[1], Sa = loop.InnerStrides[2], Sb = loop.InnerStrides[3],
        });
    }

    private struct WhereKernel<T> : IStridedKernel where T : unmanaged
    {
        public T* Y, A, B;
        public byte* C;
        public int Sy, Sc, Sa, Sb;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* y = Y + o[0], a = A + o[2], b = B + o[3];
            byte* c = C + o[1];
            if (Sy == 1 && Sc == 1 && Sa == 1 && Sb == 1)
                for (int i = 0; i < n; i++) y[i] = c[i] != 0 ? a[i] : b[i];
            else
                for (int i = 0; i < n; i++) y[i * Sy] = c[i * Sc] != 0 ? a[i * Sa] : b[i * Sb];
        }
    }

    private struct WhereConvertKernel : IStridedKernel
    {
        public Storage Y, A, B;
        public byte* C;
        public int Sy, Sc, Sa, Sb;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                bool pick = C[o[1] + i * Sc] != 0;
                if (pick) CopyElement(A, o[2] + i * Sa, Y, o[0] + i * Sy);
                else CopyElement(B, o[3] + i * Sb, Y, o[0] + i * Sy);
            }
        }
    }
}
