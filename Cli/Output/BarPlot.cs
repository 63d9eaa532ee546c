// Grouped bar charts as a PNG (ScottPlot): one group per category along the x axis, one coloured bar per series in
// each group, a legend naming the series, and an optional dashed reference line (1.0 for a relative throughput).
using ScottPlot;

namespace DotGrad.Cli.Output;

/// <summary>One series of a grouped bar chart: its legend label and one value per category (NaN: no bar).</summary>
internal sealed record BarSeries(string Label, double[] Values);

internal static class BarPlot
{
    /// <summary>Draws the bars into a PNG at <paramref name="path"/> (written to a temporary file, then renamed).</summary>
    public static void Save(string path, string title, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series, string yLabel,
                            double? reference = null, int width = 900, int height = 540)
    {
        foreach (var s in series)
            if (s.Values.Length != categories.Count)
                throw new ArgumentException($"BarPlot.Save: series '{s.Label}' has {s.Values.Length} values for {categories.Count} categories", nameof(series));
        // Bars start at zero, unless every value sits far above it (ratios near 1): then from just below the lowest.
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).Concat(reference is { } rv ? [rv] : []).DefaultIfEmpty(0).ToArray();
        double min = all.Min(), hi = Math.Max(all.Max(), 0), range = hi - min;
        double floor = min > 0.5 * hi ? min - Math.Max(range, 0.02 * hi) : Math.Min(0, min);
        double top = hi + Math.Max(0.15 * (hi - floor), 1e-12);

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double groupWidth = 0.8, barWidth = groupWidth / Math.Max(1, series.Count);
        var bars = new List<Bar>();
        for (int j = 0; j < series.Count; j++)
        {
            var color = palette.GetColor(j);
            for (int i = 0; i < categories.Count; i++)
            {
                double v = series[j].Values[i];
                if (!double.IsFinite(v)) continue;
                bars.Add(new Bar
                {
                    Position = i - groupWidth / 2 + barWidth * (j + 0.5),
                    Value = v,
                    ValueBase = floor,
                    Size = barWidth * 0.9,
                    FillColor = color,
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[j].Label, FillColor = color });
        }
        plot.Add.Bars(bars);
        if (reference is { } r)
        {
            var line = plot.Add.HorizontalLine(r);
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Black.WithAlpha(0.6);
        }

        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < categories.Count; i++) ticks.AddMajor(i, categories[i]);
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(floor, top);
        plot.Axes.SetLimitsX(-0.6, categories.Count - 0.4);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);

        string temp = path + ".tmp";
        plot.SavePng(temp, width, height);
        File.Move(temp, path, overwrite: true);
    }
}
