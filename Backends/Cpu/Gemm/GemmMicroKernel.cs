// The microkernel contract of the packed GEMM: one MR x NR tile of C updated from a packed A micro-panel
// (kc x MR, k-major) and a packed B micro-panel (kc x NR, k-major). The driver is generic over it.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends.Cpu;

/// <summary>A register-blocked microkernel and the cache-blocking sizes that suit it.</summary>
/// <remarks>Implemented by structs so the driver's generic instantiation inlines every constant and call.</remarks>
internal unsafe interface IGemmMicroKernel<T> where T : unmanaged
{
    /// <summary>Rows of the C tile kept in registers (A values broadcast per k step).</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the C tile kept in registers (whole vectors of B per k step).</summary>
    static abstract int NR { get; }
    /// <summary>Rows of the packed A block (MC x KC), sized to stay in L2.</summary>
    static abstract int MC { get; }
    /// <summary>Depth of the packed panels; a B micro-panel KC x NR is reused across the A block from L1/L2.</summary>
    static abstract int KC { get; }
    /// <summary>Columns of the packed B panel (KC x NC), which lives in L3 / far L2.</summary>
    static abstract int NC { get; }
    /// <summary>Whether this kernel runs in hardware on this machine.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>
    /// C[0..MR, 0..NR] (+)= Apanel * Bpanel with a[p * MR + r] and b[p * NR + j] for p in [0, kc).
    /// The full tile is always written; the driver redirects partial edge tiles to a scratch tile.
    /// </summary>
    static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate);

    /// <summary>Whether <see cref="RunRowMajorA"/> is implemented (the driver packs A otherwise).</summary>
    static virtual bool ReadsRowMajorA => false;

    /// <summary>
    /// <see cref="Run"/> with A read in place instead of from a packed micro-panel: A(r, p) = a[r * lda + p] for r in
    /// [0, MR), a row-major A with unit stride along k. All MR rows must exist; the driver packs a ragged last panel.
    /// </summary>
    static virtual void RunRowMajorA(int kc, T* a, nint lda, T* b, T* c, nint ldc, bool accumulate) =>
        throw new NotSupportedException("This microkernel reads A only from packed micro-panels.");
}

/// <summary>Element-type dispatch for fused multiply-add on generic vectors; folded away by the JIT per T.</summary>
internal static class GemmVector
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc)
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        return Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }
}
