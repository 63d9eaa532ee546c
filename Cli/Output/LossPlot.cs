// Loss curves as a PNG (ScottPlot): each run's raw loss, faint, and its moving average, on a log-scale loss axis,
// with a legend. One curve for `dotgrad train`; several for a comparison of optimizers or architectures.
using ScottPlot;

namespace DotGrad.Cli.Output;

/// <summary>One curve: a label for the legend and the loss at each step.</summary>
internal sealed record LossCurve(string Label, double[] Steps, double[] Losses);

internal static class LossPlot
{
    public const string FileName = "loss.png";

    /// <summary>Draws <paramref name="curves"/> into a PNG at <paramref name="path"/> (written to a temporary file, then renamed).</summary>
    public static void Save(string path, string title, IReadOnlyList<LossCurve> curves, int width = 900, int height = 540)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < curves.Count; i++)
        {
            var c = curves[i];
            var (xs, ys) = Positive(c.Steps, c.Losses);
            if (xs.Length == 0) continue;
            var color = palette.GetColor(i);
            var raw = plot.Add.ScatterLine(xs, ys.Select(Math.Log10).ToArray());
            raw.Color = color.WithAlpha(0.25);
            raw.LineWidth = 1;
            var smooth = plot.Add.ScatterLine(xs, Smooth(ys).Select(Math.Log10).ToArray());
            smooth.Color = color;
            smooth.LineWidth = 2;
            smooth.LegendText = curves.Count == 1 ? $"{c.Label} (moving average)" : c.Label;
        }

        // A log axis: plot log10(loss) and label the ticks with the loss itself.
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.Left.TickGenerator = ticks;
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("training loss (log scale)");
        plot.ShowLegend(Alignment.UpperRight);

        string temp = path + ".tmp";
        plot.SavePng(temp, width, height);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The points with a finite, positive loss (a log axis has no place for 0 or NaN).</summary>
    private static (double[] X, double[] Y) Positive(double[] xs, double[] ys)
    {
        var keep = Enumerable.Range(0, Math.Min(xs.Length, ys.Length)).Where(i => ys[i] > 0 && double.IsFinite(ys[i])).ToArray();
        return (keep.Select(i => xs[i]).ToArray(), keep.Select(i => ys[i]).ToArray());
    }

    /// <summary>An exponential moving average over about 2% of the points, started at the first value.</summary>
    private static double[] Smooth(double[] ys)
    {
        double alpha = 2.0 / (Math.Max(1, ys.Length / 50) + 1), avg = ys[0];
        var result = new double[ys.Length];
        for (int i = 0; i < ys.Length; i++) result[i] = avg = alpha * ys[i] + (1 - alpha) * avg;
        return result;
    }
}
