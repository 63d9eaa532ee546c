// A power-law fit as a PNG (ScottPlot): the measured points and the fitted curve E = a (C + d)^(-b) + c on log-log
// axes, with the floor c as a dashed line, so the two saturations show as the curve's bends.
using System.Globalization;
using DotGrad.Cli.Study;
using ScottPlot;

namespace DotGrad.Cli.Output;

internal static class PowerLawPlot
{
    public const string FileName = "fit.png";

    /// <summary>
    /// Draws the points (<paramref name="xs"/>, <paramref name="ys"/>, all positive) and <paramref name="fit"/> over the
    /// points' range, a quarter decade wider on each side, into a PNG at <paramref name="path"/> (a temporary file, then renamed).
    /// </summary>
    public static void Save(string path, IReadOnlyList<double> xs, IReadOnlyList<double> ys, PowerLawFit fit, string xLabel, string yLabel,
                            int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (xs.Count != ys.Count || xs.Count == 0)
            throw new ArgumentException($"PowerLawPlot: {xs.Count} x values and {ys.Count} y values; expected the same, non-zero number", nameof(ys));
        var plot = new Plot();
        // Log axes: plot log10 of both and label the ticks with the values themselves.
        double lo = Math.Log10(xs.Min()) - 0.25, hi = Math.Log10(xs.Max()) + 0.25;
        var curveX = Enumerable.Range(0, 200).Select(i => lo + (hi - lo) * i / 199).ToArray();
        var curveY = curveX.Select(lx => fit.Predict(Math.Pow(10, lx))).ToArray();

        var curve = plot.Add.ScatterLine(curveX, curveY.Select(Math.Log10).ToArray());
        curve.LineWidth = 2;
        curve.LegendText = $"E = {G(fit.A)} (C + {G(fit.D)})^-{G(fit.B)} + {G(fit.C)}";
        if (fit.C > 0)
        {
            var floor = plot.Add.HorizontalLine(Math.Log10(fit.C));
            floor.LinePattern = LinePattern.Dashed;
            floor.LegendText = $"floor c = {G(fit.C)}";
        }
        var points = plot.Add.ScatterPoints(xs.Select(Math.Log10).ToArray(), ys.Select(Math.Log10).ToArray());
        points.MarkerSize = 8;
        points.LegendText = $"measured ({xs.Count} points)";

        plot.Axes.Bottom.TickGenerator = LogTicks(Math.Pow(10, lo), Math.Pow(10, hi));
        var allY = ys.Concat(curveY.Where(v => v > 0 && double.IsFinite(v))).ToArray();
        plot.Axes.Left.TickGenerator = LogTicks(allY.Min(), allY.Max());
        plot.Title($"{yLabel} against {xLabel}: residual RMS {G(fit.ResidualRms)}");
        plot.XLabel($"{xLabel} (log scale)");
        plot.YLabel($"{yLabel} (log scale)");
        plot.ShowLegend(Alignment.UpperRight);

        string temp = path + ".tmp";
        plot.SavePng(temp, width, height);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Ticks at powers of ten when the range spans three decades or more, else at 1-2-5 values (as the loss plots).</summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double min, double max)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var values = Math.Log10(max) - Math.Log10(min) >= 3
            ? Enumerable.Range((int)Math.Ceiling(Math.Log10(min)), (int)Math.Floor(Math.Log10(max)) - (int)Math.Ceiling(Math.Log10(min)) + 1).Select(e => Math.Pow(10, e))
            : LossPlot.TickValues(min, max);
        foreach (var v in values) ticks.AddMajor(Math.Log10(v), G(v));
        return ticks;
    }

    private static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
