// The naive triple-loop matrix multiply: the oracle the packed SIMD kernel is tested against, and its
// fallback on hardware without usable vector units. Same contract as Gemm.Sgemm / Gemm.Dgemm.
namespace DotGrad.Backends.Cpu;

internal static unsafe class GemmNaive
{
    /// <summary>C[i,j] (+)= sum_k A[i,k] * B[k,j], read through arbitrary strides (see <see cref="Gemm.Sgemm"/>).</summary>
    public static void Sgemm(int m, int n, int k, float* a, int aRowStride, int aColStride, float* b, int bRowStride, int bColStride,
                             float* c, int cRowStride, bool accumulate, int maxThreads)
        => Run(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, cRowStride, accumulate);

    /// <summary>Double-precision counterpart of <see cref="Sgemm"/>.</summary>
    public static void Dgemm(int m, int n, int k, double* a, int aRowStride, int aColStride, double* b, int bRowStride, int bColStride,
                             double* c, int cRowStride, bool accumulate, int maxThreads)
        => Run(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, cRowStride, accumulate);

    // Generic over the element type; the JIT specialises it per value type, so this is as fast as hand-written copies.
    // Strides are widened to nint so that i * stride cannot overflow on large tensors.
    internal static void Run<T>(int m, int n, int k, T* a, nint ars, nint acs, T* b, nint brs, nint bcs, T* c, nint ldc, bool accumulate)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        for (int i = 0; i < m; i++)
        {
            T* aRow = a + i * ars;
            T* cRow = c + i * ldc;
            for (int j = 0; j < n; j++)
            {
                T* bCol = b + j * bcs;
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                    sum += aRow[p * acs] * bCol[p * brs];
                cRow[j] = accumulate ? cRow[j] + sum : sum;
            }
        }
    }
}
