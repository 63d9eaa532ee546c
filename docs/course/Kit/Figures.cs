// The lessons' pictures, drawn by the library's own output code: line plots and heatmaps (ScottPlot) and autograd
// graphs (Graphviz DOT, rendered when `dot` is installed). Every figure is written atomically.
using DotGrad.Cli.Output;
using ScottPlot;

namespace DotGrad.Course;

/// <summary>Figures a lesson draws into <see cref="Lesson.Figures"/>. Each returns the file's name, for the lesson to print.</summary>
public static class Draw
{
    /// <summary>One or more curves y(x) on shared axes, saved as a PNG.</summary>
    public static string Lines(string file, string title, string xLabel, string yLabel, params (string Label, double[] X, double[] Y)[] curves)
    {
        var plot = new Plot();
        foreach (var (label, x, y) in curves)
        {
            var line = plot.Add.Scatter(x, y);
            line.LegendText = label;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (curves.Length > 1) plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, file, 800, 480);
    }

    /// <summary>A matrix as a heatmap (row 0 at the top), with optional labels on the axes, saved as a PNG.</summary>
    public static string Heatmap(string file, string title, double[,] values, string[]? rowLabels = null, string[]? columnLabels = null)
    {
        var plot = new Plot();
        AddHeatmap(plot, values, rowLabels, columnLabels);
        plot.Title(title);
        int size = Math.Clamp(40 * Math.Max(values.GetLength(0), values.GetLength(1)), 320, 900);
        return Save(plot, file, size + 120, size);
    }

    /// <summary>Puts a heatmap on a plot with its rows top to bottom and text labels on the ticks.</summary>
    public static void AddHeatmap(Plot plot, double[,] values, string[]? rowLabels, string[]? columnLabels)
    {
        var hm = plot.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(hm);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (columnLabels is not null)
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, cols).Select(i => (double)i).ToArray(), columnLabels);
        if (rowLabels is not null)
            // ScottPlot draws row 0 of the array at the top, which is y = rows - 1.
            plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray(), rowLabels);
    }

    /// <summary>
    /// Writes Graphviz DOT to <paramref name="file"/> (a .dot name) and renders a PNG beside it when `dot` is installed
    /// (said on standard error, so that what the lesson prints does not depend on it). Returns the DOT file's name.
    /// </summary>
    public static string Graph(string file, string dot)
    {
        var path = Lesson.Figure(file);
        var rendered = Graphviz.Write(dot, path, "png");
        Console.Error.WriteLine(rendered.Count > 0 ? $"rendered {rendered[0]}" : $"wrote {path}; {Graphviz.InstallHint}");
        return file;
    }

    /// <summary>Saves a ScottPlot plot as a PNG in the figures folder, atomically; returns the file name.</summary>
    public static string Save(Plot plot, string file, int width, int height)
    {
        var path = Lesson.Figure(file);
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, width, height);
        File.Move(tmp, path, overwrite: true);
        return file;
    }
}
