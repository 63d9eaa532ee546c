// The shapes study: do hardware-friendly widths cost anything? It times one transformer block, forward and backward,
// for the seven shapes of the "Getting ViT in Shape" thread (the 150M shape and its rounded alternative; So400m and
// its variants (a)-(d) with MLP 4352 or 4224 and 16 heads of 72 or 18 of 64) on the CPU and every OpenCL device,
// and explains the differences by how each product's dimensions fill the kernels' tiles. A measurement study: no
// training, no data.
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;
using DotGrad.Cli.Commands;
using DotGrad.Cli.Output;
using DotGrad.Models;

namespace DotGrad.Cli.Study;

/// <summary>
/// 'dotgrad study shapes': the seven block shapes timed on each device (warm-up, then interleaved rounds, the median
/// kept), the FLOPs counted by <see cref="BlockGemms"/>, the tiles read by <see cref="GemmTiles"/>, the verdict by
/// <see cref="ShapesVerdict"/> and the report by <see cref="ShapesReport"/>.
/// </summary>
internal sealed class ShapesStudy : MeasurementStudy
{
    public const string Family150M = "150M", FamilySo400m = "So400m";

    public override string Name => "shapes";

    public override StudyData Data => StudyData.None;

    public override string Summary => "times one ViT block (forward and backward) for the 150M and So400m shapes and their hardware-friendly variants " +
                                      "(MLP 4352 or 4224, 18 heads of 64) on the CPU and every OpenCL device, and explains the gaps by tile fill";

    public override string Question =>
        "Do hardware-friendly widths cost anything? The shape-optimised So400m (width 1152, depth 27, 16 heads of 72, MLP 4304) was " +
        "not rounded to multiples of 128. The claims under test: rounding its MLP up to 4352 is a freebie (more parameters and FLOPs at " +
        "the same throughput, with 16 heads of 72 (a) or 18 of 64 (b)); 18 heads of 64 are as fast as or faster than 16 of 72; rounding " +
        "down to 4224 ((c), (d)) gains a little speed; and the 150M shape as predicted (width 880, 16 heads of 55, MLP 2320) is clearly " +
        "slower than width 896 with 14 heads of 64 and MLP 2304. One transformer block (the ViT's own module) is timed forward and " +
        "backward in Float32 on each device, and every product's dimensions are set against the tiles of the kernel that runs it.";

    /// <summary>The seven shapes; --quick halves width, heads and MLP (head dims kept) of the same seven.</summary>
    public static IReadOnlyList<BlockShape> Shapes(bool quick)
    {
        // 224-pixel images in 14-pixel patches: 256 tokens; quick: 112 pixels, 64 tokens.
        int image = quick ? 112 : 224;
        VitConfig Q(VitConfig v) => quick ? v with { Width = v.Width / 2, Heads = v.Heads / 2, MlpHidden = v.MlpHidden / 2 } : v;
        VitConfig Make(Func<int, int, int, int, VitConfig> preset) => Q(preset(14, 1000, image, 3));
        return
        [
            new(Family150M, "150M", "150M original", Make(VitConfig.So150m)),
            new(Family150M, "150M alt", "150M alternative", Make(VitConfig.So150mAlt)),
            new(FamilySo400m, "So400m", "So400m original", Make(VitConfig.So400m)),
            new(FamilySo400m, "a", "(a) MLP 4352", Make(VitConfig.So400mMlp4352)),
            new(FamilySo400m, "b", "(b) 18 heads, MLP 4352", Make(VitConfig.So400mHead64Mlp4352)),
            new(FamilySo400m, "c", "(c) MLP 4224", Make(VitConfig.So400mMlp4224)),
            new(FamilySo400m, "d", "(d) 18 heads, MLP 4224", Make(VitConfig.So400mHead64Mlp4224)),
        ];
    }

    /// <summary>Warm-up steps, measured rounds, and the seconds one measurement aims at (0: one step each).</summary>
    public static (int Warmup, int Rounds, double TargetSeconds) Plan(bool quick) => quick ? (1, 3, 0) : (2, 11, 1.0);

    /// <summary>
    /// The batch on a device: 2 sequences of 256 tokens on the CPU (about a second per So400m step on two cores);
    /// 1 on an OpenCL CPU runtime, whose GEMM runs several times slower than the CPU backend's; 16 on a GPU, where
    /// 512 tokens would leave most of it idle; 1 in --quick.
    /// </summary>
    public static int Batch(GemmTiles tiles, bool quick) => quick ? 1 : tiles switch
    {
        OpenCLTiles { IsGpu: true } => 16,
        OpenCLTiles => 1,
        _ => 2,
    };

    /// <summary>
    /// A guess of the rate (GFLOP/s) a device reaches, for the estimate printed before anything runs: about what the
    /// 2-core development machine measured (the CPU backend 38, POCL 6), and a modest figure for a GPU.
    /// </summary>
    private static double AssumedGflops(GemmTiles tiles) => tiles switch
    {
        OpenCLTiles { IsGpu: true } => 1000,
        OpenCLTiles => 6,
        _ => 35,
    };

    /// <summary>The devices to measure: --device alone when given, else the CPU and every OpenCL device.</summary>
    private static (IReadOnlyList<Device> Devices, string? NoOpenCL) Devices(StudyOptions options)
    {
        if (options.Device is { } d) return ([DeviceChoice.Resolve(d)], null);
        if (!OpenCLRuntime.IsAvailable) return ([Device.Cpu], OpenCLRuntime.UnavailableReason);
        return ([Device.Cpu, .. OpenCLRuntime.Devices.Select(x => Device.OpenCL(x.Index))], null);
    }

