// The shapes study's verdict on one device, computed from the measured times: the thread's four claims (the MLP 4352
// freebie, 18 heads of 64 against 16 of 72, the MLP 4224 speed-up, the 150M alternative), each held or not against
// a tolerance set by the measurements' own noise, then why, from how the products' dimensions fill the kernel's tiles.
using System.Globalization;

namespace DotGrad.Cli.Study;

internal static class ShapesVerdict
{
    /// <summary>The least tolerance on a throughput ratio: differences within 5% count as "the same".</summary>
    public const double MinTolerance = 0.05;

    /// <summary>The tolerance is this many times the noisiest compared shape's relative median absolute deviation (about two standard deviations).</summary>
    public const double NoiseFactor = 3;

    /// <summary>Above this tolerance the rounds wandered too much to judge a claim (a busy machine): the claim is not judged.</summary>
    public const double MaxTolerance = 0.25;

    /// <summary>The tolerance for comparing <paramref name="keys"/>: 5%, or <see cref="NoiseFactor"/> x the largest noise among them.</summary>
    public static double Tolerance(DeviceRun run, params string[] keys) => Math.Max(MinTolerance, NoiseFactor * keys.Max(k => run.Of(k).Noise));

    /// <summary>The verdict word, or "could not be judged" when the tolerance is past <see cref="MaxTolerance"/>.</summary>
    private static string Judge(double tolerance, string verdict) => tolerance > MaxTolerance
        ? $"could not be judged (the rounds wandered past {P(MaxTolerance)})"
        : verdict;

    /// <summary>The useful share of the work the device's kernels do for one step of <paramref name="shape"/> (FLOP-weighted tile fill).</summary>
    public static double Fill(GemmTiles tiles, BlockShape shape, int batch, int tokens)
    {
        var gemms = BlockGemms.ForwardBackward(shape.Block, batch, tokens);
        return gemms.Sum(g => g.Flops) / gemms.Sum(g => g.Flops / tiles.Use(g.M, g.N, g.K).Fill);
    }

    /// <summary>The share of one step's FLOPs that the device runs in its bounds-checked kernel (0 on the CPU, which has none).</summary>
    public static double CheckedShare(GemmTiles tiles, BlockShape shape, int batch, int tokens)
    {
        var gemms = BlockGemms.ForwardBackward(shape.Block, batch, tokens);
        return gemms.Where(g => tiles.Use(g.M, g.N, g.K).BoundsChecked).Sum(g => g.Flops) / gemms.Sum(g => g.Flops);
    }

    /// <summary>
    /// The throughput of <paramref name="key"/> over <paramref name="baseline"/>'s that padding alone predicts: the
    /// ratio of the work the kernels do per token, useful and padded, as if every kernel ran at one rate.
    /// </summary>
    public static double Predicted(DeviceRun run, string key, string baseline)
    {
        double Work(string k)
        {
            var t = run.Of(k);
            return t.FlopsPerToken / Fill(run.Tiles, t.Shape, run.Batch, run.Tokens);
        }
        return Work(baseline) / Work(key);
    }

    /// <summary>The verdict paragraph for one device: the claims, then the tiles' account of them.</summary>
    public static string Paragraph(DeviceRun run)
    {
        var parts = new List<string>();
        string device = run.Tiles.Device.ToString();
        var orig = run.Of("So400m");

        // (a), (b): more FLOPs at the same throughput?
        double tol = Tolerance(run, "So400m", "a", "b");
        double ra = run.Relative("a"), rb = run.Relative("b");
        bool freebie = ra >= 1 - tol && rb >= 1 - tol;
        parts.Add($"'MLP 4352 is a freebie' {Judge(tol, freebie ? "held" : "did not hold")} on {device}: (a) ran at {X(ra)} and (b) at {X(rb)} the original's tokens/s " +
                  $"(tolerance {P(tol)}) with {Pct(run.Of("a").FlopsPerToken / orig.FlopsPerToken - 1)} FLOPs per token and " +
                  $"{Pct(run.Of("a").Parameters / (double)orig.Parameters - 1)} parameters per block; the achieved rate went from " +
                  $"{G(orig.Gflops)} to {G(run.Of("a").Gflops)} and {G(run.Of("b").Gflops)} GFLOP/s.");

        // 18 heads of 64 against 16 of 72, at the same MLP.
        double tolHeads = Tolerance(run, "a", "b", "c", "d");
        double ba = run.Relative("b", "a"), dc = run.Relative("d", "c");
        string heads = ba >= 1 - tolHeads && dc >= 1 - tolHeads
            ? (ba > 1 + tolHeads && dc > 1 + tolHeads ? "held (faster)" : "held")
            : "did not hold";
        parts.Add($"'18 heads of 64 are as fast as or faster than 16 of 72' {Judge(tolHeads, heads)}: (b) ran at {X(ba)} (a) and (d) at {X(dc)} (c) " +
                  $"(tolerance {P(tolHeads)}), at equal FLOPs (heads x head dim = {orig.Shape.Vit.Width} either way).");

        // (c), (d): rounding down.
        double tolDown = Tolerance(run, "So400m", "c", "d");
        double rc = run.Relative("c"), rd = run.Relative("d");
        string down = rc > 1 + tolDown && rd > 1 + tolDown ? "held"
            : rc < 1 - tolDown || rd < 1 - tolDown ? "did not hold (slower)"
            : "was not shown (within the tolerance)";
        parts.Add($"'MLP 4224 gains a little speed' {Judge(tolDown, down)}: (c) ran at {X(rc)} and (d) at {X(rd)} the original " +
                  $"(tolerance {P(tolDown)}) with {Pct(run.Of("c").FlopsPerToken / orig.FlopsPerToken - 1)} FLOPs per token.");

        // The 150M shape against its rounded alternative.
        double tol150 = Tolerance(run, "150M", "150M alt");
        double alt = run.Relative("150M alt");
        string faster = alt > 1 + tol150 ? "held" : alt >= 1 - tol150 ? "did not hold (as fast, within the tolerance)" : "did not hold (the alternative was slower)";
        parts.Add($"'the 150M shape (head dim 55) is clearly slower than width 896 with 14 heads of 64' {Judge(tol150, faster)}: the alternative ran at {X(alt)} " +
                  $"the original's tokens/s (tolerance {P(tol150)}) with {Pct(run.Of("150M alt").FlopsPerToken / run.Of("150M").FlopsPerToken - 1)} FLOPs per token.");

        parts.Add(Why(run));
        return string.Join(" ", parts);
    }

