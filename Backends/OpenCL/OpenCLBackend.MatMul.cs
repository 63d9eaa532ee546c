// Batched matrix product: a register-blocked tiled kernel for real work, the naive kernel for tiny products,
// for devices the tiling does not fit, and as the oracle the tests hold the tiled kernel to.
using System.Collections.Concurrent;
using Silk.NET.OpenCL;

namespace DotGrad.Backends.OpenCL;

/// <summary>Which matmul kernel to run; <see cref="Auto"/> lets the host choose by size.</summary>
internal enum MatMulPath
{
    Auto,
    Naive,
    Tiled,
}

public sealed unsafe partial class OpenCLBackend
{
    /// <summary>
    /// Products of fewer multiply-adds per matrix than this run the naive kernel: the tiled kernel's tile would be
    /// mostly padding and its launch no cheaper.
    /// </summary>
    public const long NaiveMaxWork = 64L * 64 * 64;

    /// <summary>
    /// Products with M or N below this run the naive kernel: matrices thinner than a micro-tile row (a
    /// vector-matrix product) waste most of every macro-tile, and the naive kernel streams them just as well.
    /// </summary>
    public const int NaiveMaxSide = 8;

    // The tiling each dtype runs with on this device (null: none fits, naive only), chosen on first use.
    private readonly ConcurrentDictionary<DType, GemmTiling?> _tilings = new();

    public void MatMul(Strided a, Strided b, Strided c) => MatMul(a, b, c, MatMulPath.Auto);

    /// <summary>
    /// c = a @ b on a chosen path (tests force <see cref="MatMulPath.Naive"/> for the oracle, or a specific
    /// <paramref name="tiling"/>). The tiled path falls back to naive when no tiling fits the device.
    /// </summary>
    internal void MatMul(Strided a, Strided b, Strided c, MatMulPath path, GemmTiling? tiling = null)
    {
        // a [B, M, K], b [B, K, N], c [B, M, N]
        int batch = c.Shape[0], M = c.Shape[1], N = c.Shape[2], K = a.Shape[2];
        if (c.DType is not (DType.Float32 or DType.Float64))
            throw new NotSupportedException($"matmul: dtype {c.DType} is not supported by the OpenCL kernels; use Float32 or Float64");
        if (path == MatMulPath.Auto)
            path = (long)M * N * K < NaiveMaxWork || Math.Min(M, N) < NaiveMaxSide ? MatMulPath.Naive : MatMulPath.Tiled;
        if (path == MatMulPath.Tiled) tiling ??= Tiling(c.DType);
        if (path == MatMulPath.Naive || tiling is null)
            MatMulNaive(a, b, c, batch, M, N, K);
        else
            MatMulTiled(a, b, c, batch, M, N, K, tiling);
    }

    private void MatMulNaive(Strided a, Strided b, Strided c, int batch, int M, int N, int K)
    {
        var kernel = Kernels.Kernel("matmul.cl", $"#define T {CType(c.DType)}\n#define NAIVE", "matmul_naive");
        // A 2-D group over (n, m), no wider than the matrix, so tiny batched products do not launch idle items.
        int ln = Math.Min(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(N, 1)));
        int lm = Math.Max(1, Math.Min(Math.Min(WorkGroup / ln, 16), (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(M, 1))));
        Launch(kernel, [RoundUp(N, ln), RoundUp(M, lm), (nuint)batch], [(nuint)ln, (nuint)lm, 1], Arguments(a, b, c, M, N, K));
    }

    private void MatMulTiled(Strided a, Strided b, Strided c, int batch, int M, int N, int K, GemmTiling t)
    {
        // Read each operand along its shorter stride, so the tile loads are coalesced whichever way it is laid out.
        bool aKFast = Math.Abs(a.Strides[2]) <= Math.Abs(a.Strides[1]);
        bool bNFast = Math.Abs(b.Strides[2]) <= Math.Abs(b.Strides[1]);
        bool checkBounds = t.NeedsBoundsChecks(M, N, K);
        var kernel = Kernels.Kernel("matmul.cl", t.Defines(CType(c.DType), aKFast, bNFast, checkBounds), "matmul_tiled");
        nuint tilesN = (nuint)((N + t.TN - 1) / t.TN), tilesM = (nuint)((M + t.TM - 1) / t.TM);
        Launch(kernel, [tilesN * (nuint)t.LocalN, tilesM * (nuint)t.LocalM, (nuint)batch], [(nuint)t.LocalN, (nuint)t.LocalM, 1], Arguments(a, b, c, M, N, K));
    }

    private static KernelArg[] Arguments(Strided a, Strided b, Strided c, int M, int N, int K) =>
    [
        M, N, K,
        KernelArg.Buffer(a.Storage), a.Offset, a.Strides[0], a.Strides[1], a.Strides[2],
        KernelArg.Buffer(b.Storage), b.Offset, b.Strides[0], b.Strides[1], b.Strides[2],
        KernelArg.Buffer(c.Storage), c.Offset, c.Strides[0], c.Strides[1], c.Strides[2],
    ];

    private static nuint RoundUp(int n, int group) => (nuint)((n + group - 1) / group * group);

    /// <summary>
    /// The tiling products of <paramref name="dtype"/> (Float32 or Float64) run with on this device, chosen on first use
    /// (the first candidate whose work group and local memory fit); null when none fits and every product runs the naive
    /// kernel. Products below <see cref="NaiveMaxWork"/> or thinner than <see cref="NaiveMaxSide"/> run naive regardless.
    /// </summary>
    public GemmTiling? MatMulTiling(DType dtype) => Tiling(dtype);

    /// <summary>The tiling <paramref name="dtype"/> runs with here: the first candidate that fits, or null for naive only.</summary>
    internal GemmTiling? Tiling(DType dtype) =>
        _tilings.GetOrAdd(dtype, d => GemmTiling.Candidates(d, Info.IsGpu).FirstOrDefault(t => Fits(t, d)));

    /// <summary>
    /// True when this device can run <paramref name="t"/> for <paramref name="dtype"/>: the device limits allow it,
    /// and the compiled kernel (whose register use can lower the limit) accepts a work group of its size.
    /// </summary>
    internal bool Fits(GemmTiling t, DType dtype)
    {
        if (!t.IsValid || t.Threads > Info.MaxWorkGroupSize || t.LocalBytes(dtype.ElementSize()) > Info.LocalMemoryBytes)
            return false;
        var kernel = Kernels.Kernel("matmul.cl", t.Defines(CType(dtype), true, true, true), "matmul_tiled");
        nuint size = 0;
        ulong local = 0;
        OpenCLException.Check(_api.GetKernelWorkGroupInfo(kernel, Info.DeviceId, KernelWorkGroupInfo.WorkGroupSize, (nuint)sizeof(nuint), &size, null),
            "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE)");
        OpenCLException.Check(_api.GetKernelWorkGroupInfo(kernel, Info.DeviceId, KernelWorkGroupInfo.LocalMemSize, sizeof(ulong), &local, null),
            "clGetKernelWorkGroupInfo(CL_KERNEL_LOCAL_MEM_SIZE)");
        return (int)size >= t.Threads && (long)local <= Info.LocalMemoryBytes;
    }
}
