// Lesson 6's picture of digits: a row of 28 x 28 images in grey, each captioned underneath.
using ScottPlot;

namespace DotGrad.Course;

/// <summary>Helpers for lesson 6 (an MLP on MNIST).</summary>
public static class Lesson06
{
    /// <summary>
    /// Draws <paramref name="images"/> (each side x side pixels in [0, 1], row-major) side by side with a gap, each with
    /// its caption on the axis below, and saves the PNG in the figures folder; returns the file name.
    /// </summary>
    public static string DigitRow(string file, string title, float[][] images, string[] captions, int side = 28)
    {
        const int gap = 4;
        int n = Math.Max(1, images.Length), width = n * side + (n - 1) * gap;
        var values = new double[side, width];
        for (int r = 0; r < side; r++)
            for (int c = 0; c < width; c++)
                values[r, c] = double.NaN;                         // NaN cells are left blank: the gaps between digits
        for (int k = 0; k < images.Length; k++)
            for (int r = 0; r < side; r++)
                for (int c = 0; c < side; c++)
                    values[r, k * (side + gap) + c] = images[k][r * side + c];

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.GrayscaleReversed();   // ink dark on white paper
        var centres = Enumerable.Range(0, images.Length).Select(k => k * (side + gap) + (side - 1) / 2.0).ToArray();
        plot.Axes.Bottom.SetTicks(centres, captions);
        plot.Axes.Left.SetTicks([], []);
        plot.Grid.IsVisible = false;
        plot.Axes.SquareUnits();                                            // square pixels: digits keep their shape
        plot.Title(title);
        return Draw.Save(plot, file, Math.Clamp(width * 4, 400, 1400), side * 4 + 120);
    }
}
