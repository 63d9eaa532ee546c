// metrics.csv: one row per training step (step, loss, learning rate, gradient norm, throughput, elapsed time, the
// evaluation metric on the steps that have one, and the parameters' global norm after the step), flushed as it goes
// so a crashed run keeps its curve.
using System.Globalization;

namespace DotGrad.Cli.Output;

/// <summary>One row of metrics.csv.</summary>
internal sealed record MetricsRow(int Step, double Loss, double Lr, double GradNorm, double Throughput, double ElapsedSeconds, double? Eval, double ParamNorm);

internal sealed class MetricsWriter : IDisposable
{
    public const string FileName = "metrics.csv";

    /// <summary>The columns' indices: readers index by these, and param_norm (added last) may be missing in older files.</summary>
    public const int StepColumn = 0, LossColumn = 1, LrColumn = 2, GradNormColumn = 3, ThroughputColumn = 4, ElapsedColumn = 5, EvalColumn = 6, ParamNormColumn = 7;

    private readonly StreamWriter _writer;

    /// <summary>
    /// Opens <paramref name="path"/> for a run starting after step <paramref name="startStep"/>: rows of earlier steps
    /// already in the file are kept (a resumed run continues its own file), later ones are dropped. With
    /// <paramref name="keepFrom"/> the earlier rows come from that file instead (a branch starts with its source's
    /// curve). Rows of a file written before param_norm existed are kept with that cell empty.
    /// </summary>
    public MetricsWriter(string path, string throughputUnit, string metric, int startStep, string? keepFrom = null)
    {
        Header = $"step,loss,lr,grad_norm,{throughputUnit}_per_s,elapsed_s,{metric},param_norm";
        var kept = new List<string>();
        string source = keepFrom ?? path;
        if (startStep > 0 && File.Exists(source))
        {
            var lines = File.ReadAllLines(source);
            bool current = lines.Length > 0 && lines[0] == Header, older = lines.Length > 0 && lines[0] + ",param_norm" == Header;
            if (current || older)
                kept.AddRange(lines.Skip(1)
                                   .Where(l => int.TryParse(l.Split(',')[0], CultureInfo.InvariantCulture, out var s) && s <= startStep)
                                   .Select(l => older ? l + "," : l));
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
            r.Eval is { } e ? e.ToString("R", CultureInfo.InvariantCulture) : "",
            r.ParamNorm.ToString("R", CultureInfo.InvariantCulture)));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>
    /// Reads metrics.csv back: the steps and losses of every row, the evaluations where there are some, and each row's
    /// parameter norm (NaN where the cell is empty or the file predates the column).
    /// </summary>
    public static (double[] Steps, double[] Losses, List<(double Step, double Value)> Evals, double[] ParamNorms) Read(string path)
    {
        var steps = new List<double>();
        var losses = new List<double>();
        var evals = new List<(double, double)>();
        var norms = new List<double>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = line.Split(',');
            if (cells.Length <= EvalColumn) continue;
            double step = double.Parse(cells[StepColumn], CultureInfo.InvariantCulture);
            steps.Add(step);
            losses.Add(double.Parse(cells[LossColumn], CultureInfo.InvariantCulture));
            if (cells[EvalColumn].Length > 0) evals.Add((step, double.Parse(cells[EvalColumn], CultureInfo.InvariantCulture)));
            norms.Add(ParamNormOf(cells));
        }
        return (steps.ToArray(), losses.ToArray(), evals, norms.ToArray());
    }

    /// <summary>A row's param_norm cell, NaN when it is empty or the row predates the column.</summary>
    public static double ParamNormOf(string[] cells) =>
        cells.Length > ParamNormColumn && cells[ParamNormColumn].Length > 0 ? double.Parse(cells[ParamNormColumn], CultureInfo.InvariantCulture) : double.NaN;
}
