// What one finished (or diverged, or unfinished) study run left in its metrics.csv: the validation-loss curve against
// steps and wall time, the final and best validation loss, throughput, and where the loss stopped being finite.
using System.Globalization;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Study;

internal enum RunStatus
{
    /// <summary>No metrics.csv, or it stops before the last step: the run is redone.</summary>
    Unfinished,
    /// <summary>Every step ran and the final evaluation is in the last row.</summary>
    Finished,
    /// <summary>The loss became NaN or infinite (the trainer writes that step's row, then stops the run).</summary>
    Diverged,
}

/// <summary>One run's numbers; the validation losses are NaN for a run with no evaluation.</summary>
internal sealed record RunOutcome(
    StudyRun Run, RunStatus Status, int StepsDone, int? DivergedAt, double FinalVal, double BestVal, double WallSeconds, double TokensPerSecond,
    double[] EvalSteps, double[] EvalWall, double[] EvalLoss)
{
    public bool Done => Status != RunStatus.Unfinished;

    /// <summary>Reads RUN/metrics.csv (columns step, loss, lr, grad_norm, tok_per_s, elapsed_s, val_loss).</summary>
    public static RunOutcome Read(StudyRun run, string dir)
    {
        string path = Path.Combine(dir, MetricsWriter.FileName);
        var empty = new RunOutcome(run, RunStatus.Unfinished, 0, null, double.NaN, double.NaN, 0, 0, [], [], []);
        if (!File.Exists(path)) return empty;
        var rows = File.ReadLines(path).Skip(1).Select(l => l.Split(',')).Where(c => c.Length >= 7).ToArray();
        if (rows.Length == 0) return empty;
        static double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
        var last = rows[^1];
        int steps = int.Parse(last[0], CultureInfo.InvariantCulture);
        double lastLoss = D(last[1]);
        var evals = rows.Where(c => c[6].Length > 0).ToArray();
        var status = !double.IsFinite(lastLoss) ? RunStatus.Diverged
                     : steps >= run.Steps && last[6].Length > 0 ? RunStatus.Finished
                     : RunStatus.Unfinished;
        var rates = rows.Select(c => D(c[4])).Where(r => r > 0).ToArray();
        // The median step rate: the first steps (JIT, allocation) and the evaluation steps would bias a mean.
        double rate = rates.Length == 0 ? 0 : rates.Order().ElementAt(rates.Length / 2);
        var evalLoss = evals.Select(c => D(c[6])).ToArray();
        return new RunOutcome(run, status, steps, status == RunStatus.Diverged ? steps : null,
            status == RunStatus.Finished ? evalLoss[^1] : double.NaN,
            evalLoss.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min(),
            D(last[5]), rate, evals.Select(c => D(c[0])).ToArray(), evals.Select(c => D(c[5])).ToArray(), evalLoss);
    }
}

/// <summary>The seeds of one configuration together: mean and min-max of the final validation loss over the finite ones.</summary>
internal sealed record ConfigSummary(string Group, string Config, RunOutcome[] Runs)
{
    public RunOutcome[] Finite => Runs.Where(r => r.Status == RunStatus.Finished && double.IsFinite(r.FinalVal)).ToArray();
    public int Diverged => Runs.Count(r => r.Status == RunStatus.Diverged);
    public double Mean => Finite.Length == 0 ? double.NaN : Finite.Average(r => r.FinalVal);
    public double Min => Finite.Length == 0 ? double.NaN : Finite.Min(r => r.FinalVal);
    public double Max => Finite.Length == 0 ? double.NaN : Finite.Max(r => r.FinalVal);
    public double Spread => Finite.Length < 2 ? 0 : Max - Min;
    public double BestMean => Finite.Length == 0 ? double.NaN : Finite.Average(r => r.BestVal);
    public double Wall => Runs.Average(r => r.WallSeconds);
    public double Rate => Runs.Average(r => r.TokensPerSecond);
    public bool AllFinite => Diverged == 0 && Finite.Length == Runs.Length;
}

/// <summary>
/// A configuration against its group's baseline: the difference of mean final validation losses, significant only
/// when it is larger than both min-max spreads over seeds (and there are at least two finite seeds on each side).
/// </summary>
internal sealed record Comparison(ConfigSummary Config, ConfigSummary Baseline)
{
    public double Delta => Config.Mean - Baseline.Mean;
    public bool Significant => Config.Finite.Length >= 2 && Baseline.Finite.Length >= 2 && double.IsFinite(Delta)
                               && Math.Abs(Delta) > Math.Max(Config.Spread, Baseline.Spread);
    public bool SignificantlyBetter => Significant && Delta < 0;
    public bool SignificantlyWorse => Significant && Delta > 0;
}

/// <summary>Every run of a study, summarised by configuration in plan order.</summary>
internal sealed class StudyResults
{
    public StudyResults(IReadOnlyList<RunOutcome> outcomes)
    {
        Outcomes = outcomes;
        Configs = outcomes.GroupBy(o => (o.Run.Group, o.Run.Config))
                          .Select(g => new ConfigSummary(g.Key.Group, g.Key.Config, g.ToArray())).ToArray();
    }

    public IReadOnlyList<RunOutcome> Outcomes { get; }
    public IReadOnlyList<ConfigSummary> Configs { get; }

    public ConfigSummary? Find(string group, string config) => Configs.FirstOrDefault(c => c.Group == group && c.Config == config);

    public ConfigSummary Baseline(string group) => Configs.First(c => c.Group == group);

    public Comparison? Compare(string group, string config) =>
        Find(group, config) is { } c ? new Comparison(c, Baseline(group)) : null;
}
