// metrics.csv: one row per training step (step, loss, learning rate, gradient norm, throughput, elapsed time, and
// the evaluation metric on the steps that have one), flushed as it goes so a crashed run keeps its curve.
using System.Globalization;

namespace DotGrad.Cli.Output;

/// <summary>One row of metrics.csv.</summary>
internal sealed record MetricsRow(int Step, double Loss, double Lr, double GradNorm, double Throughput, double ElapsedSeconds, double? Eval);

internal sealed class MetricsWriter : IDisposable
{
    public const string FileName = "metrics.csv";
    private readonly StreamWriter _writer;

    /// <summary>
    /// Opens <paramref name="path"/> for a run starting after step <paramref name="startStep"/>: rows of earlier
    /// steps already in the file are kept (a resumed run continues its own file), later ones are dropped.
    /// </summary>
    public MetricsWriter(string path, string throughputUnit, string metric, int startStep)
    {
        Header = $"step,loss,lr,grad_norm,{throughputUnit}_per_s,elapsed_s,{metric}";
        var kept = new List<string>();
        if (startStep > 0 && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length > 0 && lines[0] == Header)
                kept.AddRange(lines.Skip(1).Where(l => int.TryParse(l.Split(',')[0], CultureInfo.InvariantCulture, out var s) && s <= startStep));
        }
        _writer = new StreamWriter(path, append: false) { AutoFlush = false };
        _writer.WriteLine(Header);
        foreach (var line in kept) _writer.WriteLine(line);
        _writer.Flush();
    }

    public string Header { get; }

    public void Write(MetricsRow r)
    {
        // "R" keeps every bit of the loss, so two runs can be compared exactly from their files.
        _writer.WriteLine(string.Join(",",
            r.Step.ToString(CultureInfo.InvariantCulture),
            r.Loss.ToString("R", CultureInfo.InvariantCulture),
            r.Lr.ToString("R", CultureInfo.InvariantCulture),
            r.GradNorm.ToString("G6", CultureInfo.InvariantCulture),
            r.Throughput.ToString("F1", CultureInfo.InvariantCulture),
            r.ElapsedSeconds.ToString("F3", CultureInfo.InvariantCulture),
            r.Eval is { } e ? e.ToString("R", CultureInfo.InvariantCulture) : ""));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>Reads metrics.csv back: the steps and losses of every row, and the evaluations where there are some.</summary>
    public static (double[] Steps, double[] Losses, List<(double Step, double Value)> Evals) Read(string path)
    {
        var steps = new List<double>();
        var losses = new List<double>();
        var evals = new List<(double, double)>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = line.Split(',');
            if (cells.Length < 7) continue;
            double step = double.Parse(cells[0], CultureInfo.InvariantCulture);
            steps.Add(step);
            losses.Add(double.Parse(cells[1], CultureInfo.InvariantCulture));
            if (cells[6].Length > 0) evals.Add((step, double.Parse(cells[6], CultureInfo.InvariantCulture)));
        }
        return (steps.ToArray(), losses.ToArray(), evals);
    }
}
