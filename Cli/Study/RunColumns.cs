// A column of a run's metrics.csv by its header name (the param_norm curve, say), for the studies that plot more
// than the evaluation.
using System.Globalization;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Study;

internal static class RunColumns
{
    /// <summary>
    /// The steps and values of column <paramref name="name"/> in <paramref name="runDir"/>/metrics.csv, rows with an
    /// empty or non-finite value left out; empty arrays when the file or the column is missing.
    /// </summary>
    public static (double[] Steps, double[] Values) Read(string runDir, string name)
    {
        string path = Path.Combine(runDir, MetricsWriter.FileName);
        if (!File.Exists(path)) return ([], []);
        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext()) return ([], []);
        int column = Array.IndexOf(lines.Current.Split(','), name);
        if (column < 0) return ([], []);
        var steps = new List<double>();
        var values = new List<double>();
        while (lines.MoveNext())
        {
            var cells = lines.Current.Split(',');
            if (cells.Length <= column || cells[column].Length == 0) continue;
            double v = double.Parse(cells[column], CultureInfo.InvariantCulture);
            if (!double.IsFinite(v)) continue;
            steps.Add(double.Parse(cells[0], CultureInfo.InvariantCulture));
            values.Add(v);
        }
        return (steps.ToArray(), values.ToArray());
    }
}
