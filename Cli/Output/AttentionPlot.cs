// Attention maps as one PNG (ScottPlot): a grid of heatmaps, a row per layer and a column per head, each with the
// prompt's characters on both axes (queries down the side, the keys they attend to along the bottom).
using DotGrad.Models;
using ScottPlot;

namespace DotGrad.Cli.Output;

internal static class AttentionPlot
{
    public const string FileName = "attention.png";

    /// <summary>Pixels per token along each axis of a heatmap: room for one character label in <see cref="LabelSize"/>.</summary>
    private const int CellPixels = 16, LabelSize = 12, MinSide = 220, MaxImageSide = 12_000;

    /// <summary>The margin around every heatmap: its axis labels and ticks, its title, and on the right room for the colour bar.</summary>
    private static readonly PixelPadding Margin = new(left: 58, right: 100, bottom: 58, top: 36);

    /// <summary>
    /// Draws <paramref name="mapsPerLayer"/> (one [heads, T, T] array of attention probabilities per layer, query by key)
    /// into a PNG at <paramref name="path"/>, titled "layer L head H" (from 0, as the parameters h.L are named), with
    /// <paramref name="tokenLabels"/> (T of them; see <see cref="Label"/>) on both axes. Every heatmap shares the colour
    /// scale 0 to 1, so heads can be compared. Written to a temporary file, then renamed.
    /// </summary>
    public static void Save(string path, IReadOnlyList<double[,,]> mapsPerLayer, IReadOnlyList<string> tokenLabels)
    {
        ArgumentNullException.ThrowIfNull(mapsPerLayer);
        ArgumentNullException.ThrowIfNull(tokenLabels);
        if (mapsPerLayer.Count == 0) throw new ArgumentException("AttentionPlot: no maps to draw", nameof(mapsPerLayer));
        int layers = mapsPerLayer.Count, heads = mapsPerLayer[0].GetLength(0), T = tokenLabels.Count;
        for (int l = 0; l < layers; l++)
        {
            var m = mapsPerLayer[l];
            if (m.GetLength(0) != heads || m.GetLength(1) != T || m.GetLength(2) != T)
                throw new ArgumentException($"AttentionPlot: layer {l}'s maps are [{m.GetLength(0)}, {m.GetLength(1)}, {m.GetLength(2)}]; " +
                                            $"expected [{heads}, {T}, {T}] ({heads} heads as in layer 0, {T} token labels)", nameof(mapsPerLayer));
        }

        // CellPixels per token, unless the image would grow past MaxImageSide (a deep model with a long context): then
        // smaller cells, and a label on every n-th token only.
        int cell = CellPixels;
        while (cell > 1 && Math.Max(heads * (Math.Max(MinSide, cell * T) + Margin.Horizontal), layers * (Math.Max(MinSide, cell * T) + Margin.Vertical)) > MaxImageSide)
            cell--;
        int every = (CellPixels + cell - 1) / cell;
        var ticks = Enumerable.Range(0, T).Where(i => i % every == 0).Select(i => (double)i).ToArray();
        var labels = ticks.Select(i => tokenLabels[(int)i]).ToArray();

        var multiplot = new Multiplot();
        multiplot.AddPlots(layers * heads);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(layers, heads);
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < heads; h++)
            {
                var plot = multiplot.GetPlot(l * heads + h);
                var values = new double[T, T];
                for (int q = 0; q < T; q++)
                    for (int k = 0; k < T; k++) values[q, k] = mapsPerLayer[l][h, q, k];
                var heatmap = plot.Add.Heatmap(values);
                heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());   // 0 white, 1 dark blue
                heatmap.ManualRange = new ScottPlot.Range(0, 1);
                if (h == heads - 1)
                {
                    var bar = plot.Add.ColorBar(heatmap);
                    bar.Axis.TickLabelStyle.FontSize = LabelSize;
                    var barTicks = new ScottPlot.TickGenerators.NumericManual();
                    foreach (var v in new[] { 0, 0.25, 0.5, 0.75, 1 }) barTicks.AddMajor(v, v.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    bar.Axis.TickGenerator = barTicks;
                }
                plot.Title($"layer {l} head {h}", size: 15);
                plot.XLabel("key (attended to)", size: LabelSize);
                plot.YLabel("query", size: LabelSize);
                plot.Axes.Bottom.SetTicks(ticks, labels);
                // ScottPlot draws row 0 of the array at the top, which is y = T - 1: the first query is the top row.
                plot.Axes.Left.SetTicks(ticks.Select(i => T - 1 - i).ToArray(), labels);
                foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
                {
                    axis.TickLabelStyle.FontSize = LabelSize;
                    axis.TickLabelStyle.FontName = Fonts.Monospace;
                    axis.MajorTickStyle.Length = 2;
                }
                plot.Axes.SetLimits(-0.5, T - 0.5, -0.5, T - 0.5);
                plot.Layout.Fixed(Margin);                                   // the same margins everywhere: square heatmaps, aligned
            }

        // The grid splits the image evenly, so each of its cells is a square heatmap plus the margin.
        int side = Math.Max(MinSide, cell * T);
        int width = heads * (side + (int)Margin.Horizontal), height = layers * (side + (int)Margin.Vertical);
        string temp = path + ".tmp";
        multiplot.SavePng(temp, width, height);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A token as a tick label, with whitespace made visible: a space as ␣, a newline as ↵, a tab as ⇥.</summary>
    public static string Label(char c) => c switch
    {
        ' ' => "\u2423",
        '\n' => "\u21B5",
        '\r' => "\\r",
        '\t' => "\u21E5",
        _ when char.IsControl(c) => $"\\x{(int)c:x2}",
        _ => c.ToString(),
    };

    /// <summary>Labels for every character of <paramref name="text"/> (see <see cref="Label"/>).</summary>
    public static string[] Labels(string text) => text.Select(Label).ToArray();

    /// <summary>One batch row of a recorded map as [heads, Tq, Tk] doubles: <paramref name="map"/>'s probabilities are [B, nh, Tq, Tk].</summary>
    public static double[,,] Heads(AttentionMap map, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(map);
        var p = map.Probabilities;
        if (p.Rank != 4) throw new ArgumentException($"AttentionPlot: an attention map is [B, nh, Tq, Tk], got rank {p.Rank}", nameof(map));
        int B = p.Size(0), nh = p.Size(1), Tq = p.Size(2), Tk = p.Size(3);
        if (batchIndex < 0 || batchIndex >= B) throw new ArgumentOutOfRangeException(nameof(batchIndex), $"AttentionPlot: batch index {batchIndex} is outside 0..{B - 1}");
        var values = p.DType == Backends.DType.Float64 ? p.ToArray<double>() : Array.ConvertAll(p.ToArray<float>(), v => (double)v); // [B, nh, Tq, Tk]
        var result = new double[nh, Tq, Tk];
        Buffer.BlockCopy(values, batchIndex * nh * Tq * Tk * sizeof(double), result, 0, nh * Tq * Tk * sizeof(double));
        return result;
    }
}
