// AVX2/FMA microkernel: a 6 x (2 vectors) tile of C in 12 ymm accumulators (6x16 float, 6x8 double), the fallback
// when Vector512 is not hardware accelerated (Haswell..Alder Lake, Zen 1-3, or AVX-512 disabled).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// 6 x 2W register block (W = lanes per Vector256): 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm
/// registers AVX2 has, the classic Haswell shape. 12 independent FMA chains cover the FMA latency x throughput product.
/// </summary>
/// <remarks>
/// Blocking: KC = 256 puts a B micro-panel (256 x 16 x 4 B = 16 KiB for float) in a 32 KiB L1; MC = 72 x KC fits the
/// A block in a 256 KiB+ L2 (72 KiB float); NC keeps the B panel in L3.
/// </remarks>
internal readonly unsafe struct GemmKernel256<T> : IGemmMicroKernel<T> where T : unmanaged
{
    private static int W => Vector256<T>.Count;
    public static int MR => 6;
    public static int NR => 2 * Vector256<T>.Count;
    public static int MC => 72;
    public static int KC => 256;
    public static int NC => 3072;
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Fma.IsSupported && Vector256<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        Vector256<T> c0x = Vector256<T>.Zero, c0y = Vector256<T>.Zero;
        Vector256<T> c1x = Vector256<T>.Zero, c1y = Vector256<T>.Zero;
        Vector256<T> c2x = Vector256<T>.Zero, c2y = Vector256<T>.Zero;
        Vector256<T> c3x = Vector256<T>.Zero, c3y = Vector256<T>.Zero;
        Vector256<T> c4x = Vector256<T>.Zero, c4y = Vector256<T>.Zero;
        Vector256<T> c5x = Vector256<T>.Zero, c5y = Vector256<T>.Zero;
        Vector256<T> b0, b1, av;
        for (int p = 0; p < kc; p++)
        {
            b0 = Vector256.Load(b); b1 = Vector256.Load(b + W);
            av = Vector256.Create(a[0]); c0x = GemmVector.Fma(av, b0, c0x); c0y = GemmVector.Fma(av, b1, c0y);
            av = Vector256.Create(a[1]); c1x = GemmVector.Fma(av, b0, c1x); c1y = GemmVector.Fma(av, b1, c1y);
            av = Vector256.Create(a[2]); c2x = GemmVector.Fma(av, b0, c2x); c2y = GemmVector.Fma(av, b1, c2y);
            av = Vector256.Create(a[3]); c3x = GemmVector.Fma(av, b0, c3x); c3y = GemmVector.Fma(av, b1, c3y);
            av = Vector256.Create(a[4]); c4x = GemmVector.Fma(av, b0, c4x); c4y = GemmVector.Fma(av, b1, c4y);
            av = Vector256.Create(a[5]); c5x = GemmVector.Fma(av, b0, c5x); c5y = GemmVector.Fma(av, b1, c5y);
            a += MR; b += NR;
        }

        StoreRow(c, c0x, c0y, accumulate); c += ldc;
        StoreRow(c, c1x, c1y, accumulate); c += ldc;
        StoreRow(c, c2x, c2y, accumulate); c += ldc;
        StoreRow(c, c3x, c3y, accumulate); c += ldc;
        StoreRow(c, c4x, c4y, accumulate); c += ldc;
        StoreRow(c, c5x, c5y, accumulate); c += ldc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* c, Vector256<T> x, Vector256<T> y, bool accumulate)
    {
        if (accumulate)
        {
            x += Vector256.Load(c);
            y += Vector256.Load(c + W);
        }
        Vector256.Store(x, c);
        Vector256.Store(y, c + W);
    }
}
