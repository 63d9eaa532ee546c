// AVX-512 microkernel for narrow products: a 12 x (1 vector) tile of C, 12x16 for float and 12x8 for double. Used
// when C has at most one vector of columns (an attention head of 16 dims, a 10-class head), where the wide kernel's
// second vector would multiply zero padding for half of its work.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// 12 x W register block (W = lanes per Vector512): 12 accumulators, 1 B vector and 1 broadcast A value. Per k step
/// 12 FMAs against 1 vector load and 12 broadcasts; 12 independent chains still cover the FMA latency. Same cache
/// blocks as <see cref="GemmKernel512{T}"/> (its B micro-panel is half as wide, so it sits in L1 with room to spare).
/// </summary>
internal readonly unsafe struct GemmKernel512Narrow<T> : IGemmMicroKernel<T> where T : unmanaged
{
    public static int MR => 12;
    public static int NR => Vector512<T>.Count;
    public static int MC => 144;
    public static int KC => 256;
    public static int NC => 3072;
    public static bool IsSupported => GemmKernel512<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        Vector512<T> c0 = Vector512<T>.Zero, c1 = Vector512<T>.Zero, c2 = Vector512<T>.Zero, c3 = Vector512<T>.Zero;
        Vector512<T> c4 = Vector512<T>.Zero, c5 = Vector512<T>.Zero, c6 = Vector512<T>.Zero, c7 = Vector512<T>.Zero;
        Vector512<T> c8 = Vector512<T>.Zero, c9 = Vector512<T>.Zero, c10 = Vector512<T>.Zero, c11 = Vector512<T>.Zero;
        Vector512<T> bv;
        if (Sse.IsSupported)
        {
            T* cp = c;
            for (int r = 0; r < 12; r++, cp += ldc) Sse.Prefetch0(cp);
        }
        for (int p = 0; p < kc; p++)
        {
            bv = Vector512.Load(b);
            c0 = GemmVector.Fma(Vector512.Create(a[0]), bv, c0);
            c1 = GemmVector.Fma(Vector512.Create(a[1]), bv, c1);
            c2 = GemmVector.Fma(Vector512.Create(a[2]), bv, c2);
            c3 = GemmVector.Fma(Vector512.Create(a[3]), bv, c3);
            c4 = GemmVector.Fma(Vector512.Create(a[4]), bv, c4);
            c5 = GemmVector.Fma(Vector512.Create(a[5]), bv, c5);
            c6 = GemmVector.Fma(Vector512.Create(a[6]), bv, c6);
            c7 = GemmVector.Fma(Vector512.Create(a[7]), bv, c7);
            c8 = GemmVector.Fma(Vector512.Create(a[8]), bv, c8);
            c9 = GemmVector.Fma(Vector512.Create(a[9]), bv, c9);
            c10 = GemmVector.Fma(Vector512.Create(a[10]), bv, c10);
            c11 = GemmVector.Fma(Vector512.Create(a[11]), bv, c11);
            a += MR; b += NR;
        }
        StoreRow(c, c0, accumulate); c += ldc;
        StoreRow(c, c1, accumulate); c += ldc;
        StoreRow(c, c2, accumulate); c += ldc;
        StoreRow(c, c3, accumulate); c += ldc;
        StoreRow(c, c4, accumulate); c += ldc;
        StoreRow(c, c5, accumulate); c += ldc;
        StoreRow(c, c6, accumulate); c += ldc;
        StoreRow(c, c7, accumulate); c += ldc;
        StoreRow(c, c8, accumulate); c += ldc;
        StoreRow(c, c9, accumulate); c += ldc;
        StoreRow(c, c10, accumulate); c += ldc;
        StoreRow(c, c11, accumulate);
    }

    public static bool ReadsInPlace => true;

    /// <summary>The same tile with the operands read through strides, addressed as in <see cref="GemmKernel512{T}.RunStrided"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunStrided(int kc, T* a, nint ars, nint acs, T* b, nint ldb, T* c, nint ldc, bool accumulate, T* bias)
    {
        Vector512<T> init = bias != null ? Vector512.Load(bias) : Vector512<T>.Zero;   // every row starts from the bias (or zero)
        Vector512<T> c0 = init, c1 = init, c2 = init, c3 = init, c4 = init, c5 = init;
        Vector512<T> c6 = init, c7 = init, c8 = init, c9 = init, c10 = init, c11 = init;
        Vector512<T> bv;
        if (Sse.IsSupported)
        {
            T* cp = c;
            for (int r = 0; r < 12; r++, cp += ldc) Sse.Prefetch0(cp);
        }
        T* r0 = a, r3 = a + 3 * ars, r6 = a + 6 * ars, r9 = a + 9 * ars;
        nint l1 = ars, l2 = 2 * ars;
        for (int p = 0; p < kc; p++)
        {
            bv = Vector512.Load(b);
            c0 = GemmVector.Fma(Vector512.Create(r0[0]), bv, c0);
            c1 = GemmVector.Fma(Vector512.Create(r0[l1]), bv, c1);
            c2 = GemmVector.Fma(Vector512.Create(r0[l2]), bv, c2);
            c3 = GemmVector.Fma(Vector512.Create(r3[0]), bv, c3);
            c4 = GemmVector.Fma(Vector512.Create(r3[l1]), bv, c4);
            c5 = GemmVector.Fma(Vector512.Create(r3[l2]), bv, c5);
            c6 = GemmVector.Fma(Vector512.Create(r6[0]), bv, c6);
            c7 = GemmVector.Fma(Vector512.Create(r6[l1]), bv, c7);
            c8 = GemmVector.Fma(Vector512.Create(r6[l2]), bv, c8);
            c9 = GemmVector.Fma(Vector512.Create(r9[0]), bv, c9);
            c10 = GemmVector.Fma(Vector512.Create(r9[l1]), bv, c10);
            c11 = GemmVector.Fma(Vector512.Create(r9[l2]), bv, c11);
            r0 += acs; r3 += acs; r6 += acs; r9 += acs; b += ldb;
        }
        StoreRow(c, c0, accumulate); c += ldc;
        StoreRow(c, c1, accumulate); c += ldc;
        StoreRow(c, c2, accumulate); c += ldc;
        StoreRow(c, c3, accumulate); c += ldc;
        StoreRow(c, c4, accumulate); c += ldc;
        StoreRow(c, c5, accumulate); c += ldc;
        StoreRow(c, c6, accumulate); c += ldc;
        StoreRow(c, c7, accumulate); c += ldc;
        StoreRow(c, c8, accumulate); c += ldc;
        StoreRow(c, c9, accumulate); c += ldc;
        StoreRow(c, c10, accumulate); c += ldc;
        StoreRow(c, c11, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* c, Vector512<T> x, bool accumulate)
    {
        if (accumulate) x += Vector512.Load(c);
        Vector512.Store(x, c);
    }
}
