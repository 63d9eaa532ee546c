// A linear layer's forward on the CPU: one GEMM whose kernel starts its sums from the bias (no second pass over the output).
namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Linear(Strided x, Strided weight, Strided? bias, Strided y)
    {
        // x [M, K], weight [N, K], bias [N], y [M, N] with contiguous rows (the tensor layer allocates y).
        int M = x.Shape[0], K = x.Shape[1], N = weight.Shape[0];
        if (y.Strides[1] != 1 && N > 1)
            throw new ArgumentException($"linear: the output must have contiguous rows, got strides {ShapeMath.Format(y.Strides)}");
        if (M == 0 || N == 0) return;
        switch (y.DType)
        {
            case DType.Float32: Run<float>(); break;
            case DType.Float64: Run<double>(); break;
            default: throw Unsupported("linear", y.DType);
        }

        void Run<T>() where T : unmanaged
        {
            T* px = HostAccess.Ptr<T>(x), pw = HostAccess.Ptr<T>(weight), py = HostAccess.Ptr<T>(y);
            // The GEMM reads the bias as N contiguous values; a strided bias (a view) is gathered first.
            T[]? gathered = null;
            if (bias is { } b && b.Strides[0] != 1 && N > 1)
            {
                gathered = new T[N];
                T* pb0 = HostAccess.Ptr<T>(b);
                for (int j = 0; j < N; j++) gathered[j] = pb0[(nint)j * b.Strides[0]];
            }
            fixed (T* pg = gathered)
            {
                T* pbias = gathered is not null ? pg : bias is { } bb ? HostAccess.Ptr<T>(bb) : null;
                // W^T is W read with its strides swapped: B (k, j) = W[j, k].
                if (typeof(T) == typeof(float))
                {
                    if (pbias == null) Gemm.Sgemm(M, N, K, (float*)px, x.Strides[0], x.Strides[1], (float*)pw, weight.Strides[1], weight.Strides[0], (float*)py, y.Strides[0], false, MaxThreads);
                    else Gemm.SgemmBias(M, N, K, (float*)px, x.Strides[0], x.Strides[1], (float*)pw, weight.Strides[1], weight.Strides[0], (float*)py, y.Strides[0], (float*)pbias, MaxThreads);
                }
                else
                {
                    if (pbias == null) Gemm.Dgemm(M, N, K, (double*)px, x.Strides[0], x.Strides[1], (double*)pw, weight.Strides[1], weight.Strides[0], (double*)py, y.Strides[0], false, MaxThreads);
                    else Gemm.DgemmBias(M, N, K, (double*)px, x.Strides[0], x.Strides[1], (double*)pw, weight.Strides[1], weight.Strides[0], (double*)py, y.Strides[0], (double*)pbias, MaxThreads);
                }
            }
        }
    }
}
