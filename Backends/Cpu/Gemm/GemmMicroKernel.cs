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

    /// <summary>Whether <see cref="RunStrided"/> is implemented (the driver packs A and B otherwise).</summary>
    static virtual bool ReadsInPlace => false;

    /// <summary>
    /// <see cref="Run"/> with the operands read through strides instead of from packed micro-panels: A(r, p) =
    /// a[r * ars + p * acs] for r in [0, MR), B(p, j) = b[p * ldb + j] for j in [0, NR). That covers a packed A panel
    /// (ars 1, acs MR), a row-major A read in place (acs 1), a column-major one (ars 1), and a packed B panel (ldb NR)
    /// or a row-major B read in place. All MR rows and NR columns must exist; the driver packs ragged last panels.
    /// A non-null <paramref name="bias"/> (NR values) starts every row's sums from it (a linear layer's first depth
    /// block), in registers, so C is neither filled nor read first; it is used with <paramref name="accumulate"/> false.
    /// </summary>
    static virtual void RunStrided(int kc, T* a, nint ars, nint acs, T* b, nint ldb, T* c, nint ldc, bool accumulate, T* bias) =>
        throw new NotSupportedException("This microkernel reads only packed micro-panels.");
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
