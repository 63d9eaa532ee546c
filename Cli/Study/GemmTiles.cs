// How well a product's dimensions fill the tiles of the kernel that runs it, per device: the CPU GEMM's register tile
// (MR x NR; k is not padded) and the OpenCL kernel's macro-tile (TM x TN, stepping TK). The sizes are read from the
// backends, so they are this build's and this machine's.
using System.Globalization;
using DotGrad.Backends;
using DotGrad.Backends.Cpu;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Cli.Study;

/// <summary>
/// How one product runs on a device: the share of the kernel's work that is useful, whether the whole product runs a
/// slower bounds-checked kernel (OpenCL, when a dimension is not a multiple of its tile), and a note (naive, bounds checks).
/// </summary>
internal sealed record TileUse(double Fill, string Note)
{
    public bool BoundsChecked { get; init; }
}

/// <summary>The tiling of one device's matmul kernel, and the fill of any M x N x K product under it.</summary>
internal abstract class GemmTiles
{
    /// <summary>The device, as --device names it.</summary>
    public abstract Device Device { get; }

    /// <summary>One line: the kernel and its tile sizes.</summary>
    public abstract string Describe();

    /// <summary>The tile axes with their sizes, for the dimension table: (label, size), e.g. ("MR (rows of C)", 12).</summary>
    public abstract IReadOnlyList<(string Axis, int Size)> Axes { get; }

    /// <summary>The useful fraction of the work the kernel does for one M x N x K product (1 when nothing is padded).</summary>
    public abstract TileUse Use(int m, int n, int k);

    /// <summary>d / (d rounded up to a multiple of <paramref name="tile"/>): how much of the tiles along one axis is real.</summary>
    public static double Fill(int d, int tile) => tile <= 1 ? 1 : d / (double)RoundUp(d, tile);

    public static int RoundUp(int d, int tile) => (d + tile - 1) / tile * tile;

    /// <summary>The tiles of <paramref name="device"/>'s Float32 matmul.</summary>
    public static GemmTiles For(Device device) => device.Kind switch
    {
        DeviceKind.Cpu => new CpuTiles(CpuGemmBlocking.For(DType.Float32)),
        DeviceKind.OpenCL => new OpenCLTiles(device, OpenCLBackend.Get(device.Index)),
        _ => throw new ArgumentException($"GemmTiles.For: the shapes study measures the cpu and OpenCL devices, got {device}", nameof(device)),
    };
}

/// <summary>The packed CPU GEMM: C in MR x NR register tiles, edge tiles computed in full into a scratch tile.</summary>
internal sealed class CpuTiles(CpuGemmBlocking blocking) : GemmTiles
{
    public CpuGemmBlocking Blocking { get; } = blocking;

    public override Device Device => Device.Cpu;

    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"cpu: {Blocking}; products under {CpuGemmBlocking.NaiveBelowWork:N0} multiply-adds run a naive loop, " +
                                         $"a batch of products under {CpuGemmBlocking.BatchAcrossThreadsBelowWork:N0} each is spread one product per thread " +
                                         $"({CpuBackend.MaxThreads} threads)");

    public override IReadOnlyList<(string Axis, int Size)> Axes => [("MR (rows of C)", Blocking.MR), ("NR (columns of C)", Blocking.NR)];

    public override TileUse Use(int m, int n, int k)
    {
        if ((long)m * n * k < CpuGemmBlocking.NaiveBelowWork || Blocking.MR <= 1) return new TileUse(1, "naive loop");
        return new TileUse(Fill(m, Blocking.MR) * Fill(n, Blocking.NR), "");
    }
}

/// <summary>The OpenCL tiled kernel: TM x TN macro-tiles stepping TK; any ragged dimension turns on bounds checks.</summary>
internal sealed class OpenCLTiles(Device device, OpenCLBackend backend) : GemmTiles
{
    public GemmTiling? Tiling { get; } = backend.MatMulTiling(DType.Float32);

    public string Name { get; } = backend.Info.Name;

    public bool IsGpu { get; } = backend.Info.IsGpu;

    public override Device Device => device;

    public override string Describe() => Tiling is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"{device} ({Name}, {(IsGpu ? "GPU" : "CPU runtime")}): tiled kernel TM x TN x TK = {t.TM} x {t.TN} x {t.TK}, each work item " +
          $"{t.WPTM} x {t.WPTN} outputs in {t.VW}-wide vectors ({t.Threads} work items a group); products under " +
          $"{OpenCLBackend.NaiveMaxWork:N0} multiply-adds, or with M or N under {OpenCLBackend.NaiveMaxSide}, run the naive kernel")
        : $"{device} ({Name}): no tiling fits this device, every product runs the naive kernel (one work item per output)";

    public override IReadOnlyList<(string Axis, int Size)> Axes => Tiling is { } t
        ? [("TM (rows of C)", t.TM), ("TN (columns of C)", t.TN), ("TK (depth step)", t.TK)]
        : [];

    public override TileUse Use(int m, int n, int k)
    {
        if (Tiling is not { } t || (long)m * n * k < OpenCLBackend.NaiveMaxWork || Math.Min(m, n) < OpenCLBackend.NaiveMaxSide)
            return new TileUse(1, "naive kernel");
        bool check = t.NeedsBoundsChecks(m, n, k);
        return new TileUse(Fill(m, t.TM) * Fill(n, t.TN) * Fill(k, t.TK), check ? "bounds checks" : "") { BoundsChecked = check };
    }
}
