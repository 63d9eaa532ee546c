// Which task `dotgrad train` runs: a language task for gpt (the built-in sort task, or --text FILE), MNIST for the
// image models (--mnist DIR); and the task of a checkpoint, rebuilt from run.json for --resume.
using System.CommandLine;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;

namespace DotGrad.Cli.Commands;

internal static class TrainTasks
{
    /// <summary>The task the options ask for, checked against the data <paramref name="kind"/> trains on.</summary>
    public static ITrainingTask Create(ModelKind kind, TrainOptions o, ParseResult p) => kind.Data switch
    {
        TrainingData.Language => Language(kind, o, p),
        _ => Images(kind, o, p),
    };

    private static ILanguageTask Language(ModelKind kind, TrainOptions o, ParseResult p)
    {
        Option[] imageOnly = [o.Labels, o.TrainExamples];
        if (imageOnly.FirstOrDefault(opt => p.GetResult(opt) is { Implicit: false }) is { } image)
            throw new UserError($"{image.Name} applies to the image models ({string.Join(", ", ImageKinds())}) on MNIST, not to {kind.Name}");
        if (p.GetValue(o.Mnist) is not null)
            throw new UserError($"--mnist trains an image model ({string.Join(", ", ImageKinds())}), not {kind.Name}: " +
                                $"run 'dotgrad train vit --mnist DIR', or give {kind.Name} the sort task or --text FILE");
        string? text = p.GetValue(o.Text), taskName = p.GetValue(o.Task)?.Trim().ToLowerInvariant();
        if (text is not null)
        {
            if (taskName is not null) throw new UserError("--task and --text exclude each other: --text trains on a file, --task picks a built-in task");
            if (p.GetValue(o.Digits) is not null) throw new UserError("--digits applies to the sort task, not to --text");
            return TextTask.Load(text, p.GetValue(o.Context) ?? TextTask.DefaultContext);
        }
        if (p.GetValue(o.Context) is not null) throw new UserError("--context applies to --text; the sort task's context is 2 x --digits");
        return (taskName ?? SortTask.TaskName) switch
        {
            SortTask.TaskName => new SortTask(p.GetValue(o.Digits) ?? SortTask.DefaultDigits, heldOutSeed: 20240),
            _ => throw new UserError($"--task '{taskName}' is not a built-in task; the built-in task is sort (or train on a file with --text FILE)"),
        };
    }

    private static IImageTask Images(ModelKind kind, TrainOptions o, ParseResult p)
    {
        Option[] languageOnly = [o.Text, o.Task, o.Digits, o.Context];
        if (languageOnly.FirstOrDefault(opt => p.GetResult(opt) is { Implicit: false }) is { } given)
            throw new UserError($"{given.Name} applies to gpt and lm; {kind.Name} classifies MNIST images: 'dotgrad train {kind.Name} --mnist DIR'");
        string dir = p.GetValue(o.Mnist)
                     ?? throw new UserError($"'dotgrad train {kind.Name}' trains on MNIST: pass --mnist DIR, the directory of the four IDX files " +
                                            "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzip or raw)");
        var labels = p.GetValue(o.Labels) is { } list ? MnistTask.ParseLabels(list) : null;
        return MnistTask.Load(dir, labels, p.GetValue(o.TrainExamples));
    }

    /// <summary>The task a checkpoint was trained on; --text or --mnist point at data that moved since.</summary>
    public static ITrainingTask Restore(RunState state, TrainOptions o, ParseResult p)
    {
        string name = state.Task["name"]?.GetValue<string>() ?? "";
        string? text = p.GetValue(o.Text), mnist = p.GetValue(o.Mnist);
        if (text is not null && name != TextTask.TaskName) throw new UserError($"--text replaces the text file of a text run; this checkpoint's task is '{name}'");
        if (mnist is not null && name != MnistTask.TaskName) throw new UserError($"--mnist replaces the MNIST directory of an MNIST run; this checkpoint's task is '{name}'");
        return name switch
        {
            SortTask.TaskName => SortTask.FromJson(state.Task),
            TextTask.TaskName => TextTask.FromJson(state.Task, text),
            MnistTask.TaskName => MnistTask.FromJson(state.Task, mnist),
            _ => throw new UserError($"the checkpoint's task '{name}' is not one this version knows (sort, text, mnist)"),
        };
    }

    private static IEnumerable<string> ImageKinds() => ModelKinds.All.Where(k => k.Data == TrainingData.Images).Select(k => k.Name);
}
