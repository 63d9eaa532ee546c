// Entry points of the CPU matrix multiply: argument checks, choice of microkernel for this CPU, and the split
// of one GEMM into independent per-thread GEMMs. The blocked loops live in GemmDriver, the kernels in GemmKernel*.
using System.Numerics;

namespace DotGrad.Backends.Cpu;

/// <summary>Which implementation runs a GEMM; tests pin one to cover paths the host would not pick.</summary>
internal enum GemmPath
{
    Auto,
    Avx512,
    /// <summary>The AVX-512 kernel one vector wide, for C with at most that many columns.</summary>
    Avx512Narrow,
    Avx2,
    /// <summary>One dot product per C element (<see cref="GemmRowDots"/>): at most a few rows, A's rows and B's columns contiguous.</summary>
    RowDots,
    Naive,
}

internal static unsafe partial class Gemm
{
    // Below this many multiply-adds (16^3) packing costs more than it saves.
    internal const long NaiveBelow = 16 * 16 * 16;
    // Each extra thread must get at least this many multiply-adds (64^3, ~5 us) to pay for waking it.
    internal const long MinWorkPerThread = 64 * 64 * 64;

    /// <summary>A padded C (see <see cref="Multiply{T}"/>) has rows up to a multiple of this: every kernel's MR divides it.</summary>
    internal const int PadRows = 12;

    /// <summary>A padded C has columns up to a multiple of this: every kernel's NR, float or double, divides it.</summary>
    internal const int PadColumns = 32;

    internal static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// C[i,j] (+)= sum_k A[i,k] * B[k,j]. A element (i,k) is at a[i*aRowStride + k*aColStride]; B (k,j) at b[k*bRowStride + j*bColStride];
    /// C (i,j) at c[i*cRowStride + j] (C rows are contiguous). accumulate=false overwrites C, true adds to it.
    public static void Sgemm(int m, int n, int k, float* a, int aRowStride, int aColStride, float* b, int bRowStride, int bColStride,
                             float* c, int cRowStride, bool accumulate, int maxThreads)
        => Multiply(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, cRowStride, accumulate, maxThreads, GemmPath.Auto);

    /// <summary>
    /// C[i,j] = bias[j] + sum_k A[i,k] * B[k,j]: <see cref="Sgemm"/> (overwriting C) with a bias of n contiguous values
    /// added to every row as the product is stored (<c>nn.Linear</c>'s <c>x W^T + b</c> without a second pass over C).
    /// </summary>
    public static void SgemmBias(int m, int n, int k, float* a, int aRowStride, int aColStride, float* b, int bRowStride, int bColStride,
                                 float* c, int cRowStride, float* bias, int maxThreads)
        => Multiply(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, cRowStride, false, maxThreads, GemmPath.Auto, bias);

    /// <summary>Double-precision counterpart of <see cref="SgemmBias"/>.</summary>
    public static void DgemmBias(int m, int n, int k, double* a, int aRowStride, int aColStride, double* b, int bRowStride, int bColStride,
                                 double* c, int cRowStride, double* bias, int maxThreads)
        => Multiply(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, cRowStride, false, maxThreads, GemmPath.Auto, bias);

    /// <summary>Double-precision counterpart of <see cref="Sgemm"/>.</summary>
    public static void Dgemm(int m, int n, int k, double* a, int aRowStride, int aColStride, double* b, int bRowStride, int bColStride,
                             double* c, int cRowStride, bool accumulate, int maxThreads)
        => Multiply(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, cRowStride, accumulate, maxThreads, GemmPath.Auto);

    /// <summary>The fastest path this CPU supports for element type <typeparamref name="T"/>.</summary>
    internal static GemmPath BestPath<T>() where T : unmanaged =>
        GemmKernel512<T>.IsSupported ? GemmPath.Avx512 :
        GemmKernel256<T>.IsSupported ? GemmPath.Avx2 : GemmPath.Naive;

    /// <summary>Whether <paramref name="path"/> can run on this CPU.</summary>
    internal static bool IsSupported<T>(GemmPath path) where T : unmanaged => path switch
    {
        GemmPath.Avx512 or GemmPath.Avx512Narrow => GemmKernel512<T>.IsSupported,
        GemmPath.Avx2 => GemmKernel256<T>.IsSupported,
        _ => true,
    };