    /// <summary>
    /// Why, from the tiles: how the head dims and MLP widths fill the column tile (where both are n most often), and
    /// what the padded work predicts against what was measured.
    /// </summary>
    private static string Why(DeviceRun run)
    {
        var tiles = run.Tiles;
        if (tiles.Axes.Count < 2) return $"On {tiles.Device} every product runs the naive kernel, so no tile padding explains a difference.";
        var (axis, size) = tiles.Axes[1];
        string Fills(IEnumerable<int> dims) => string.Join(", ", dims.Distinct().Select(d => $"{d} to {P(GemmTiles.Fill(d, size))}"));
        var shapes = run.Timings.Select(t => t.Shape).ToArray();
        var so400m = run.Of("So400m").Shape;
        var gemms = BlockGemms.ForwardBackward(so400m.Block, run.Batch, run.Tokens);
        var attention = gemms.Where(g => g.Name is "q k^T" or "att v").ToArray();
        var mlp = gemms.Where(g => g.Name.StartsWith("mlp", StringComparison.Ordinal)).ToArray();
        double attentionShare = attention.Sum(g => g.Flops) / gemms.Sum(g => g.Flops);
        int headN = attention.Count(g => g.N == so400m.HeadDim), mlpN = mlp.Count(g => g.N == so400m.Vit.MlpHidden);
        string tolerate = "";
        var pairs = new[] { ("a", "So400m"), ("b", "So400m"), ("b", "a"), ("150M alt", "150M") };
        var off = pairs.Where(p => Math.Abs(run.Relative(p.Item1, p.Item2) / Predicted(run, p.Item1, p.Item2) - 1) > Tolerance(run, p.Item1, p.Item2)).ToArray();
        if (off.Length > 0)
            tolerate = $" Padding alone misses {string.Join(" and ", off.Select(p => $"{p.Item1} against {p.Item2}"))} by more than the tolerance: " +
                       "the rest is how fast the kernels run each shape" + (tiles is OpenCLTiles ? " (the bounds-checked kernel above among it)" : "") +
                       "; the per-head products are small batched GEMMs whose rate depends on their size, and the norms, softmax and activations " +
                       "are not counted in the FLOPs but take time.";
        return $"Why, from the tiles on {tiles.Device} ({axis} = {size}, the tile a product's n fills; the head dim is n in {headN} of the {attention.Length} attention " +
               $"products and the MLP width in {mlpN} of the {mlp.Length} MLP products): head dims fill it {Fills(shapes.Select(s => s.HeadDim))}; MLP widths " +
               $"{Fills(shapes.Select(s => s.Vit.MlpHidden))}. The attention products are {P(attentionShare)} of So400m's FLOPs at {run.Tokens} tokens. " +
               $"Counting the padded work, (a) should run at {X(Predicted(run, "a", "So400m"))} the original (measured {X(run.Relative("a"))}), " +
               $"(b) at {X(Predicted(run, "b", "a"))} (a) (measured {X(run.Relative("b", "a"))}), and the 150M alternative at " +
               $"{X(Predicted(run, "150M alt", "150M"))} the original (measured {X(run.Relative("150M alt"))}).{Checked(run)}{tolerate}";
    }

    /// <summary>On an OpenCL device, how much of each shape's work runs in the bounds-checked kernel (every product with a ragged dimension does).</summary>
    private static string Checked(DeviceRun run)
    {
        if (run.Tiles is not OpenCLTiles) return "";
        string Share(string key) => P(CheckedShare(run.Tiles, run.Of(key).Shape, run.Batch, run.Tokens));
        return $" The bounds-checked kernel (each tile load tests its indices, and edge tiles compute zeros) runs {Share("So400m")} of the original So400m's FLOPs against " +
               $"{Share("a")} of (a)'s and {Share("b")} of (b)'s, and {Share("150M")} of the 150M original's against {Share("150M alt")} of the alternative's.";
    }

    public static string X(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string P(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A signed change: "+1.1% more" or "1.2% fewer".</summary>
    private static string Pct(double change) => change >= 0
        ? $"{(change * 100).ToString("0.0", CultureInfo.InvariantCulture)}% more"
        : $"{(-change * 100).ToString("0.0", CultureInfo.InvariantCulture)}% fewer";

    public static string G(double gflops) => gflops.ToString(gflops >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture);
}
