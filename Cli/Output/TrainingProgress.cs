// Training progress: a live Spectre progress bar (step, loss, throughput, ETA) on a terminal, and plain lines every
// few steps when stdout is a file or a pipe (CI logs), so logs stay readable and free of control codes.
using System.Globalization;
using Spectre.Console;

namespace DotGrad.Cli.Output;

/// <summary>What the trainer reports after each step.</summary>
internal sealed record StepReport(int Step, int TotalSteps, double Loss, double Lr, double Throughput, string Unit, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>Where the trainer reports to while it runs.</summary>
internal interface IProgressSink
{
    void Step(StepReport report);

    /// <summary>A line of its own: an evaluation, a checkpoint written.</summary>
    void Note(string line);
}

internal static class TrainingProgress
{
    /// <summary>Runs <paramref name="body"/> with a live bar on a terminal, or with plain lines every <paramref name="logEvery"/> steps.</summary>
    public static void Run(CliContext context, string title, int startStep, int totalSteps, int logEvery, Action<IProgressSink> body)
    {
        if (!context.Interactive)
        {
            body(new PlainSink(context.Out, logEvery));
            return;
        }
        context.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: totalSteps);
                task.Value = startStep;
                body(new LiveSink(context.Console, task));
            });
    }

    public static string Describe(StepReport r) =>
        $"step {r.Step}/{r.TotalSteps}  loss {r.Loss.ToString("F4", CultureInfo.InvariantCulture)}  lr {r.Lr.ToString("0.00e+0", CultureInfo.InvariantCulture)}  " +
        $"{r.Throughput.ToString("N0", CultureInfo.InvariantCulture)} {r.Unit}/s";

    public static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private sealed class PlainSink(TextWriter output, int logEvery) : IProgressSink
    {
        private readonly int _every = Math.Max(1, logEvery);

        public void Step(StepReport r)
        {
            if (r.Step % _every != 0 && r.Step != r.TotalSteps && r.Step != 1) return;
            output.WriteLine($"{Describe(r)}  elapsed {Clock(r.Elapsed)}  eta {Clock(r.Remaining)}");
            output.Flush();
        }

        public void Note(string line)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private sealed class LiveSink(IAnsiConsole console, ProgressTask task) : IProgressSink
    {
        public void Step(StepReport r)
        {
            task.Description = Markup.Escape(Describe(r));
            task.Value = r.Step;
        }

        public void Note(string line) => console.MarkupLine(Markup.Escape(line));
    }
}
