// Data movement: fill with a constant, copy with dtype casts, and counter-based random fills. Contiguous runs use
// span copies and TensorPrimitives conversions; strided runs convert element by element.
namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Fill(Strided y, double value)
    {
        switch (y.DType)
        {
            case DType.Float32: Fill<float>(y, value); break;
            case DType.Float64: Fill<double>(y, value); break;
            case DType.Int32: Fill<int>(y, value); break;
            case DType.Int64: Fill<long>(y, value); break;
            case DType.BFloat16: Fill<ushort>(y, value); break;
            case DType.Float16: Fill<Half>(y, value); break;
            case DType.Bool: Fill<byte>(y, value); break;
            default: throw Unsupported("fill", y.DType);
        }
    }

    private static void Fill<T>(Strided y, double value) where T : unmanaged
    {
        var loop = StridedLoop.Over(y);
        loop.Run(new FillKernel<T> { Y = (T*)((HostStorage)y.Storage).Pointer, Sy = loop.InnerStrides[0], Value = HostConvert.FromDouble<T>(value) });
    }

    private struct FillKernel<T> : IStridedKernel where T : unmanaged
    {
        public T* Y;
        public int Sy;
        public T Value;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* y = Y + o[0];
            if (Sy == 1) new Span<T>(y, n).Fill(Value);
            else for (int i = 0; i < n; i++) y[i * Sy] = Value;
        }
    }

    public void Copy(Strided x, Strided y)
    {
        switch (x.DType)
        {
            case DType.Float32: CopyFrom<float>(x, y); break;
            case DType.Float64: CopyFrom<double>(x, y); break;
            case DType.Int32: CopyFrom<int>(x, y); break;
            case DType.Int64: CopyFrom<long>(x, y); break;
            case DType.BFloat16: CopyFrom<ushort>(x, y); break;
            case DType.Float16: CopyFrom<Half>(x, y); break;
            case DType.Bool: CopyFrom<byte>(x, y); break;
            default: throw Unsupported("copy", x.DType);
        }
    }

    private static void CopyFrom<TSrc>(Strided x, Strided y) where TSrc : unmanaged
    {
        switch (y.DType)
        {
            case DType.Float32: Copy<TSrc, float>(x, y); break;
            case DType.Float64: Copy<TSrc, double>(x, y); break;
            case DType.Int32: Copy<TSrc, int>(x, y); break;
            case DType.Int64: Copy<TSrc, long>(x, y); break;
            case DType.BFloat16: Copy<TSrc, ushort>(x, y); break;
            case DType.Float16: Copy<TSrc, Half>(x, y); break;
            case DType.Bool: Copy<TSrc, byte>(x, y); break;
            default: throw Unsupported("copy", y.DType);
        }
    }

    private static void Copy<TSrc, TDst>(Strided x, Strided y) where TSrc : unmanaged where TDst : unmanaged
    {
        var loop = StridedLoop.Over(x, y);
        loop.Run(new CopyKernel<TSrc, TDst>
        {
            X = (TSrc*)((HostStorage)x.Storage).Pointer, Y = (TDst*)((HostStorage)y.Storage).Pointer,
            Sx = loop.InnerStrides[0], Sy = loop.InnerStrides[1],
        });
    }

    private struct CopyKernel<TSrc, TDst> : IStridedKernel where TSrc : unmanaged where TDst : unmanaged
    {
        public TSrc* X;
        public TDst* Y;
        public int Sx, Sy;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            TSrc* x = X + o[0];
            TDst* y = Y + o[1];
            if (Sx == 1 && Sy == 1) HostConvert.Convert(new ReadOnlySpan<TSrc>(x, n), new Span<TDst>(y, n));
            else if (Sx == 0 && Sy == 1) new Span<TDst>(y, n).Fill(HostConvert.Convert<TSrc, TDst>(*x)); // expand of one value
            else for (int i = 0; i < n; i++) y[i * Sy] = HostConvert.Convert<TSrc, TDst>(x[i * Sx]);
        }
    }

    public void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset)
    {
        switch (y.DType)
        {
            case DType.Float32: FillRandom<float>(y, kind, a, b, seed, offset); break;
            case DType.Float64: FillRandom<double>(y, kind, a, b, seed, offset); break;
            case DType.Int32: FillRandom<int>(y, kind, a, b, seed, offset); break;
            case DType.Int64: FillRandom<long>(y, kind, a, b, seed, offset); break;
            case DType.BFloat16: FillRandom<ushort>(y, kind, a, b, seed, offset); break;
            case DType.Float16: FillRandom<Half>(y, kind, a, b, seed, offset); break;
            case DType.Bool: FillRandom<byte>(y, kind, a, b, seed, offset); break;
            default: throw Unsupported("fill_random", y.DType);
        }
    }

    private static void FillRandom<T>(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset) where T : unmanaged
    {
        var loop = StridedLoop.Over(y);
        // One Philox block (10 rounds) per element is roughly 20 simple elementwise ops' worth of work.
        loop.Run(new RandomKernel<T>
        {
            Y = (T*)((HostStorage)y.Storage).Pointer, Sy = loop.InnerStrides[0],
            Kind = kind, A = a, B = b, Seed = seed, Offset = offset, Single = y.DType != DType.Float64,
        }, costPerElement: 20);
    }

    // Element i depends only on counter offset + i, so chunks can run on any thread in any order.
    private struct RandomKernel<T> : IStridedKernel where T : unmanaged
    {
        public T* Y;
        public int Sy;
        public RandomKind Kind;
        public double A, B;
        public ulong Seed, Offset;
        public bool Single;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* y = Y + o[0];
            ulong counter = Offset + (ulong)linear;
            for (int i = 0; i < n; i++)
                y[i * Sy] = HostConvert.FromDouble<T>(Philox.Sample(Kind, A, B, Seed, counter + (ulong)i, Single));
        }
    }
}
