// The public face of the packed CPU GEMM's sizes: which microkernel this CPU runs, its register tile and its cache
// blocks, and the work thresholds that route a product elsewhere. Read from the kernels' own constants, so a report
// that quotes them cannot go stale.
using System.Runtime.Intrinsics;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// How the CPU backend multiplies matrices of one element type on this machine. C is computed in
/// <see cref="MR"/> x <see cref="NR"/> register tiles (NR = 2 vectors of <see cref="VectorLanes"/> lanes); a product
/// whose m is not a multiple of MR, or whose n is not a multiple of NR, computes its last row or column of tiles in
/// full into a scratch tile and keeps only the valid part. A and B are packed in blocks of <see cref="MC"/> rows,
/// <see cref="KC"/> depth and <see cref="NC"/> columns (k itself is never padded). <see cref="Kernel"/> is "naive"
/// (MR = NR = 1) where the CPU has neither AVX-512 nor AVX2 with FMA.
/// </summary>
public sealed record CpuGemmBlocking(string Kernel, int VectorLanes, int MR, int NR, int MC, int KC, int NC)
{
    /// <summary>Products of fewer multiply-adds than this run a plain triple loop: packing would cost more than it saves.</summary>
    public const long NaiveBelowWork = Gemm.NaiveBelow;

    /// <summary>A batch of products each below this many multiply-adds is spread across threads one product per thread, not split inside each.</summary>
    public const long BatchAcrossThreadsBelowWork = CpuBackend.SmallGemm;

    /// <summary>Each extra thread inside one product gets at least this many multiply-adds.</summary>
    public const long MinWorkPerThread = Gemm.MinWorkPerThread;

    /// <summary>The blocking the CPU backend uses for <paramref name="dtype"/> (Float32 or Float64) on this CPU.</summary>
    public static CpuGemmBlocking For(DType dtype) => dtype switch
    {
        DType.Float32 => For<float>(),
        DType.Float64 => For<double>(),
        _ => throw new ArgumentException($"CpuGemmBlocking.For: the CPU GEMM multiplies Float32 or Float64, got {dtype}", nameof(dtype)),
    };

    private static CpuGemmBlocking For<T>() where T : unmanaged => Gemm.BestPath<T>() switch
    {
        GemmPath.Avx512 => Of<T, GemmKernel512<T>>("AVX-512", Vector512<T>.Count),
        GemmPath.Avx2 => Of<T, GemmKernel256<T>>("AVX2+FMA", Vector256<T>.Count),
        _ => new CpuGemmBlocking("naive", 1, 1, 1, 0, 0, 0),
    };

    private static CpuGemmBlocking Of<T, TK>(string name, int lanes) where T : unmanaged where TK : IGemmMicroKernel<T> =>
        new($"{name} {TK.MR}x{TK.NR}", lanes, TK.MR, TK.NR, TK.MC, TK.KC, TK.NC);

    public override string ToString() => Kernel == "naive"
        ? "naive triple loop (no AVX2/AVX-512 here)"
        : $"{Kernel} register tile ({VectorLanes}-lane vectors), blocks MC {MC}, KC {KC}, NC {NC}";
}
