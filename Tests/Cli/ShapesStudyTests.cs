// dotgrad study shapes: the quick study writes report.md with its verdict, its tables per device and its PNGs; the
// analytic FLOP count equals the products a block actually runs, forward and backward (traced), and a hand count;
// the presets have their sizes and parameter counts; the tile fill follows the backends' tile sizes; --list names it.
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Backends.Cpu;
using DotGrad.Backends.OpenCL;
using DotGrad.Cli.Study;
using DotGrad.Models;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class ShapesStudyTests
{
    [Test]
    public void QuickShapesStudy_WritesTheReport_WithTablesPerDeviceAndFigures()
    {
        string dir = CliRunner.TempDir("study-shapes");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var r = CliRunner.Run("study", "shapes", "--quick", "--out", dir);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(watch.Elapsed.TotalSeconds, Is.LessThan(120), "the quick study is meant to take seconds");
        Assert.That(r.Out, Does.Contain("estimate"));

        string report = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (var section in new[] { "## Machine", "## Verdict", "## Shapes", "## Results on cpu", "## Figures", "## Tile sizes", "## Products", "## Command", "| cores |" })
            Assert.That(report, Does.Contain(section), section);
        foreach (var claim in new[] { "'MLP 4352 is a freebie'", "'18 heads of 64 are as fast as or faster than 16 of 72'", "'MLP 4224 gains a little speed'",
                                      "'the 150M shape (head dim 55) is clearly slower" })
            Assert.That(report, Does.Contain(claim), claim);
        Assert.That(report, Does.Contain("dotgrad study shapes --quick --out"), "the exact command");

        // The tile sizes come from the backend: this CPU's register tile is named, with its fill of head dim 55.
        var blocking = CpuGemmBlocking.For(DType.Float32);
        Assert.That(report, Does.Contain($"{blocking.MR}x{blocking.NR}"));
        Assert.That(report, Does.Contain($"| head dim 55 |"));
        if (OpenCLRuntime.IsAvailable)
        {
            Assert.That(report, Does.Contain("## Results on opencl:0"));
            Assert.That(report, Does.Contain("bounds-checked |"), "the OpenCL table gives the share of the bounds-checked kernel");
            if (OpenCLBackend.Get(0).MatMulTiling(DType.Float32) is { } t) Assert.That(report, Does.Contain($"TM x TN x TK = {t.TM} x {t.TN} x {t.TK}"));
        }

        // The cpu table: seven shapes, each with a positive time and throughput; the originals marked as such.
        string cpu = report[report.IndexOf("## Results on cpu", StringComparison.Ordinal)..];
        cpu = cpu[..cpu.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var rows = cpu.Split('\n').Where(l => l.StartsWith("| 150M", StringComparison.Ordinal) || l.StartsWith("| So400m", StringComparison.Ordinal) || l.StartsWith("| (", StringComparison.Ordinal))
                      .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToArray();
        Assert.That(rows, Has.Length.EqualTo(7), cpu);
        foreach (var row in rows)
        {
            Assert.That(double.Parse(row[2].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), string.Join("|", row));
            Assert.That(double.Parse(row[4].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), string.Join("|", row));
        }
        Assert.That(rows.Count(x => x[5] == "original"), Is.EqualTo(2), "one original per family");

        foreach (var png in new[] { ShapesReport.RelativeFigure, ShapesReport.GflopsFigure })
        {
            Assert.That(report, Does.Contain($"]({png})"));
            using var bitmap = SKBitmap.Decode(Path.Combine(dir, png));
            Assert.That(bitmap, Is.Not.Null, $"{png} decodes as an image");
        }
        Assert.That(Directory.GetFiles(dir, "*.tmp"), Is.Empty, "written atomically, nothing left behind");
    }

    [Test]
    public void List_NamesTheShapesStudy()
    {
        var r = CliRunner.Run("study", "--list");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("\nshapes "));
    }

    /// <summary>A hand count: width 8, 2 heads of 4, MLP 16, 3 tokens.</summary>
    [Test]
    public void FlopCount_MatchesAHandCount()
    {
        var c = new BlockConfig(8, 2, 16);
        // Forward: q, k, v, out 4 x 2*3*8*8 = 1536; q k^T and att v 2 x 2 heads x 2*3*3*4 = 288; fc and proj 2 x 2*3*16*8 = 1536.
        double forward = 1536 + 288 + 1536;
        Assert.That(BlockGemms.Forward(c, 1, 3).Sum(g => g.Flops), Is.EqualTo(forward));
        Assert.That(BlockGemms.FlopsPerToken(c, 3), Is.EqualTo(3 * forward / 3), "backward is twice forward");
        Assert.That(BlockGemms.Forward(c, 2, 3).Sum(g => g.Flops), Is.EqualTo(2 * forward), "linear in the batch");
    }

    private static IEnumerable<TestCaseData> TracedBlocks()
    {
        yield return new TestCaseData(new BlockConfig(24, 3, 40)).SetName("TracedProducts_EqualTheCount(plain MLP)");
        yield return new TestCaseData(new BlockConfig(24, 4, 20, Mlp: MlpKind.SwiGlu, KvHeads: 2)).SetName("TracedProducts_EqualTheCount(SwiGLU, grouped-query)");
    }

    /// <summary>
    /// The products the block really runs: the forward pass and the backward pass (recorded with createGraph, so the
    /// gradients' matmuls are traced too) into the input and every weight. Their shapes and FLOPs equal the count's.
    /// </summary>
    [TestCaseSource(nameof(TracedBlocks))]
    public void TracedProducts_EqualTheCount(BlockConfig c)
    {
        const int batch = 2, tokens = 5;
        var g = new Generator(1);
        using var block = new TransformerBlock(c, g);
        using var x = Tensor.Randn([batch, tokens, c.Width], g).RequireGrad();
        using var dy = Tensor.Randn([batch, tokens, c.Width], g);
        var traced = new List<(long Count, int M, int N, int K)>();
        // With attention maps recorded the block writes its attention out (q k^T, softmax, att v), so each of its
        // products is a traced MatMul; the fused attention node runs the same two products inside one kernel.
        using (Tensor.NewDisposeScope())
        using (AttentionMaps.Record())
        using (var trace = ShapeTrace.Start())
        {
            // A Linear is one LinearFused node: x [..., in] with its weight [out, in] is the product [rows, in] x [in, out].
            static bool IsProduct(string name) => name is "MatMul" or "LinearFused";
            var y = block.Call(x);
            int forward = trace.Ops.Count(o => IsProduct(o.Name));
            global::DotGrad.Autodiff.Autograd.Grad([y], [x, .. block.Parameters()], [dy], createGraph: true);
            var ops = trace.Ops.Where(o => IsProduct(o.Name)).ToArray();
            Assert.That(ops.Length, Is.EqualTo(3 * forward), "two gradient products for every forward one");
            foreach (var op in ops)
            {
                int[] a = op.Inputs[0], b = op.Inputs[1];
                if (op.Name == "LinearFused")
                {
                    Assert.That(a[^1], Is.EqualTo(b[1]), "the input's last dim is the weight's in");
                    traced.Add((1, (int)a[..^1].Aggregate(1L, (p, d) => p * d), b[0], a[^1]));
                    continue;
                }
                long count = a[..^2].Aggregate(1L, (p, d) => p * d);
                Assert.That(a[^1], Is.EqualTo(b[^2]), "inner dimensions agree");
                traced.Add((count, a[^2], b[^1], a[^1]));
            }
        }
        var counted = BlockGemms.ForwardBackward(c, batch, tokens).Select(s => (s.Count, s.M, s.N, s.K)).ToList();
        Assert.That(traced.Order(), Is.EqualTo(counted.Order()), "the same products, m x n x k and how many");
        Assert.That(traced.Sum(t => 2.0 * t.Count * t.M * t.N * t.K), Is.EqualTo(BlockGemms.FlopsPerToken(c, tokens) * batch * tokens));
    }

    [Test]
    public void Presets_HaveTheirSizesAndParameterCounts()
    {
        // Width, depth, MLP, heads, head dim, and the block's parameters: attention 4 C^2 + 4 C, MLP 2 C H + H + C, two LayerNorms 4 C.
        var expected = new (VitConfig Vit, int Width, int Depth, int Mlp, int Heads, int HeadDim, long BlockParameters)[]
        {
            (VitConfig.So150m(14, 1000), 880, 18, 2320, 16, 55, 7_191_040),
            (VitConfig.So150mAlt(14, 1000), 896, 18, 2304, 14, 64, 7_350_400),
            (VitConfig.So400m(14, 1000), 1152, 27, 4304, 16, 72, 15_239_504),
            (VitConfig.So400mMlp4352(14, 1000), 1152, 27, 4352, 16, 72, 15_350_144),
            (VitConfig.So400mHead64Mlp4352(14, 1000), 1152, 27, 4352, 18, 64, 15_350_144),
            (VitConfig.So400mMlp4224(14, 1000), 1152, 27, 4224, 16, 72, 15_055_104),
            (VitConfig.So400mHead64Mlp4224(14, 1000), 1152, 27, 4224, 18, 64, 15_055_104),
        };
        foreach (var e in expected)
        {
            var v = e.Vit;
            string name = $"{v.Width}/{v.Depth}/{v.MlpHidden}/{v.Heads}";
            Assert.That((v.Width, v.Depth, v.MlpHidden, v.Heads, v.Width / v.Heads), Is.EqualTo((e.Width, e.Depth, e.Mlp, e.Heads, e.HeadDim)), name);
            Assert.That(v.PatchCount, Is.EqualTo(256), "224-pixel images in 14-pixel patches");
            using var block = new TransformerBlock(v.Block, new Generator(1));
            Assert.That(block.ParameterCount(), Is.EqualTo(e.BlockParameters), name);
        }
        Assert.That(VitConfig.So400mAlt(14, 1000), Is.EqualTo(VitConfig.So400mHead64Mlp4352(14, 1000)), "So400mAlt is variant (b)");
        Assert.That(15_239_504L * 27, Is.InRange(400_000_000L, 420_000_000L), "So400m's blocks hold about 400M parameters");

        // The study's seven shapes are these presets; --quick halves width, heads and MLP and keeps every head dim.
        var full = ShapesStudy.Shapes(quick: false);
        var quick = ShapesStudy.Shapes(quick: true);
        Assert.That(full.Select(s => s.Vit), Is.EqualTo(expected.Select(e => e.Vit)));
        Assert.That(quick.Select(s => s.HeadDim), Is.EqualTo(full.Select(s => s.HeadDim)));
        Assert.That(quick.Select(s => s.Vit.MlpHidden * 2), Is.EqualTo(full.Select(s => s.Vit.MlpHidden)));
        Assert.That(quick[0].Vit.PatchCount, Is.EqualTo(64));
    }

    [Test]
    public void TileFill_FollowsTheBackendsTileSizes()
    {
        Assert.That(GemmTiles.Fill(72, 32), Is.EqualTo(0.75), "72 columns take 3 tiles of 32");
        Assert.That(GemmTiles.Fill(64, 32), Is.EqualTo(1.0));
        Assert.That(GemmTiles.Fill(4304, 128), Is.EqualTo(4304 / 4352.0), "4304 rounds up to 34 tiles of 128");
        Assert.That(GemmTiles.Fill(4352, 128), Is.EqualTo(1.0));

        var cpu = (CpuTiles)GemmTiles.For(Device.Cpu);
        var b = CpuGemmBlocking.For(DType.Float32);
        Assert.That(cpu.Blocking, Is.EqualTo(b));
        Assert.That(cpu.Axes.Select(a => a.Size), Is.EqualTo(new[] { b.MR, b.NR }));
        if (b.MR > 1)
        {
            Assert.That(b.NR, Is.EqualTo(2 * b.VectorLanes), "two vectors of columns");
            Assert.That(cpu.Use(256, 72, 256).Fill, Is.EqualTo(GemmTiles.Fill(256, b.MR) * GemmTiles.Fill(72, b.NR)), "k is never padded on the CPU");
        }
        Assert.That(cpu.Use(4, 4, 4).Note, Is.EqualTo("naive loop"), $"under {CpuGemmBlocking.NaiveBelowWork} multiply-adds");

        // The OpenCL kernel pads all three dimensions and builds a bounds-checked kernel for a ragged one.
        var tiling = new GemmTiling(64, 128, 16, 8, 8, 8);
        Assert.That(tiling.NeedsBoundsChecks(256, 72, 256), Is.True);
        Assert.That(tiling.NeedsBoundsChecks(256, 4352, 1152), Is.False);
        if (OpenCLRuntime.IsAvailable && OpenCLBackend.Get(0).MatMulTiling(DType.Float32) is { } t)
        {
            var cl = GemmTiles.For(Device.OpenCL(0));
            Assert.That(cl.Use(256, 72, 256).Fill, Is.EqualTo(GemmTiles.Fill(256, t.TM) * GemmTiles.Fill(72, t.TN) * GemmTiles.Fill(256, t.TK)));
            Assert.That(cl.Use(4, 4, 4).Note, Is.EqualTo("naive kernel"));
        }
    }
}
