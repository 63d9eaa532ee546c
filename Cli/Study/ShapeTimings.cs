// What the shapes study measures and keeps: a block shape (a ViT preset and its family), the rounds of one shape on
// one device with the median, noise, throughput and GFLOP/s that follow, and everything measured on one device.
using DotGrad.Models;

namespace DotGrad.Cli.Study;

/// <summary>One shape of the study: its family (whose first shape is the baseline), a short key for figures, a label and the model.</summary>
internal sealed record BlockShape(string Family, string Key, string Label, VitConfig Vit)
{
    /// <summary>The block the ViT is built from (big_vision's: pre-norm LayerNorm, tanh-GELU, biases).</summary>
    public BlockConfig Block => Vit.Block;

    public int HeadDim => Vit.Width / Vit.Heads;

    /// <summary>"width 1152, 16 heads of 72, MLP 4304".</summary>
    public string Describe() => $"width {Vit.Width}, {Vit.Heads} heads of {HeadDim}, MLP {Vit.MlpHidden}";
}

/// <summary>How one shape ran on one device: seconds per step in each round, and what follows from them.</summary>
internal sealed record ShapeTiming(BlockShape Shape, long Parameters, double FlopsPerToken, int Batch, int Tokens, int Iterations, double[] Seconds)
{
    public double Median
    {
        get
        {
            var s = Seconds.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }

    public double Min => Seconds.Min();
    public double Max => Seconds.Max();
    /// <summary>
    /// How much a single round wanders: the median absolute deviation of the rounds over their median (robust to one
    /// round that a busy machine slowed down, which a min-max range is not).
    /// </summary>
    public double Noise
    {
        get
        {
            double median = Median;
            var deviations = Seconds.Select(s => Math.Abs(s - median)).Order().ToArray();
            double mad = deviations.Length % 2 == 1 ? deviations[deviations.Length / 2] : (deviations[deviations.Length / 2 - 1] + deviations[deviations.Length / 2]) / 2;
            return mad / median;
        }
    }
    public double TokensPerSecond => Batch * Tokens / Median;
    public double Gflops => FlopsPerToken * TokensPerSecond / 1e9;
}

/// <summary>Everything measured on one device.</summary>
internal sealed record DeviceRun(GemmTiles Tiles, int Batch, int Tokens, IReadOnlyList<ShapeTiming> Timings, double WallSeconds)
{
    /// <summary>The 1-minute load average before and after the measurements (null where the OS does not say).</summary>
    public double? LoadBefore { get; init; }
    public double? LoadAfter { get; init; }

    public ShapeTiming Of(string key) => Timings.First(t => t.Shape.Key == key);

    /// <summary>The throughput of <paramref name="key"/> over its family's first shape's (or another shape's).</summary>
    public double Relative(string key, string? baseline = null)
    {
        var t = Of(key);
        var b = baseline is null ? Timings.First(x => x.Shape.Family == t.Shape.Family) : Of(baseline);
        return t.TokensPerSecond / b.TokensPerSecond;
    }
}
