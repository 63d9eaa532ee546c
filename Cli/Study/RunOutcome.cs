// What one finished (or diverged, or unfinished) study run left in its metrics.csv: the validation-loss curve against
// steps and wall time, the final and best validation loss, throughput, where the loss stopped being finite, and the
// parameters' norm along the way.
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

/// <summary>
/// One run's numbers; the validation losses are NaN for a run with no evaluation. "Val" and "EvalLoss" hold whatever the
/// task evaluates (the validation loss of text, the test accuracy of images: see <see cref="StudyMetric"/>).
/// </summary>
internal sealed record RunOutcome(
    StudyRun Run, RunStatus Status, int StepsDone, int? DivergedAt, double FinalVal, double BestVal, double WallSeconds, double TokensPerSecond,
    double[] EvalSteps, double[] EvalWall, double[] EvalLoss)
{
    public bool Done => Status != RunStatus.Unfinished;

    /// <summary>The first step's training loss, the highest finite training loss and its step (NaN and 0 with no rows).</summary>
    public double StartLoss { get; init; } = double.NaN;
    public double PeakLoss { get; init; } = double.NaN;
    public int PeakStep { get; init; }

    /// <summary>Every row's step and the parameters' global L2 norm after it (NaN in files written before the column existed).</summary>
    public double[] RowSteps { get; init; } = [];
    public double[] ParamNorm { get; init; } = [];

    /// <summary>The parameters' norm at each of <see cref="EvalSteps"/> (NaN where the file has none).</summary>
    public double[] EvalParamNorm { get; init; } = [];

    /// <summary>The model's vocabulary size from the run's last checkpoint (run.json), when there is one.</summary>
    public int? Vocab { get; init; }

    /// <summary>The loss of a uniform guess over the vocabulary, ln V (NaN when the vocabulary is unknown).</summary>
    public double UniformLoss => Vocab is > 0 and var v ? Math.Log(v) : double.NaN;

    /// <summary>How far above its first step's loss the training loss may rise before the run counts as blown up.</summary>
    public const double SpikeMargin = 1.0;

    /// <summary>
    /// A finer instability than NaN: the run blew up when its final validation loss ended above ln V (worse than a
    /// uniform guess), or when its training loss rose more than <see cref="SpikeMargin"/> nats above its first step's.
    /// </summary>
    public bool BlewUp => Done && ((Status == RunStatus.Finished && FinalVal > UniformLoss)
                                   || (double.IsFinite(StartLoss) && PeakLoss > StartLoss + SpikeMargin));

    /// <summary>
    /// Reads RUN/metrics.csv (columns step, loss, lr, grad_norm, tok_per_s, elapsed_s, val_loss, param_norm; the last
    /// may be absent). The best evaluation is the lowest, or with <paramref name="higherIsBetter"/> (an accuracy) the highest.
    /// </summary>
    public static RunOutcome Read(StudyRun run, string dir, bool higherIsBetter = false)
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
        var train = rows.Select(c => (Step: int.Parse(c[0], CultureInfo.InvariantCulture), Loss: D(c[1]))).Where(t => double.IsFinite(t.Loss)).ToArray();
        var peak = train.Length == 0 ? (Step: 0, Loss: double.NaN) : train.MaxBy(t => t.Loss);
        return new RunOutcome(run, status, steps, status == RunStatus.Diverged ? steps : null,
            status == RunStatus.Finished ? evalLoss[^1] : double.NaN,
            higherIsBetter ? evalLoss.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max() : evalLoss.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min(),
            D(last[5]), rate, evals.Select(c => D(c[0])).ToArray(), evals.Select(c => D(c[5])).ToArray(), evalLoss)
        {
            StartLoss = double.IsFinite(D(rows[0][1])) ? D(rows[0][1]) : double.NaN,
            PeakLoss = peak.Loss, PeakStep = peak.Step, Vocab = ReadVocab(dir),
            RowSteps = rows.Select(c => D(c[0])).ToArray(), ParamNorm = rows.Select(MetricsWriter.ParamNormOf).ToArray(),
            EvalParamNorm = evals.Select(MetricsWriter.ParamNormOf).ToArray(),
        };
    }

    /// <summary>config.VocabSize of the newest checkpoints/step-N/run.json, or null.</summary>
    private static int? ReadVocab(string dir)
    {
        string checkpoints = Path.Combine(dir, "checkpoints");
        if (!Directory.Exists(checkpoints)) return null;
        foreach (var step in Directory.GetDirectories(checkpoints, "step-*").OrderDescending(StringComparer.Ordinal))
        {
            string json = Path.Combine(step, "run.json");
            if (!File.Exists(json)) continue;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
                if (doc.RootElement.TryGetProperty("config", out var config) && config.TryGetProperty("VocabSize", out var v) && v.TryGetInt32(out int n))
                    return n;
            }
            catch (System.Text.Json.JsonException) { }
        }
        return null;
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
    public int BlewUp => Runs.Count(r => r.BlewUp);
    /// <summary>Every seed finished finite and none blew up.</summary>
    public bool Stable => AllFinite && BlewUp == 0;
    /// <summary>Seeds that diverged or blew up.</summary>
    public int Unstable => Runs.Count(r => r.Status == RunStatus.Diverged || r.BlewUp);
}

/// <summary>
/// A configuration against its group's baseline: the difference of mean final validation losses, significant only
/// when it is larger than both min-max spreads over seeds (and there are at least two finite seeds on each side).
/// </summary>
internal sealed record Comparison(ConfigSummary Config, ConfigSummary Baseline, bool HigherIsBetter = false)
{
    public double Delta => Config.Mean - Baseline.Mean;
    public bool Significant => Config.Finite.Length >= 2 && Baseline.Finite.Length >= 2 && double.IsFinite(Delta)
                               && Math.Abs(Delta) > Math.Max(Config.Spread, Baseline.Spread);
    public bool SignificantlyBetter => Significant && (HigherIsBetter ? Delta > 0 : Delta < 0);
    public bool SignificantlyWorse => Significant && (HigherIsBetter ? Delta < 0 : Delta > 0);
}

/// <summary>Every run of a study, summarised by configuration in plan order.</summary>
internal sealed class StudyResults
{
    public StudyResults(IReadOnlyList<RunOutcome> outcomes, bool higherIsBetter = false)
    {
        Outcomes = outcomes;
        HigherIsBetter = higherIsBetter;
        Configs = outcomes.GroupBy(o => (o.Run.Group, o.Run.Config))
                          .Select(g => new ConfigSummary(g.Key.Group, g.Key.Config, g.ToArray())).ToArray();
    }

    public IReadOnlyList<RunOutcome> Outcomes { get; }

    /// <summary>Whether a higher final evaluation is better (accuracy) or a lower one (loss): the direction of every comparison.</summary>
    public bool HigherIsBetter { get; }

    /// <summary>What the study measured after its runs (<see cref="TrainingStudy.Measure"/>): probes, memory, fits; null when nothing.</summary>
    public object? Extra { get; set; }
    public IReadOnlyList<ConfigSummary> Configs { get; }

    public ConfigSummary? Find(string group, string config) => Configs.FirstOrDefault(c => c.Group == group && c.Config == config);

    public ConfigSummary Baseline(string group) => Configs.First(c => c.Group == group);

    public Comparison? Compare(string group, string config) =>
        Find(group, config) is { } c ? new Comparison(c, Baseline(group), HigherIsBetter) : null;
}
