// The tile shapes of the tiled matmul kernel (matmul.cl) and the ones the host tries on each device.
namespace DotGrad.Backends.OpenCL;

/// <summary>
/// One tiling of matmul_tiled: a work group computes a <see cref="TM"/> x <see cref="TN"/> macro-tile of c,
/// stepping through K <see cref="TK"/> at a time; each work item computes <see cref="WPTM"/> x <see cref="WPTN"/>
/// outputs and reads local memory in vectors of <see cref="VW"/> elements. A product whose M, N or K is not a
/// multiple of the tile computes its last tiles in full (reading zeros past the edge) and runs a kernel built with
/// bounds checks on every load and store.
/// </summary>
public sealed record GemmTiling(int TM, int TN, int TK, int WPTM, int WPTN, int VW)
{
    /// <summary>Local tile rows are padded by one vector so a k-fast load's stores spread over the banks.</summary>
    public int Pad => VW;

    /// <summary>The work group: (TN / WPTN) x (TM / WPTM) work items.</summary>
    public int LocalN => TN / WPTN;
    public int LocalM => TM / WPTM;
    public int Threads => LocalN * LocalM;

    /// <summary>Local memory of the two tiles, in bytes.</summary>
    public long LocalBytes(int elementSize) => (long)TK * (TM + TN + 2 * Pad) * elementSize;

    /// <summary>Whether an M x N x K product runs the bounds-checked kernel: some dimension is not a multiple of its tile.</summary>
    public bool NeedsBoundsChecks(int m, int n, int k) => m % TM != 0 || n % TN != 0 || k % TK != 0;

    /// <summary>True when the shape divides evenly: every work item loads whole tiles and every element of both tiles has a loader.</summary>
    public bool IsValid =>
        WPTM % VW == 0 && WPTN % VW == 0 && TM % WPTM == 0 && TN % WPTN == 0
        && TM * TK % Threads == 0 && TN * TK % Threads == 0;

    /// <summary>The #define lines of matmul.cl for this tiling, element type and load order.</summary>
    internal string Defines(string type, bool aKFast, bool bNFast, bool checkBounds) =>
        $"#define T {type}\n#define TILED\n#define TM {TM}\n#define TN {TN}\n#define TK {TK}\n#define WPTM {WPTM}\n#define WPTN {WPTN}\n" +
        $"#define VW {VW}\n#define PAD {Pad}\n#define A_K_FAST {(aKFast ? 1 : 0)}\n#define B_N_FAST {(bNFast ? 1 : 0)}" +
        (checkBounds ? "\n#define CHECK_BOUNDS" : "");

    /// <summary>
    /// The tilings to try on a device, best first; the host takes the first that fits its local memory and
    /// work-group limits. GPUs get the big register-blocked tiles (float: 128 x 128 with 8 x 8 per work item,
    /// 256 work items, 17 KiB of local memory; double: 64 x 64 with 4 x 4, as double has half the registers' worth
    /// of elements); smaller ones follow for devices with less. CPU runtimes run a work group as a loop over its
    /// work items and vectorise across them: there a narrower group with 8-wide vectors measured fastest.
    /// </summary>
    internal static IReadOnlyList<GemmTiling> Candidates(DType dtype, bool isGpu) => (dtype, isGpu) switch
    {
        (DType.Float64, true) => [Double64x64, Double32x32],
        (_, true) => [Float128x128, Float64x64, Float32x32],
        (DType.Float64, false) => [Cpu64x128, Double64x64, Double32x32],
        (_, false) => [Cpu64x128, Float64x64, Float32x32],
    };

    internal static readonly GemmTiling Float128x128 = new(128, 128, 16, 8, 8, 4);
    internal static readonly GemmTiling Float64x64 = new(64, 64, 16, 4, 4, 4);
    internal static readonly GemmTiling Float32x32 = new(32, 32, 8, 4, 4, 4);
    internal static readonly GemmTiling Double64x64 = new(64, 64, 16, 4, 4, 2);
    internal static readonly GemmTiling Double32x32 = new(32, 32, 8, 4, 4, 2);
    internal static readonly GemmTiling Cpu64x128 = new(64, 128, 16, 8, 8, 8);

    /// <summary>Every tiling <paramref name="dtype"/> may run with on some device (the tests run each one that fits).</summary>
    internal static IReadOnlyList<GemmTiling> All(DType dtype) =>
        dtype == DType.Float64 ? [Double64x64, Double32x32, Cpu64x128] : [Float128x128, Float64x64, Float32x32, Cpu64x128];

    public override string ToString() => $"{TM}x{TN}x{TK}/{WPTM}x{WPTN}/v{VW}";
}