    /// <summary>
    /// The GEMM on a chosen path; <see cref="GemmPath.Auto"/> picks by CPU and problem size. A non-null
    /// <paramref name="bias"/> (n contiguous values) is added to every row of C; it needs accumulate = false.
    /// <paramref name="pack"/> packs both operands even where the driver would read them in place (for tests).
    /// <paramref name="paddedC"/> promises that C has <see cref="PadRows"/> / <see cref="PadColumns"/> room: rows up to m
    /// rounded up to a multiple of PadRows and columns up to n rounded up to a multiple of PadColumns (within
    /// cRowStride) may be written with garbage, so edge tiles need no scratch copy (attention's score blocks).
    /// </summary>
    internal static void Multiply<T>(int m, int n, int k, T* a, int aRowStride, int aColStride, T* b, int bRowStride, int bColStride,
                                     T* c, int cRowStride, bool accumulate, int maxThreads, GemmPath path, T* bias = null, bool pack = false,
                                     bool paddedC = false)
        where T : unmanaged, INumberBase<T>
    {
        if (paddedC && (bias != null || cRowStride < RoundUp(n, PadColumns)))
            throw new ArgumentException($"GEMM: a padded C takes no bias and needs a row stride of at least {RoundUp(n, PadColumns)} for n = {n}, got {cRowStride}.", nameof(paddedC));
        if (bias != null && accumulate)
            throw new ArgumentException("GEMM: a bias is added to an overwritten C; it cannot be combined with accumulate.", nameof(bias));
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM dimensions must be non-negative, got m={m}, n={n}, k={k}.");
        if (maxThreads < 1)
            throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "maxThreads must be at least 1; pass 1 for a single-threaded GEMM.");
        if (!IsSupported<T>(path))
            throw new PlatformNotSupportedException($"GEMM path {path} is not supported on this CPU; use GemmPath.Auto.");
        if (m == 0 || n == 0)
            return;
        if (k == 0)
        {
            // An empty sum is zero: overwrite with zeros (or the bias), or add nothing.
            if (!accumulate)
                for (int i = 0; i < m; i++)
                {
                    var row = new Span<T>(c + (nint)i * cRowStride, n);
                    if (bias != null) new ReadOnlySpan<T>(bias, n).CopyTo(row);
                    else row.Clear();
                }
            return;
        }

        if (path == GemmPath.Auto)
        {
            path = (long)m * n * k < NaiveBelow ? GemmPath.Naive : BestPath<T>();
            // One vector of columns or fewer: the wide kernel would spend half its FMAs on padding.
            if (path == GemmPath.Avx512 && n <= GemmKernel512Narrow<T>.NR) path = GemmPath.Avx512Narrow;
            // A row or a few against contiguous columns of B (x W^T in a generation step): dot products read W once,
            // where the packed kernels would first copy all of it.
            if (path != GemmPath.Naive && !pack && !paddedC && GemmRowDots.Suits(m, aColStride, bRowStride)) path = GemmPath.RowDots;
        }
        nint ars = aRowStride, acs = aColStride, brs = bRowStride, bcs = bColStride, ldc = cRowStride;
        switch (path)
        {
            case GemmPath.Avx512:
                Split<T, GemmKernel512<T>>(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, maxThreads, bias, pack, paddedC);
                break;
            case GemmPath.Avx512Narrow:
                Split<T, GemmKernel512Narrow<T>>(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, maxThreads, bias, pack, paddedC);
                break;
            case GemmPath.Avx2:
                Split<T, GemmKernel256<T>>(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, maxThreads, bias, pack, paddedC);
                break;
            case GemmPath.RowDots:
                if (!GemmRowDots.Suits(m, acs, brs))
                    throw new ArgumentException($"GEMM: the row-dot path takes at most {GemmRowDots.MaxRows} rows with A's column stride and B's row stride 1, got m={m}, strides {acs} and {brs}.", nameof(path));
                GemmRowDots.Run(m, n, k, a, ars, b, bcs, c, ldc, accumulate, bias, maxThreads);
                break;
            default:
                if (bias != null)
                {
                    // Tiny products: start C from the bias and add the sums to it.
                    for (int i = 0; i < m; i++) new ReadOnlySpan<T>(bias, n).CopyTo(new Span<T>(c + i * ldc, n));
                    accumulate = true;
                }
                GemmNaive.Run(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate);
                break;
        }
    }

    /// <summary>
    /// Cuts C into one slab per thread along its longer side (in whole MR rows or NR columns) and runs each slab as an
    /// independent GEMM. Slabs share nothing writable, so no synchronisation is needed; the price is that every thread
    /// packs the full shared operand, which costs O(k * side) against O(m * n * k / threads) of arithmetic.
    /// </summary>
    private static void Split<T, TK>(int m, int n, int k, T* a, nint ars, nint acs, T* b, nint brs, nint bcs, T* c, nint ldc,
                                     bool accumulate, int maxThreads, T* bias, bool pack, bool paddedC)
        where T : unmanaged, INumberBase<T>
        where TK : IGemmMicroKernel<T>
    {
        long work = (long)m * n * k;
        bool splitN = n >= m;
        int unit = splitN ? TK.NR : TK.MR;
        int extent = splitN ? n : m;
        int units = (extent + unit - 1) / unit;
        int threads = (int)Math.Min(Math.Min(maxThreads, units), Math.Max(1, work / MinWorkPerThread));
        if (threads <= 1)
        {
            GemmDriver.Run<T, TK>(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, bias, pack, paddedC);
            return;
        }

        // Pointers travel into the lambda as integers.
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c, pbias = (nint)bias;
        WorkerPool.Run(threads, threads, t =>
        {
            int start = (int)((long)units * t / threads) * unit;
            int end = Math.Min((int)((long)units * (t + 1) / threads) * unit, extent);
            T* slabBias = pbias == 0 ? null : (T*)pbias + (splitN ? start : 0);
            if (splitN)
                GemmDriver.Run<T, TK>(m, end - start, k, (T*)pa, ars, acs, (T*)pb + start * bcs, brs, bcs, (T*)pc + start, ldc, accumulate, slabBias, pack, paddedC);
            else
                GemmDriver.Run<T, TK>(end - start, n, k, (T*)pa + start * ars, ars, acs, (T*)pb, brs, bcs, (T*)pc + start * ldc, ldc, accumulate, slabBias, pack, paddedC);
        });
    }
}
