// Packing for the blocked GEMM: copies a block of A or B, read through arbitrary strides, into the contiguous,
// zero-padded micro-panel layout the microkernel streams through with unit stride.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DotGrad.Backends.Cpu;

internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc x kc block of A at <paramref name="a"/> into ceil(mc / mr) micro-panels of kc x mr, k-major:
    /// dst[panel * kc * mr + p * mr + r] = A[panel * mr + r, p]. Rows past mc are zero so edge tiles need no special kernel.
    /// </summary>
    public static void PackA<T>(int mc, int kc, T* a, nint rowStride, nint colStride, T* dst, int mr) where T : unmanaged
    {
        for (int i0 = 0; i0 < mc; i0 += mr, dst += kc * mr)
        {
            int rows = Math.Min(mr, mc - i0);
            T* src = a + i0 * rowStride;
            if (rows == mr && colStride == 1 && mr % 4 == 0 && Avx.IsSupported)
            {
                // Row-major A, the common case, is a transpose: do it 4 x 4 in registers, not element by element.
                if (typeof(T) == typeof(float))
                    TransposeRows4((float*)src, rowStride, kc, (float*)dst, mr);
                else
                    TransposeRows4((double*)src, rowStride, kc, (double*)dst, mr);
            }
            else if (rows == mr && colStride == 1)
            {
                // Row-major A (the common case): walk the mr rows side by side; each row is a unit-stride stream.
                for (int r = 0; r < mr; r++)
                {
                    T* s = src + r * rowStride;
                    T* d = dst + r;
                    for (int p = 0; p < kc; p++)
                        d[p * mr] = s[p];
                }
            }
            else if (rows == mr && rowStride == 1)
            {
                // Column-major A (a transposed view): the mr values of one k are already contiguous.
                for (int p = 0; p < kc; p++)
                    Unsafe.CopyBlockUnaligned(dst + p * mr, src + p * colStride, (uint)(mr * sizeof(T)));
            }
            else if (colStride == 1 || rowStride == 1)
            {
                // The ragged last panel of a row- or column-major A (the 2 leftover rows of a 50-row attention block):
                // zero the panel in one pass, then copy the rows that exist along their unit stride.
                new Span<T>(dst, kc * mr).Clear();
                if (colStride == 1)
                    for (int r = 0; r < rows; r++)
                    {
                        T* s = src + r * rowStride;
                        for (int p = 0; p < kc; p++)
                            dst[p * mr + r] = s[p];
                    }
                else
                    for (int p = 0; p < kc; p++)
                        Unsafe.CopyBlockUnaligned(dst + p * mr, src + p * colStride, (uint)(rows * sizeof(T)));
            }
            else
            {
                // Any strides, broadcasts (stride 0), and their ragged last panel.
                T* d = dst;
                for (int p = 0; p < kc; p++, d += mr)
                {
                    for (int r = 0; r < rows; r++)
                        d[r] = src[r * rowStride + p * colStride];
                    for (int r = rows; r < mr; r++)
                        d[r] = default;
                }
            }
        }
    }

    /// <summary>dst[p * mr + r] = src[r * rowStride + p] for mr (a multiple of 4) rows, as 4 x 4 float transposes.</summary>
    private static void TransposeRows4(float* src, nint rowStride, int kc, float* dst, int mr)
    {
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            for (int r = 0; r < mr; r += 4)
            {
                float* s = src + r * rowStride + p;
                Vector128<float> r0 = Vector128.Load(s), r1 = Vector128.Load(s + rowStride);
                Vector128<float> r2 = Vector128.Load(s + 2 * rowStride), r3 = Vector128.Load(s + 3 * rowStride);
                Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1);   // a0 b0 a1 b1 | a2 b2 a3 b3
                Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);   // c0 d0 c1 d1 | c2 d2 c3 d3
                float* d = dst + p * mr + r;
                Sse.MoveLowToHigh(t0, t2).Store(d);
                Sse.MoveHighToLow(t2, t0).Store(d + mr);
                Sse.MoveLowToHigh(t1, t3).Store(d + 2 * mr);
                Sse.MoveHighToLow(t3, t1).Store(d + 3 * mr);
            }
        }
        for (; p < kc; p++)
            for (int r = 0; r < mr; r++)
                dst[p * mr + r] = src[r * rowStride + p];
    }

    /// <summary>The double version of <see cref="TransposeRows4(float*, nint, int, float*, int)"/>, with 256-bit vectors.</summary>
    private static void TransposeRows4(double* src, nint rowStride, int kc, double* dst, int mr)
    {
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            for (int r = 0; r < mr; r += 4)
            {
                double* s = src + r * rowStride + p;
                Vector256<double> r0 = Vector256.Load(s), r1 = Vector256.Load(s + rowStride);
                Vector256<double> r2 = Vector256.Load(s + 2 * rowStride), r3 = Vector256.Load(s + 3 * rowStride);
                Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);   // a0 b0 a2 b2 | a1 b1 a3 b3
                Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);   // c0 d0 c2 d2 | c1 d1 c3 d3
                double* d = dst + p * mr + r;
                Avx.Permute2x128(t0, t2, 0x20).Store(d);
                Avx.Permute2x128(t1, t3, 0x20).Store(d + mr);
                Avx.Permute2x128(t0, t2, 0x31).Store(d + 2 * mr);
                Avx.Permute2x128(t1, t3, 0x31).Store(d + 3 * mr);
            }
        }
        for (; p < kc; p++)
            for (int r = 0; r < mr; r++)
                dst[p * mr + r] = src[r * rowStride + p];
    }

    /// <summary>
    /// Packs the kc x nc block of B at <paramref name="b"/> into ceil(nc / nr) micro-panels of kc x nr, k-major:
    /// dst[panel * kc * nr + p * nr + j] = B[p, panel * nr + j]. Columns past nc are zero.
    /// </summary>
    public static void PackB<T>(int kc, int nc, T* b, nint rowStride, nint colStride, T* dst, int nr) where T : unmanaged
    {
        for (int j0 = 0; j0 < nc; j0 += nr, dst += kc * nr)
        {
            int cols = Math.Min(nr, nc - j0);
            T* src = b + j0 * colStride;
            if (cols == nr && colStride == 1)
            {
                // Row-major B: each k row of the panel is one contiguous copy of nr elements.
                for (int p = 0; p < kc; p++)
                    Unsafe.CopyBlockUnaligned(dst + p * nr, src + p * rowStride, (uint)(nr * sizeof(T)));
            }
            else if (cols == nr && rowStride == 1 && nr % 4 == 0 && Avx.IsSupported)
            {
                // Column-major B (a transposed view, as W^T in a linear layer) is a transpose, the same one as packing
                // row-major A: 4 x 4 blocks in registers instead of one scattered store per element.
                if (typeof(T) == typeof(float))
                    TransposeRows4((float*)src, colStride, kc, (float*)dst, nr);
                else
                    TransposeRows4((double*)src, colStride, kc, (double*)dst, nr);
            }
            else if (cols == nr && rowStride == 1)
            {
                // Column-major B (a transposed view): read each column as a unit-stride stream.
                for (int j = 0; j < nr; j++)
                {
                    T* s = src + j * colStride;
                    for (int p = 0; p < kc; p++)
                        dst[p * nr + j] = s[p];
                }
            }
            else if (colStride == 1 || rowStride == 1)
            {
                // The ragged last panel of a row- or column-major B (the 18 leftover keys of a 50-key k^T): zero the
                // panel in one pass, then copy the columns that exist along their unit stride.
                new Span<T>(dst, kc * nr).Clear();
                if (colStride == 1)
                    for (int p = 0; p < kc; p++)
                        Unsafe.CopyBlockUnaligned(dst + p * nr, src + p * rowStride, (uint)(cols * sizeof(T)));
                else
                    for (int j = 0; j < cols; j++)
                    {
                        T* s = src + j * colStride;
                        for (int p = 0; p < kc; p++)
                            dst[p * nr + j] = s[p];
                    }
            }
            else
            {
                // Any strides, broadcasts (stride 0), and their ragged last panel.
                T* d = dst;
                for (int p = 0; p < kc; p++, d += nr)
                {
                    for (int j = 0; j < cols; j++)
                        d[j] = src[p * rowStride + j * colStride];
                    for (int j = cols; j < nr; j++)
                        d[j] = default;
                }
            }
        }
    }
}