    public override int Run(CliContext context, StudyOptions options, string root)
    {
        var w = context.Out;
        var shapes = Shapes(options.Quick);
        var (warmup, rounds, target) = Plan(options.Quick);
        var (devices, noOpenCL) = Devices(options);
        var tiles = devices.Select(GemmTiles.For).ToArray();
        int tokens = shapes[0].Vit.PatchCount;

        w.WriteLine($"study     {Name}{(options.Quick ? " (quick)" : "")}: {shapes.Count} block shapes x {devices.Count} device(s) " +
                    $"({string.Join(", ", devices)}), {tokens} tokens, output {root}");
        if (noOpenCL is not null) w.WriteLine($"opencl    none: {noOpenCL.TrimEnd('.')}; measuring the CPU only");
        double guess = tiles.Sum(t => Estimate(shapes, Batch(t, options.Quick), tokens, warmup, rounds, target, AssumedGflops(t)));
        w.WriteLine($"estimate  about {Clock(guess)}, assuming {string.Join(", ", tiles.Select(t => $"{AssumedGflops(t):N0} GFLOP/s on {t.Device}"))} " +
                    "(refined after each device's warm-up)");
        w.Flush();

        var runs = new List<DeviceRun>();
        foreach (var t in tiles) runs.Add(Measure(context, t, shapes, Batch(t, options.Quick), tokens, warmup, rounds, target));

        string report = ShapesReport.Write(root, this, options, shapes, runs, noOpenCL);
        w.WriteLine($"report    {report}");
        return ExitCodes.Success;
    }

    /// <summary>
    /// Seconds one device takes at an assumed rate: per shape, the warm-up steps and every round's measurement (as many
    /// steps as make <paramref name="target"/> seconds, at least one).
    /// </summary>
    private static double Estimate(IReadOnlyList<BlockShape> shapes, int batch, int tokens, int warmup, int rounds, double target, double gflops) =>
        shapes.Sum(s =>
        {
            double step = BlockGemms.FlopsPerToken(s.Block, tokens) * batch * tokens / (gflops * 1e9);
            return step * (warmup + rounds * Iterations(target, step));
        });

    /// <summary>Steps per measurement: enough to last <paramref name="target"/> seconds at <paramref name="step"/> seconds a step, at least one.</summary>
    private static int Iterations(double target, double step) => target <= 0 ? 1 : Math.Max(1, (int)Math.Round(target / step));

    /// <summary>
    /// Times every shape on one device. All blocks are built first; the warm-up runs each (the first step compiles
    /// kernels and JITs code), then each round times every shape once, in turn, so a slow spell of a shared machine
    /// falls on all of them rather than on one (odd rounds go in reverse order). The median over rounds is reported.
    /// </summary>
    private static DeviceRun Measure(CliContext context, GemmTiles tiles, IReadOnlyList<BlockShape> shapes, int batch, int tokens,
                                     int warmup, int rounds, double target)
    {
        var w = context.Out;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double? load = MachineInfo.LoadAverage();
        w.WriteLine($"== {tiles.Device}: batch {batch} x {tokens} tokens, {warmup} warm-up step(s), then {rounds} rounds");
        w.Flush();
        var benches = new List<BlockBench>();
        try
        {
            for (int i = 0; i < shapes.Count; i++) benches.Add(new BlockBench(shapes[i].Block, tiles.Device, batch, tokens, seed: (ulong)(i + 1)));
            var warm = new double[shapes.Count];
            for (int r = 0; r < warmup; r++)
                for (int i = 0; i < shapes.Count; i++)
                    warm[i] = benches[i].Time(1);
            int[] iterations = warm.Select(s => Iterations(target, s)).ToArray();
            double left = rounds * warm.Zip(iterations, (s, n) => s * n).Sum();
            w.WriteLine($"estimate  warm-up done in {Clock(clock.Elapsed.TotalSeconds)}: about {Clock(left)} more on {tiles.Device} " +
                        $"({string.Join(", ", shapes.Select((s, i) => $"{s.Key} {warm[i] * 1000:F0} ms"))} per step)");
            w.Flush();

            var seconds = shapes.Select(_ => new double[rounds]).ToArray();
            for (int r = 0; r < rounds; r++)
            {
                var order = Enumerable.Range(0, shapes.Count);
                foreach (int i in r % 2 == 0 ? order : order.Reverse())
                    seconds[i][r] = benches[i].Time(iterations[i]);
            }
            var timings = shapes.Select((s, i) => new ShapeTiming(s, benches[i].Parameters, BlockGemms.FlopsPerToken(s.Block, tokens), batch, tokens, iterations[i], seconds[i])).ToArray();
            foreach (var t in timings)
                w.WriteLine($"   {t.Shape.Label,-24} {t.Median * 1000,8:F1} ms  {t.TokensPerSecond,9:N0} tokens/s  {t.Gflops,7:F1} GFLOP/s");
            w.Flush();
            return new DeviceRun(tiles, batch, tokens, timings, clock.Elapsed.TotalSeconds) { LoadBefore = load, LoadAfter = MachineInfo.LoadAverage() };
        }
        finally
        {
            foreach (var b in benches) b.Dispose();
        }
    }

    internal static string Clock(double seconds) => TrainingProgress.Clock(TimeSpan.FromSeconds(seconds));
}
