// Lesson 9's line plot of a few short curves that may lie on top of each other: a marker shape per curve, so that
// coinciding curves stay visible, and the legend in the upper left.
using ScottPlot;

namespace DotGrad.Course;

/// <summary>Helpers for lesson 9 (the transformer block).</summary>
public static class Lesson09
{
    private static readonly MarkerShape[] Shapes =
        [MarkerShape.FilledCircle, MarkerShape.OpenSquare, MarkerShape.FilledTriangleUp, MarkerShape.OpenCircle, MarkerShape.FilledDiamond, MarkerShape.Cross];

    /// <summary>Curves y(x), each with its own marker shape, legend in the upper left; saved as a PNG. Returns the file name.</summary>
    public static string MarkedLines(string file, string title, string xLabel, string yLabel, params (string Label, double[] X, double[] Y)[] curves)
    {
        var plot = new Plot();
        for (int i = 0; i < curves.Length; i++)
        {
            var (label, x, y) = curves[i];
            var line = plot.Add.Scatter(x, y);
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerShape = Shapes[i % Shapes.Length];
            line.MarkerSize = 9;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        return Draw.Save(plot, file, 800, 480);
    }
}
