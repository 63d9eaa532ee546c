// Loss curves as a PNG (ScottPlot): each run's raw loss, faint, and its moving average, on a log-scale loss axis,
// with a legend. One curve for `dotgrad train`; several for a comparison of optimizers or architectures.
using ScottPlot;

namespace DotGrad.Cli.Output;

/// <summary>One curve: a label for the legend and the loss at each step (or second: see the x label).</summary>
internal sealed record LossCurve(string Label, double[] Steps, double[] Losses);

internal static class LossPlot
{
    public const string FileName = "loss.png";

    /// <summary>Draws <paramref name="curves"/> into a PNG at <paramref name="path"/> (written to a temporary file, then renamed).</summary>
    public static void Save(string path, string title, IReadOnlyList<LossCurve> curves, int width = 900, int height = 540,
                            string xLabel = "step", string yLabel = "training loss")
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

        // A log axis: plot log10(loss) and label ticks at 1-2-5 values of the loss (all of 1..9 when the losses
        // span less than a decade), so a curve from 4.2 to 1.6 gets ticks as well as one from 2 to 0.001.
        var all = curves.SelectMany(c => c.Losses).Where(v => v > 0 && double.IsFinite(v)).ToArray();
        if (all.Length > 0)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var v in TickValues(all.Min(), all.Max()))
                ticks.AddMajor(Math.Log10(v), v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
            plot.Axes.Left.TickGenerator = ticks;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel($"{yLabel} (log scale)");
        plot.ShowLegend(Alignment.UpperRight);

        string temp = path + ".tmp";
        plot.SavePng(temp, width, height);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Round values between <paramref name="min"/> and <paramref name="max"/>: 1, 2, 5 per decade, or 1 to 9 if that
    /// gives fewer than three, or else five values evenly spaced on the log axis, rounded to two digits. An end of the
    /// range more than 1.5x beyond the nearest tick gets a tick of its own (its value rounded to two digits), so the
    /// top of a curve from 0.05 to 0.19 is labelled too.
    /// </summary>
    internal static IEnumerable<double> TickValues(double min, double max)
    {
        int low = (int)Math.Floor(Math.Log10(min)), high = (int)Math.Ceiling(Math.Log10(max));
        foreach (var mantissas in new[] { new[] { 1.0, 2, 5 }, [1.0, 2, 3, 4, 5, 6, 7, 8, 9] })
        {
            var values = Enumerable.Range(low, high - low + 1)
                .SelectMany(e => mantissas.Select(m => m * Math.Pow(10, e)))
                .Where(v => v >= min * 0.999 && v <= max * 1.001).ToList();
            if (values.Count < 3) continue;
            if (values[0] / min > 1.5) values.Insert(0, RoundTwoDigits(min));
            if (max / values[^1] > 1.5) values.Add(RoundTwoDigits(max));
            return values;
        }
        double a = Math.Log10(min), b = Math.Log10(max);
        return Enumerable.Range(0, 5).Select(i => RoundTwoDigits(Math.Pow(10, a + (b - a) * i / 4))).Distinct();
    }

    private static double RoundTwoDigits(double v)
    {
        double scale = Math.Pow(10, Math.Floor(Math.Log10(v)) - 1);
        return Math.Round(v / scale) * scale;
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
