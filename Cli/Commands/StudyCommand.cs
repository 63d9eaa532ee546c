// dotgrad study NAME: a predefined list of train runs (see Cli/Study), run one after another in-process into
// runs/study-NAME-TIMESTAMP/<run>/ (or --out DIR), then report.md with tables, figures and a computed verdict.
// Started again with the same --out it skips the runs whose metrics.csv shows them finished (or diverged).
using System.CommandLine;
using System.Globalization;
using DotGrad.Cli.Output;
using DotGrad.Cli.Study;

namespace DotGrad.Cli.Commands;

internal static class StudyCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Argument<string?>("NAME") { Description = "The study to run (see --list)", Arity = ArgumentArity.ZeroOrOne };
        var list = new Option<bool>("--list") { Description = "Name the studies, one line each" };
        var quick = new Option<bool>("--quick") { Description = "A tiny version (a few dozen steps per run, a small model): checks the machinery in about a minute" };
        var text = new Option<string?>("--text") { HelpName = "FILE", Description = $"The text file of the text studies (default {Studies.DefaultText})" };
        var device = new Option<string?>("--device") { Description = "Passed to every run: cpu, opencl or opencl:N" };
        var output = new Option<string?>("--out")
        {
            HelpName = "DIR",
            Description = "Directory of the runs and report.md (default runs/study-NAME-TIMESTAMP); the same DIR again resumes: finished runs are skipped",
        };
        var command = new Command("study", "Run a predefined study (several train runs and seeds), then write report.md with tables, figures and a verdict computed from the numbers")
        {
            name, list, quick, text, device, output,
        };
        command.SetAction(p => Run(context, p.GetValue(name), p.GetValue(list), new StudyOptions(p.GetValue(quick), p.GetValue(text) ?? Studies.DefaultText, p.GetValue(device)),
                                   p.GetValue(output)));
        return command;
    }

    private static int Run(CliContext context, string? name, bool list, StudyOptions options, string? outDir)
    {
        var w = context.Out;
        if (list)
        {
            foreach (var s in Studies.All) w.WriteLine($"{s.Name,-14} {s.Summary}");
            return ExitCodes.Success;
        }
        string known = string.Join(", ", Studies.All.Select(s => s.Name));
        if (name is null) throw new UserError($"name a study: 'dotgrad study NAME' with NAME one of {known} ('dotgrad study --list' says what each does)");
        var study = Studies.Find(name) ?? throw new UserError($"'{name}' is not a study; the studies are: {known} ('dotgrad study --list' says what each does)");
        if (!File.Exists(options.TextFile))
            throw new UserError($"the {study.Name} study trains on the text file '{Path.GetFullPath(options.TextFile)}', which does not exist: " +
                                "download tinyshakespeare (https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt) " +
                                $"to {Studies.DefaultText}, or pass another UTF-8 text file with --text FILE");
        if (options.Device is { } d) DeviceChoice.Resolve(d);

        string root = Path.GetFullPath(outDir ?? Path.Combine("runs", $"study-{study.Name}-{DateTime.Now:yyyyMMdd-HHmmss}"));
        Directory.CreateDirectory(root);
        var plan = study.Plan(options);
        var outcomes = plan.Select(r => RunOutcome.Read(r, Path.Combine(root, r.Name))).ToArray();
        int skipped = outcomes.Count(o => o.Done);
        long stepsLeft = outcomes.Where(o => !o.Done).Sum(o => (long)o.Run.Steps);
        w.WriteLine($"study     {study.Name}{(options.Quick ? " (quick)" : "")}: {plan.Count} runs, output {root}");
        if (skipped > 0) w.WriteLine($"resume    {skipped} of {plan.Count} runs already finished; running the other {plan.Count - skipped}");
        w.WriteLine($"estimate  {stepsLeft:N0} steps, about {Clock(stepsLeft * study.SecondsPerStep(options))} on a 2-core CPU " +
                    "(refined after the first run)");
        w.Flush();

        double measured = double.NaN;  // seconds per step, from the first run this invocation finishes
        for (int i = 0; i < plan.Count; i++)
        {
            var run = plan[i];
            if (outcomes[i].Done)
            {
                w.WriteLine($"== run {i + 1} of {plan.Count}: {run.Name}: already {(outcomes[i].Status == RunStatus.Diverged ? "diverged" : "finished")}, skipped");
                continue;
            }
            string dir = Path.Combine(root, run.Name);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);  // an unfinished run starts over
            w.WriteLine($"== run {i + 1} of {plan.Count}: {run.Name}");
            w.Flush();
            using var err = new StringWriter();
            int code = Program.Run(StudyReport.TrainArgs(run, dir, options), w, err, context.Interactive);
            outcomes[i] = RunOutcome.Read(run, dir);
            if (outcomes[i].Status == RunStatus.Diverged)
                w.WriteLine($"   diverged at step {outcomes[i].DivergedAt}: recorded; the study goes on");
            else if (code != ExitCodes.Success || !outcomes[i].Done)
            {
                context.Err.Write(err.ToString());
                context.Err.WriteLine($"dotgrad: study {study.Name} stopped at run {i + 1} ({run.Name}); the finished runs are in {root}, and the same --out resumes.");
                return code == ExitCodes.Success ? ExitCodes.Failure : code;
            }
            if (double.IsNaN(measured) && outcomes[i].Status == RunStatus.Finished)
            {
                measured = outcomes[i].WallSeconds / Math.Max(1, outcomes[i].StepsDone);
                long left = outcomes.Skip(i + 1).Where(o => !o.Done).Sum(o => (long)o.Run.Steps);
                w.WriteLine($"estimate  {measured * 1000:F1} ms per step measured: about {Clock(left * measured)} for the remaining {left:N0} steps");
            }
            w.Flush();
        }

        var results = new StudyResults(outcomes);
        string report = StudyReport.Write(root, study, options, study.Groups(options), results);
        w.WriteLine($"report    {report}");
        return ExitCodes.Success;
    }

    private static string Clock(double seconds) => TrainingProgress.Clock(TimeSpan.FromSeconds(seconds));
}
