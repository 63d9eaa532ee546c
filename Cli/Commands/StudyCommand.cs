// dotgrad study NAME: a predefined study (see Cli/Study) into runs/study-NAME-TIMESTAMP/ (or --out DIR). A training
// study's train runs go one after another in-process into <root>/<run>/, then report.md with tables, figures and a
// computed verdict; started again with the same --out it skips the runs whose metrics.csv shows them finished (or
// diverged). A measurement study measures and writes its report itself. The data a study needs is checked first.
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
        var quick = new Option<bool>("--quick") { Description = "A tiny version (a few dozen steps per run and a small model, or small measurements): checks the machinery in about a minute" };
        var text = new Option<string?>("--text") { HelpName = "FILE", Description = $"The text file of the text studies (default {Studies.DefaultText})" };
        var mnist = new Option<string?>("--mnist") { HelpName = "DIR", Description = $"The MNIST directory of the MNIST studies (default {Studies.DefaultMnist})" };
        var device = new Option<string?>("--device") { Description = "cpu, opencl or opencl:N: passed to every run of a training study; a measurement study measures on this device only (default: the CPU and every OpenCL device)" };
        var output = new Option<string?>("--out")
        {
            HelpName = "DIR",
            Description = "Directory of the runs and report.md (default runs/study-NAME-TIMESTAMP); the same DIR again resumes: finished runs are skipped",
        };
        var command = new Command("study", "Run a predefined study (train runs over seeds, or measurements), then write report.md with tables, figures and a verdict computed from the numbers")
        {
            name, list, quick, text, mnist, device, output,
        };
        command.SetAction(p => Run(context, p.GetValue(name), p.GetValue(list),
                                   new StudyOptions(p.GetValue(quick), p.GetValue(text) ?? Studies.DefaultText, p.GetValue(device), p.GetValue(mnist) ?? Studies.DefaultMnist),
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
        CheckData(study, options);
        if (options.Device is { } d) DeviceChoice.Resolve(d);

        string root = Path.GetFullPath(outDir ?? Path.Combine("runs", $"study-{study.Name}-{DateTime.Now:yyyyMMdd-HHmmss}"));
        Directory.CreateDirectory(root);
        return study switch
        {
            TrainingStudy training => RunTraining(context, training, options, root),
            MeasurementStudy measurement => measurement.Run(context, options, root),
            _ => throw new InvalidOperationException($"study {study.Name}: a {study.GetType().Name} is neither a training nor a measurement study"),
        };
    }

    /// <summary>Throws a <see cref="UserError"/> when the data the study needs is missing, naming it and where to get it.</summary>
    internal static void CheckData(Study.Study study, StudyOptions options)
    {
        switch (study.Data)
        {
            case StudyData.Text when !File.Exists(options.TextFile):
                throw new UserError($"the {study.Name} study trains on the text file '{Path.GetFullPath(options.TextFile)}', which does not exist: " +
                                    "download tinyshakespeare (https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt) " +
                                    $"to {Studies.DefaultText}, or pass another UTF-8 text file with --text FILE");
            case StudyData.Mnist when MissingMnist(options.MnistDir) is { } missing:
                throw new UserError($"the {study.Name} study trains on MNIST in '{Path.GetFullPath(options.MnistDir)}', which {missing}: " +
                                    $"download the four IDX files ({string.Join(", ", MnistFiles)}, raw or .gz) from an MNIST mirror " +
                                    $"(e.g. https://ossci-datasets.s3.amazonaws.com/mnist/) into {Studies.DefaultMnist}, or pass their directory with --mnist DIR");
        }
    }

    private static readonly string[] MnistFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>What is wrong with an MNIST directory ("does not exist", "lacks FILE"), or null when all four files are there.</summary>
    private static string? MissingMnist(string dir)
    {
        if (!Directory.Exists(dir)) return "does not exist";
        var absent = MnistFiles.Where(f => !File.Exists(Path.Combine(dir, f)) && !File.Exists(Path.Combine(dir, f + ".gz"))).ToArray();
        return absent.Length == 0 ? null : $"lacks {string.Join(" and ", absent)}";
    }

    /// <summary>A training study: its runs one after another (finished ones skipped), then report.md.</summary>
    private static int RunTraining(CliContext context, TrainingStudy study, StudyOptions options, string root)
    {
        var w = context.Out;
        var plan = study.Plan(options);
        var outcomes = plan.Select(r => RunOutcome.Read(r, Path.Combine(root, r.Name), study.Metric.HigherIsBetter)).ToArray();
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
            outcomes[i] = RunOutcome.Read(run, dir, study.Metric.HigherIsBetter);
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

        var results = new StudyResults(outcomes, study.Metric.HigherIsBetter);
        results.Extra = study.Measure(results, options, root, w);
        string report = StudyReport.Write(root, study, options, study.Groups(options), results);
        w.WriteLine($"report    {report}");
        return ExitCodes.Success;
    }

    private static string Clock(double seconds) => TrainingProgress.Clock(TimeSpan.FromSeconds(seconds));
}
