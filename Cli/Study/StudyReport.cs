// report.md of a study: the question, the machine, per-group tables (mean and min-max over seeds, the difference
// from the group's baseline and whether it exceeds the spread), every run, the figures, the exact commands, and a
// verdict assembled from the claims the study computes from these numbers.
using System.Globalization;
using System.Text;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Study;

internal static class StudyReport
{
    public const string FileName = "report.md";

    /// <summary>Writes report.md and its PNG figures into <paramref name="root"/>; returns the report's path.</summary>
    public static string Write(string root, TrainingStudy study, StudyOptions options, IReadOnlyList<StudyGroup> groups, StudyResults results)
    {
        var metric = study.Metric;
        var md = new StringBuilder();
        md.AppendLine($"# Study: {study.Name}{(options.Quick ? " (quick)" : "")}").AppendLine();
        md.AppendLine(study.Question).AppendLine();
        md.AppendLine($"Written by `dotgrad study {study.Name}{(options.Quick ? " --quick" : "")}` on {DateTime.Now:yyyy-MM-dd HH:mm}. " +
                      $"{results.Outcomes.Count} runs, {results.Outcomes.Select(o => o.Run.Seed).Distinct().Count()} seed(s) per configuration at most; " +
                      $"{metric.Description}.").AppendLine();

        md.AppendLine("## Machine").AppendLine();
        md.AppendLine("| | |").AppendLine("| --- | --- |");
        foreach (var (k, v) in MachineInfo.Describe(options.Device ?? "cpu")) md.AppendLine($"| {k} | {v} |");
        md.AppendLine();

        md.AppendLine("## Verdict").AppendLine();
        md.AppendLine(string.Join(" ", study.Claims(results))).AppendLine();

        foreach (var group in groups)
        {
            var configs = results.Configs.Where(c => c.Group == group.Name).ToArray();
            if (configs.Length == 0) continue;
            md.AppendLine($"## {group.Name}").AppendLine();
            md.AppendLine(group.Description).AppendLine();
            md.AppendLine($"| configuration | seeds | diverged (NaN) | blew up | final {metric.Short}, mean (min-max) | best {metric.Short}, mean | vs baseline | steps | wall time | {metric.Throughput} |");
            md.AppendLine("| --- | ---: | --- | --- | --- | ---: | --- | ---: | ---: | ---: |");
            var baseline = configs[0];
            foreach (var c in configs)
            {
                var cmp = new Comparison(c, baseline, metric.HigherIsBetter);
                string versus = c == baseline ? "baseline"
                    : !double.IsFinite(cmp.Delta) ? "-"
                    : $"{metric.FormatDelta(cmp.Delta)}{(cmp.Significant ? "" : " (not significant)")}";
                string diverged = c.Diverged == 0 ? "no" : string.Join(", ", c.Runs.Where(r => r.DivergedAt is not null).Select(r => $"seed {r.Run.Seed} at step {r.DivergedAt}"));
                string blew = c.BlewUp == 0 ? "no" : string.Join(", ", c.Runs.Where(r => r.BlewUp).Select(BlowUp));
                md.AppendLine($"| {c.Config} | {c.Runs.Length} | {diverged} | {blew} | {Loss(c, metric)} | {metric.Format(c.BestMean)} | {versus} | " +
                              $"{c.Runs.Max(r => r.StepsDone)} | {c.Wall.ToString("F1", CultureInfo.InvariantCulture)} s | {c.Rate.ToString("N0", CultureInfo.InvariantCulture)} |");
            }
            md.AppendLine();
            md.AppendLine("A difference is marked *not significant* when it is no larger than the min-max spread over seeds of either configuration " +
                          "(or when either has fewer than two finite seeds). A run *diverged (NaN)* when its training loss became NaN or infinite; " +
                          (metric.HigherIsBetter ? "it *blew up* when its training loss " : "it *blew up* when its final validation loss ended above ln(vocabulary), the loss of a uniform guess, or its training loss ") +
                          $"rose more than {RunOutcome.SpikeMargin.ToString("0.0", CultureInfo.InvariantCulture)} nat above its first step's.").AppendLine();

            string slug = Slug(group.Name);
            var curves = configs.Select(Curve).Where(c => c.Steps.Length > 0).ToArray();
            string plotted = metric.PlotName;
            LossPlot.Save(Path.Combine(root, $"{slug}-steps.png"), $"{study.Name}: {group.Name}, {plotted} vs steps",
                          curves.Select(c => new LossCurve(c.Label, c.Steps, c.Loss.Select(metric.Plotted).ToArray())).ToArray(), yLabel: plotted);
            LossPlot.Save(Path.Combine(root, $"{slug}-time.png"), $"{study.Name}: {group.Name}, {plotted} vs wall time",
                          curves.Select(c => new LossCurve(c.Label, c.Wall, c.Loss.Select(metric.Plotted).ToArray())).ToArray(), xLabel: "wall time (s)", yLabel: plotted);
            md.AppendLine($"![{plotted} vs steps]({slug}-steps.png)").AppendLine();
            md.AppendLine($"![{plotted} vs wall time]({slug}-time.png)").AppendLine();
        }

        if (study.Sections(results, options, root) is { } sections) md.Append(sections);

        md.AppendLine("## Runs").AppendLine();
        md.AppendLine("Every run is an ordinary `dotgrad train` run in its own directory (metrics.csv, loss.png, checkpoints/).").AppendLine();
        md.AppendLine($"| run | status | final {metric.Short} | best {metric.Short} | steps | wall time | {metric.Throughput} |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var o in results.Outcomes)
        {
            string status = o.Status switch
            {
                RunStatus.Finished => "finished",
                RunStatus.Diverged => $"diverged at step {o.DivergedAt}",
                _ => "unfinished",
            };
            md.AppendLine($"| {o.Run.Name} | {status} | {metric.Format(o.FinalVal)} | {metric.Format(o.BestVal)} | {o.StepsDone} | " +
                          $"{o.WallSeconds.ToString("F1", CultureInfo.InvariantCulture)} s | {o.TokensPerSecond.ToString("N0", CultureInfo.InvariantCulture)} |");
        }
        md.AppendLine();

        md.AppendLine("## Commands").AppendLine();
        md.AppendLine("```");
        foreach (var o in results.Outcomes) md.AppendLine(Command(o.Run, Path.Combine(root, o.Run.Name), options));
        md.AppendLine("```");

        string path = Path.Combine(root, FileName);
        File.WriteAllText(path + ".tmp", md.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>The train arguments of one run, as the study passes them in-process.</summary>
    public static string[] TrainArgs(StudyRun run, string dir, StudyOptions options) =>
        ["train", .. run.Args.Select(a => a.Replace(StudyRun.Root, Path.GetDirectoryName(dir), StringComparison.Ordinal)),
         .. options.Device is { } d ? new[] { "--device", d } : [], "--out", dir];

    /// <summary>The exact command line that repeats one run.</summary>
    public static string Command(StudyRun run, string dir, StudyOptions options) =>
        "dotgrad " + string.Join(" ", TrainArgs(run, dir, options).Select(a => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"') ? $"'{a}'" : a));

    /// <summary>Why one run counts as blown up: its peak training loss and its final validation loss against ln V.</summary>
    private static string BlowUp(RunOutcome r) =>
        $"seed {r.Run.Seed} (peak {F2(r.PeakLoss)} at step {r.PeakStep} from {F2(r.StartLoss)}" +
        (double.IsFinite(r.FinalVal) ? $"; final {F2(r.FinalVal)}{(r.FinalVal > r.UniformLoss ? " > ln V " + F2(r.UniformLoss) : "")})" : ")");

    private static string F2(double v) => double.IsFinite(v) ? v.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string Loss(ConfigSummary c, StudyMetric metric) =>
        c.Finite.Length == 0 ? "- (no finite run)"
        : c.Finite.Length == 1 ? $"{metric.Format(c.Mean)} (one seed)"
        : $"{metric.Format(c.Mean)} ({metric.Format(c.Min)}-{metric.Format(c.Max)})";


    /// <summary>A configuration's curve: the mean over its finished seeds (over all seeds when none finished), on their common evaluation steps.</summary>
    private static (string Label, double[] Steps, double[] Wall, double[] Loss) Curve(ConfigSummary c)
    {
        var runs = c.Finite.Length > 0 ? c.Finite : c.Runs;
        int n = runs.Min(r => r.EvalLoss.Length);
        double Mean(Func<RunOutcome, double[]> f, int i) => runs.Average(r => f(r)[i]);
        return (c.Config, Enumerable.Range(0, n).Select(i => Mean(r => r.EvalSteps, i)).ToArray(),
                Enumerable.Range(0, n).Select(i => Mean(r => r.EvalWall, i)).ToArray(),
                Enumerable.Range(0, n).Select(i => Mean(r => r.EvalLoss, i)).ToArray());
    }

    public static string Slug(string label)
    {
        var chars = label.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray();
        string slug = string.Join("-", new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length == 0 ? "run" : slug;
    }
}
