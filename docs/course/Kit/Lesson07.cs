// Lesson 7's picture of distributions over a few classes: one marked line per distribution, a tick per class.
using ScottPlot;

namespace DotGrad.Course;

/// <summary>Helpers for lesson 7 (softmax and cross entropy).</summary>
public static class Lesson07
{
    /// <summary>
    /// Probability distributions over the same classes, each a line with a marker on every class, the classes named
    /// on the x axis; saved as a PNG in the figures folder. Returns the file name.
    /// </summary>
    public static string Distributions(string file, string title, string xLabel, string[] classes, params (string Label, double[] P)[] series)
    {
        var plot = new Plot();
        var x = Enumerable.Range(0, classes.Length).Select(i => (double)i).ToArray();
        foreach (var (label, p) in series)
        {
            var line = plot.Add.Scatter(x, p);
            line.LegendText = label;
            line.MarkerSize = 8;
            line.LineWidth = 1.5f;
        }
        plot.Axes.Bottom.SetTicks(x, classes);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("probability");
        plot.ShowLegend(Alignment.UpperRight);
        return Draw.Save(plot, file, 800, 480);
    }
}
