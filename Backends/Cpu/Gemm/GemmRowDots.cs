// A GEMM for a few rows of A against a B whose columns are contiguous (nn.Linear's x W^T with W row-major): each C
// element is one dot product of two contiguous runs. This is generation's one-token step, where packing the whole
// weight matrix for a single row of output would cost more than the product itself.
using System.Numerics;
using System.Numerics.Tensors;

namespace DotGrad.Backends.Cpu;

internal static unsafe class GemmRowDots
{
    /// <summary>The most rows of A this path takes: each column of B is read from memory once and reused from L1 by every row.</summary>
    internal const int MaxRows = 4;

    /// <summary>Whether the operands suit the dot-product path: few rows, A's rows and B's columns contiguous along k.</summary>
    internal static bool Suits(int m, nint aColStride, nint bRowStride) => m <= MaxRows && aColStride == 1 && bRowStride == 1;

    /// <summary>
    /// C[i,j] (+)= bias[j] + dot(A[i, :], B[:, j]) for A rows at a + i*ars and B columns at b + j*bcs (both contiguous
    /// over k). Columns of C are split across up to <paramref name="maxThreads"/> workers when the product is large
    /// enough to pay for waking them.
    /// </summary>
    internal static void Run<T>(int m, int n, int k, T* a, nint ars, T* b, nint bcs, T* c, nint ldc, bool accumulate, T* bias, int maxThreads)
        where T : unmanaged, INumberBase<T>
    {
        long work = (long)m * n * k;
        int threads = (int)Math.Min(Math.Min(maxThreads, n), Math.Max(1, work / Gemm.MinWorkPerThread));
        if (threads <= 1)
        {
            Columns(0, n, m, k, a, ars, b, bcs, c, ldc, accumulate, bias);
            return;
        }
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c, pbias = (nint)bias;
        WorkerPool.Run(threads, threads, t =>
        {
            int start = (int)((long)n * t / threads), end = (int)((long)n * (t + 1) / threads);
            Columns(start, end, m, k, (T*)pa, ars, (T*)pb, bcs, (T*)pc, ldc, accumulate, (T*)pbias);
        });
    }

    private static void Columns<T>(int from, int to, int m, int k, T* a, nint ars, T* b, nint bcs, T* c, nint ldc, bool accumulate, T* bias)
        where T : unmanaged, INumberBase<T>
    {
        for (int j = from; j < to; j++)
        {
            var column = new ReadOnlySpan<T>(b + j * bcs, k);          // B[:, j], one row of W
            for (int i = 0; i < m; i++)
            {
                T sum = TensorPrimitives.Dot(new ReadOnlySpan<T>(a + i * ars, k), column);
                T* cij = c + i * ldc + j;
                if (bias != null) sum += bias[j];
                *cij = accumulate ? *cij + sum : sum;
            }
        }
    }
}
