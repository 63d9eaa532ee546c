// Batched matrix product on the CPU: one packed GEMM per batch entry, threads inside big GEMMs or across small ones.
namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Below this many multiply-adds per matrix, a batch is split across threads rather than each GEMM.
    internal const long SmallGemm = 96L * 96 * 96;

    public void MatMul(Strided a, Strided b, Strided c)
    {
        // a [B, M, K], b [B, K, N], c [B, M, N] with contiguous rows (the tensor layer allocates c).
        int batch = c.Shape[0], M = c.Shape[1], N = c.Shape[2], K = a.Shape[2];
        if (c.Strides[2] != 1 && N > 1)
            throw new ArgumentException($"matmul: the output must have contiguous rows, got strides {ShapeMath.Format(c.Strides)}");
        if (batch == 0 || M == 0 || N == 0) return;
        switch (c.DType)
        {
            case DType.Float32: Run(HostAccess.Ptr<float>(a), HostAccess.Ptr<float>(b), HostAccess.Ptr<float>(c)); break;
            case DType.Float64: Run(HostAccess.Ptr<double>(a), HostAccess.Ptr<double>(b), HostAccess.Ptr<double>(c)); break;
            default: throw new NotSupportedException($"matmul: dtype {c.DType}");
        }

        void Run<T>(T* pa, T* pb, T* pc) where T : unmanaged
        {
            int threads = MaxThreads;
            bool acrossBatch = batch > 1 && threads > 1 && (long)M * N * K < SmallGemm;
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            if (acrossBatch)
            {
                WorkerPool.Run(batch, threads, i => One((T*)ia, (T*)ib, (T*)ic, i, 1));
            }
            else
            {
                for (int i = 0; i < batch; i++) One(pa, pb, pc, i, threads);
            }
        }

        void One<T>(T* pa, T* pb, T* pc, int i, int threads) where T : unmanaged
        {
            T* ai = pa + (nint)i * a.Strides[0], bi = pb + (nint)i * b.Strides[0], ci = pc + (nint)i * c.Strides[0];
            if (typeof(T) == typeof(float))
                Gemm.Sgemm(M, N, K, (float*)ai, a.Strides[1], a.Strides[2], (float*)bi, b.Strides[1], b.Strides[2], (float*)ci, c.Strides[1], false, threads);
            else
                Gemm.Dgemm(M, N, K, (double*)ai, a.Strides[1], a.Strides[2], (double*)bi, b.Strides[1], b.Strides[2], (double*)ci, c.Strides[1], false, threads);
        }
    }
}
