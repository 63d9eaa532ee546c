// AVX-512 microkernel: a 12 x (2 vectors) tile of C held in 24 zmm accumulators, i.e. 12x32 for float and
// 12x16 for double. Used when Vector512 is hardware accelerated (Zen 4, Ice Lake and later).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// 12 x 2W register block (W = lanes per Vector512). Register budget: 24 accumulators + 2 B vectors + 1 broadcast
/// A value = 27 of the 32 zmm registers, so nothing spills. Per k step it issues 24 FMAs against 2 vector loads and
/// 12 broadcasts, well inside Zen 4's load bandwidth, and 24 independent chains hide the 4-cycle FMA latency.
/// Zen 4 executes a zmm FMA as two 256-bit halves, so its peak equals the AVX2 kernel's; the wider kernel still halves
/// the instruction count, and on cores with full-width AVX-512 units it doubles the peak.
/// </summary>
/// <remarks>
/// Blocking, sized for Zen 4 (32 KiB L1d, 1 MiB L2 per core, shared L3) and measured there: KC = 256 makes a B
/// micro-panel 256 x NR = 32 KiB, which stays in L1/L2 while the MC / MR A micro-panels (12 KiB each for float)
/// stream past it; the A block MC x KC (144 KiB float, 288 KiB double) stays in L2; the B panel KC x NC (3 MiB float)
/// lives in L3. KC 192..384 and MC 96..192 measured within noise of each other at n = 512..1024.
/// </remarks>
internal readonly unsafe struct GemmKernel512<T> : IGemmMicroKernel<T> where T : unmanaged
{
    private static int W => Vector512<T>.Count;
    public static int MR => 12;
    public static int NR => 2 * Vector512<T>.Count;
    public static int MC => 144;
    public static int KC => 256;
    public static int NC => 3072;
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        // One method with named locals (not arrays) so the JIT keeps every accumulator in a zmm register.
        Vector512<T> c0x = Vector512<T>.Zero, c0y = Vector512<T>.Zero;
        Vector512<T> c1x = Vector512<T>.Zero, c1y = Vector512<T>.Zero;
        Vector512<T> c2x = Vector512<T>.Zero, c2y = Vector512<T>.Zero;
        Vector512<T> c3x = Vector512<T>.Zero, c3y = Vector512<T>.Zero;
        Vector512<T> c4x = Vector512<T>.Zero, c4y = Vector512<T>.Zero;
        Vector512<T> c5x = Vector512<T>.Zero, c5y = Vector512<T>.Zero;
        Vector512<T> c6x = Vector512<T>.Zero, c6y = Vector512<T>.Zero;
        Vector512<T> c7x = Vector512<T>.Zero, c7y = Vector512<T>.Zero;
        Vector512<T> c8x = Vector512<T>.Zero, c8y = Vector512<T>.Zero;
        Vector512<T> c9x = Vector512<T>.Zero, c9y = Vector512<T>.Zero;
        Vector512<T> c10x = Vector512<T>.Zero, c10y = Vector512<T>.Zero;
        Vector512<T> c11x = Vector512<T>.Zero, c11y = Vector512<T>.Zero;
        Vector512<T> b0, b1, av;
        // The C tile is touched only after the k loop; start pulling its 12 rows (2 lines each) in now so the
        // final load/store does not stall on L2/L3 misses.
        if (Sse.IsSupported)
        {
            T* cp = c;
            for (int r = 0; r < 12; r++, cp += ldc)
            {
                Sse.Prefetch0(cp);
                Sse.Prefetch0(cp + NR - 1);
            }
        }
        int p = 0;
        // Unrolled by 2 to halve the loop overhead relative to the 48 FMAs.
        for (; p + 2 <= kc; p += 2)
        {
            b0 = Vector512.Load(b); b1 = Vector512.Load(b + W);
            av = Vector512.Create(a[0]); c0x = GemmVector.Fma(av, b0, c0x); c0y = GemmVector.Fma(av, b1, c0y);
            av = Vector512.Create(a[1]); c1x = GemmVector.Fma(av, b0, c1x); c1y = GemmVector.Fma(av, b1, c1y);
            av = Vector512.Create(a[2]); c2x = GemmVector.Fma(av, b0, c2x); c2y = GemmVector.Fma(av, b1, c2y);
            av = Vector512.Create(a[3]); c3x = GemmVector.Fma(av, b0, c3x); c3y = GemmVector.Fma(av, b1, c3y);
            av = Vector512.Create(a[4]); c4x = GemmVector.Fma(av, b0, c4x); c4y = GemmVector.Fma(av, b1, c4y);
            av = Vector512.Create(a[5]); c5x = GemmVector.Fma(av, b0, c5x); c5y = GemmVector.Fma(av, b1, c5y);
            av = Vector512.Create(a[6]); c6x = GemmVector.Fma(av, b0, c6x); c6y = GemmVector.Fma(av, b1, c6y);
            av = Vector512.Create(a[7]); c7x = GemmVector.Fma(av, b0, c7x); c7y = GemmVector.Fma(av, b1, c7y);
            av = Vector512.Create(a[8]); c8x = GemmVector.Fma(av, b0, c8x); c8y = GemmVector.Fma(av, b1, c8y);
            av = Vector512.Create(a[9]); c9x = GemmVector.Fma(av, b0, c9x); c9y = GemmVector.Fma(av, b1, c9y);
            av = Vector512.Create(a[10]); c10x = GemmVector.Fma(av, b0, c10x); c10y = GemmVector.Fma(av, b1, c10y);
            av = Vector512.Create(a[11]); c11x = GemmVector.Fma(av, b0, c11x); c11y = GemmVector.Fma(av, b1, c11y);
            b0 = Vector512.Load(b + 1*NR); b1 = Vector512.Load(b + 1*NR + W);
            av = Vector512.Create(a[1*MR + 0]); c0x = GemmVector.Fma(av, b0, c0x); c0y = GemmVector.Fma(av, b1, c0y);
            av = Vector512.Create(a[1*MR + 1]); c1x = GemmVector.Fma(av, b0, c1x); c1y = GemmVector.Fma(av, b1, c1y);
            av = Vector512.Create(a[1*MR + 2]); c2x = GemmVector.Fma(av, b0, c2x); c2y = GemmVector.Fma(av, b1, c2y);
            av = Vector512.Create(a[1*MR + 3]); c3x = GemmVector.Fma(av, b0, c3x); c3y = GemmVector.Fma(av, b1, c3y);
            av = Vector512.Create(a[1*MR + 4]); c4x = GemmVector.Fma(av, b0, c4x); c4y = GemmVector.Fma(av, b1, c4y);
            av = Vector512.Create(a[1*MR + 5]); c5x = GemmVector.Fma(av, b0, c5x); c5y = GemmVector.Fma(av, b1, c5y);
            av = Vector512.Create(a[1*MR + 6]); c6x = GemmVector.Fma(av, b0, c6x); c6y = GemmVector.Fma(av, b1, c6y);
            av = Vector512.Create(a[1*MR + 7]); c7x = GemmVector.Fma(av, b0, c7x); c7y = GemmVector.Fma(av, b1, c7y);
            av = Vector512.Create(a[1*MR + 8]); c8x = GemmVector.Fma(av, b0, c8x); c8y = GemmVector.Fma(av, b1, c8y);
            av = Vector512.Create(a[1*MR + 9]); c9x = GemmVector.Fma(av, b0, c9x); c9y = GemmVector.Fma(av, b1, c9y);
            av = Vector512.Create(a[1*MR + 10]); c10x = GemmVector.Fma(av, b0, c10x); c10y = GemmVector.Fma(av, b1, c10y);
            av = Vector512.Create(a[1*MR + 11]); c11x = GemmVector.Fma(av, b0, c11x); c11y = GemmVector.Fma(av, b1, c11y);
            a += 2 * MR; b += 2 * NR;
        }
        for (; p < kc; p++)
        {
            b0 = Vector512.Load(b); b1 = Vector512.Load(b + W);
            av = Vector512.Create(a[0]); c0x = GemmVector.Fma(av, b0, c0x); c0y = GemmVector.Fma(av, b1, c0y);
            av = Vector512.Create(a[1]); c1x = GemmVector.Fma(av, b0, c1x); c1y = GemmVector.Fma(av, b1, c1y);
            av = Vector512.Create(a[2]); c2x = GemmVector.Fma(av, b0, c2x); c2y = GemmVector.Fma(av, b1, c2y);
            av = Vector512.Create(a[3]); c3x = GemmVector.Fma(av, b0, c3x); c3y = GemmVector.Fma(av, b1, c3y);
            av = Vector512.Create(a[4]); c4x = GemmVector.Fma(av, b0, c4x); c4y = GemmVector.Fma(av, b1, c4y);
            av = Vector512.Create(a[5]); c5x = GemmVector.Fma(av, b0, c5x); c5y = GemmVector.Fma(av, b1, c5y);
            av = Vector512.Create(a[6]); c6x = GemmVector.Fma(av, b0, c6x); c6y = GemmVector.Fma(av, b1, c6y);
            av = Vector512.Create(a[7]); c7x = GemmVector.Fma(av, b0, c7x); c7y = GemmVector.Fma(av, b1, c7y);
            av = Vector512.Create(a[8]); c8x = GemmVector.Fma(av, b0, c8x); c8y = GemmVector.Fma(av, b1, c8y);
            av = Vector512.Create(a[9]); c9x = GemmVector.Fma(av, b0, c9x); c9y = GemmVector.Fma(av, b1, c9y);
            av = Vector512.Create(a[10]); c10x = GemmVector.Fma(av, b0, c10x); c10y = GemmVector.Fma(av, b1, c10y);
            av = Vector512.Create(a[11]); c11x = GemmVector.Fma(av, b0, c11x); c11y = GemmVector.Fma(av, b1, c11y);
            a += MR; b += NR;
        }

        StoreRow(c, c0x, c0y, accumulate); c += ldc;
        StoreRow(c, c1x, c1y, accumulate); c += ldc;
        StoreRow(c, c2x, c2y, accumulate); c += ldc;
        StoreRow(c, c3x, c3y, accumulate); c += ldc;
        StoreRow(c, c4x, c4y, accumulate); c += ldc;
        StoreRow(c, c5x, c5y, accumulate); c += ldc;
        StoreRow(c, c6x, c6y, accumulate); c += ldc;
        StoreRow(c, c7x, c7y, accumulate); c += ldc;
        StoreRow(c, c8x, c8y, accumulate); c += ldc;
        StoreRow(c, c9x, c9y, accumulate); c += ldc;
        StoreRow(c, c10x, c10y, accumulate); c += ldc;
        StoreRow(c, c11x, c11y, accumulate); c += ldc;
    }

    public static bool ReadsInPlace => true;

    /// <summary>
    /// The same tile with the operands read through strides (see <see cref="IGemmMicroKernel{T}.RunStrided"/>). Four
    /// row pointers and two offsets reach the 12 rows of A through x86 addressing ([row], [row + ars], [row + 2 ars]),
    /// so the loop needs 10 general registers and each broadcast stays a single load.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunStrided(int kc, T* a, nint ars, nint acs, T* b, nint ldb, T* c, nint ldc, bool accumulate, T* bias)
    {
        // Every row's sums start from the bias (or zero).
        Vector512<T> ix = bias != null ? Vector512.Load(bias) : Vector512<T>.Zero, iy = bias != null ? Vector512.Load(bias + W) : Vector512<T>.Zero;
        Vector512<T> c0x = ix, c0y = iy, c1x = ix, c1y = iy, c2x = ix, c2y = iy, c3x = ix, c3y = iy;
        Vector512<T> c4x = ix, c4y = iy, c5x = ix, c5y = iy, c6x = ix, c6y = iy, c7x = ix, c7y = iy;
        Vector512<T> c8x = ix, c8y = iy, c9x = ix, c9y = iy, c10x = ix, c10y = iy, c11x = ix, c11y = iy;
        Vector512<T> b0, b1, av;
        if (Sse.IsSupported)
        {
            T* cp = c;
            for (int r = 0; r < 12; r++, cp += ldc)
            {
                Sse.Prefetch0(cp);
                Sse.Prefetch0(cp + NR - 1);
            }
        }
        T* r0 = a, r3 = a + 3 * ars, r6 = a + 6 * ars, r9 = a + 9 * ars;
        nint l1 = ars, l2 = 2 * ars;
        for (int p = 0; p < kc; p++)
        {
            b0 = Vector512.Load(b); b1 = Vector512.Load(b + W);
            av = Vector512.Create(r0[0]); c0x = GemmVector.Fma(av, b0, c0x); c0y = GemmVector.Fma(av, b1, c0y);
            av = Vector512.Create(r0[l1]); c1x = GemmVector.Fma(av, b0, c1x); c1y = GemmVector.Fma(av, b1, c1y);
            av = Vector512.Create(r0[l2]); c2x = GemmVector.Fma(av, b0, c2x); c2y = GemmVector.Fma(av, b1, c2y);
            av = Vector512.Create(r3[0]); c3x = GemmVector.Fma(av, b0, c3x); c3y = GemmVector.Fma(av, b1, c3y);
            av = Vector512.Create(r3[l1]); c4x = GemmVector.Fma(av, b0, c4x); c4y = GemmVector.Fma(av, b1, c4y);
            av = Vector512.Create(r3[l2]); c5x = GemmVector.Fma(av, b0, c5x); c5y = GemmVector.Fma(av, b1, c5y);
            av = Vector512.Create(r6[0]); c6x = GemmVector.Fma(av, b0, c6x); c6y = GemmVector.Fma(av, b1, c6y);
            av = Vector512.Create(r6[l1]); c7x = GemmVector.Fma(av, b0, c7x); c7y = GemmVector.Fma(av, b1, c7y);
            av = Vector512.Create(r6[l2]); c8x = GemmVector.Fma(av, b0, c8x); c8y = GemmVector.Fma(av, b1, c8y);
            av = Vector512.Create(r9[0]); c9x = GemmVector.Fma(av, b0, c9x); c9y = GemmVector.Fma(av, b1, c9y);
            av = Vector512.Create(r9[l1]); c10x = GemmVector.Fma(av, b0, c10x); c10y = GemmVector.Fma(av, b1, c10y);
            av = Vector512.Create(r9[l2]); c11x = GemmVector.Fma(av, b0, c11x); c11y = GemmVector.Fma(av, b1, c11y);
            r0 += acs; r3 += acs; r6 += acs; r9 += acs; b += ldb;
        }

        StoreRow(c, c0x, c0y, accumulate); c += ldc;
        StoreRow(c, c1x, c1y, accumulate); c += ldc;
        StoreRow(c, c2x, c2y, accumulate); c += ldc;
        StoreRow(c, c3x, c3y, accumulate); c += ldc;
        StoreRow(c, c4x, c4y, accumulate); c += ldc;
        StoreRow(c, c5x, c5y, accumulate); c += ldc;
        StoreRow(c, c6x, c6y, accumulate); c += ldc;
        StoreRow(c, c7x, c7y, accumulate); c += ldc;
        StoreRow(c, c8x, c8y, accumulate); c += ldc;
        StoreRow(c, c9x, c9y, accumulate); c += ldc;
        StoreRow(c, c10x, c10y, accumulate); c += ldc;
        StoreRow(c, c11x, c11y, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* c, Vector512<T> x, Vector512<T> y, bool accumulate)
    {
        if (accumulate)
        {
            x += Vector512.Load(c);
            y += Vector512.Load(c + W);
        }
        Vector512.Store(x, c);
        Vector512.Store(y, c + W);
    }
}
