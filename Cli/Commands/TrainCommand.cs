// dotgrad train [gpt]: the built-in sort task (no data needed) or a char-level model of a text file (--text),
// with the optimizer, schedule, clipping and model switches as options; --resume continues a checkpoint exactly.
using System.CommandLine;
using System.Globalization;
using DotGrad.Cli.Output;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Commands;

internal static class TrainCommand
{
    /// <summary>The models `train` knows; only gpt trains in this version (the MNIST models are coming).</summary>
    private static readonly string[] ModelNames = ["gpt", "vit", "mixer", "gmlp"];

    public static Command Create(CliContext context)
    {
        var o = new TrainOptions();
        var command = new Command("train", "Train a model: with no arguments a small GPT on the built-in sort task, or 'train gpt --text FILE'");
        // An unknown option would otherwise be taken as the model's name: say what it is.
        o.Model.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault()?.Value is { } v && v.StartsWith('-'))
                result.AddError($"Unrecognized option '{v}'.");
        });
        command.Arguments.Add(o.Model);
        foreach (var option in o.All()) command.Options.Add(option);
        command.SetAction(parse => Run(context, o, parse));
        return command;
    }

    private static int Run(CliContext context, TrainOptions o, ParseResult p)
    {
        string model = p.GetValue(o.Model)?.Trim().ToLowerInvariant() ?? "gpt";
        if (!ModelNames.Contains(model))
            throw new UserError($"'dotgrad train {model}': unknown model; choose one of {string.Join(", ", ModelNames)}");
        if (model != "gpt")
            throw new UserError($"'dotgrad train {model}' (MNIST) is not available yet in this version; 'dotgrad train' (the built-in sort task) and 'dotgrad train gpt --text FILE' are");

        var device = DeviceChoice.Resolve(p.GetValue(o.Device));
        var switches = new GptSwitches(p.GetValue(o.Width), p.GetValue(o.Depth), p.GetValue(o.Heads), p.GetValue(o.KvHeads), p.GetValue(o.MlpHidden),
            p.GetValue(o.Norm), p.GetValue(o.NormKind), p.GetValue(o.Parallel), p.GetValue(o.Residual), p.GetValue(o.Mlp), p.GetValue(o.Activation),
            p.GetValue(o.Rope) ? "rope" : p.GetValue(o.Positions), p.GetValue(o.Head), p.GetValue(o.QkNorm), p.GetValue(o.NoBias));
        int? logEvery = p.GetValue(o.LogEvery);
        if (logEvery is < 1) throw new UserError($"--log-every must be at least 1, got {logEvery}");

        var run = p.GetValue(o.Resume) is { } resume
            ? PrepareResume(context, o, p, resume, switches, device)
            : PrepareFresh(context, o, p, switches, device);
        run = run with { LogEvery = logEvery ?? Math.Max(1, run.Settings.Steps / 20) };

        using var modelScope = run.Model;
        using var optimizerScope = run.Optimizer;
        PrintHeader(run);
        var result = Trainer.Run(run);
        PrintSummary(run, result);
        return ExitCodes.Success;
    }

    private static TrainingRun PrepareFresh(CliContext context, TrainOptions o, ParseResult p, GptSwitches switches, Device device)
    {
        var task = CreateTask(o, p);
        var d = task.Defaults;
        string optimizerName = Optimizers.Validate(p.GetValue(o.Optimizer) ?? "adamw");
        double? clip = p.GetValue(o.Clip) ?? d.Clip;
        int steps = p.GetValue(o.Steps) ?? d.Steps;
        var settings = new TrainSettings(
            Optimizer: optimizerName,
            Lr: p.GetValue(o.Lr) ?? Optimizers.DefaultLr(optimizerName, d.Lr),
            WeightDecay: p.GetValue(o.WeightDecay) ?? Optimizers.DefaultWeightDecay(optimizerName),
            Schedule: (p.GetValue(o.Schedule) ?? d.Schedule).Trim().ToLowerInvariant(),
            Warmup: p.GetValue(o.Warmup) ?? Math.Min(d.Warmup, steps / 10),
            Cooldown: p.GetValue(o.Cooldown) ?? 0,
            Clip: clip is 0 ? null : clip,
            Agc: p.GetValue(o.Agc),
            Steps: steps,
            Batch: p.GetValue(o.Batch) ?? d.Batch,
            Seed: p.GetValue(o.Seed) ?? 1,
            EvalEvery: p.GetValue(o.EvalEvery) ?? d.EvalEvery,
            SaveEvery: p.GetValue(o.SaveEvery) ?? 0);
        settings.Validate();

        var config = switches.Resolve(task);
        var gpt = GptModel.Build(config, settings.Seed, device);
        try
        {
            var optimizer = CreateOptimizer(settings, gpt);
            ulong dataSeed = unchecked(settings.Seed * 0x9E3779B97F4A7C15UL + 1);  // a stream apart from the weights'
            string runDir = p.GetValue(o.Out) ?? Path.Combine("runs", $"{task.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");
            return new TrainingRun(context, task, GptModel.Kind, GptModel.ToJson(config), gpt, optimizer, settings, device, new Generator(dataSeed), dataSeed, runDir, 0, 0, 1);
        }
        catch
        {
            gpt.Dispose();
            throw;
        }
    }

    private static TrainingRun PrepareResume(CliContext context, TrainOptions o, ParseResult p, string resume, GptSwitches switches, Device device)
    {
        // Resuming means continuing the same run: what defines it cannot change.
        Option[] fixedOptions = [o.Task, o.Digits, o.Context, o.Optimizer, o.Lr, o.WeightDecay, o.Schedule, o.Warmup, o.Cooldown, o.Clip, o.Agc, o.Batch, o.Seed];
        var changed = fixedOptions.Where(opt => p.GetResult(opt) is { Implicit: false }).Select(opt => opt.Name).ToList();
        if (switches.AnyGiven) changed.Add("model options");
        if (changed.Count > 0)
            throw new UserError($"--resume continues a run with its saved settings; {string.Join(", ", changed)} cannot be changed (start a new run instead)");

        string dir = Checkpoint.Resolve(resume, "--resume");
        var state = Checkpoint.Read(dir);
        if (state.ModelKind != GptModel.Kind) throw new UserError($"--resume '{dir}': this version resumes gpt runs only, not '{state.ModelKind}'");
        var task = RestoreTask(state, p.GetValue(o.Text));
        var config = GptModel.FromJson(state.ModelConfig, dir);
        if (task.Vocab.Size != config.VocabSize || task.ContextLength != config.ContextLength)
            throw new UserError($"--resume '{dir}': the task's vocabulary ({task.Vocab.Size}) or context ({task.ContextLength}) does not match the model's ({config.VocabSize}, {config.ContextLength})");
        var settings = state.Settings with { Steps = p.GetValue(o.Steps) ?? state.Settings.Steps };
        settings.Validate();
        if (state.Step >= settings.Steps)
            throw new UserError($"--resume '{dir}': that run already finished its {state.Step} steps; pass --steps N with N > {state.Step} to train further");

        var gpt = GptModel.Build(config, settings.Seed, device);
        try
        {
            Checkpoint.LoadWeights(dir, gpt);
            var optimizer = CreateOptimizer(settings, gpt);
            Checkpoint.LoadOptimizer(dir, optimizer, device);
            var data = new Generator(state.DataSeed);
            data.SetState((state.DataSeed, state.DataOffset));
            // By default the run goes on in its own directory (RUN/checkpoints/step-N -> RUN).
            var parent = Directory.GetParent(Path.GetFullPath(dir));
            string runDir = p.GetValue(o.Out)
                            ?? (parent is { Name: "checkpoints", Parent: { } run } ? run.FullName : Path.Combine("runs", $"{task.Name}-{DateTime.Now:yyyyMMdd-HHmmss}"));
            context.Out.WriteLine($"Resuming {dir} at step {state.Step} of {settings.Steps}.");
            return new TrainingRun(context, task, GptModel.Kind, state.ModelConfig, gpt, optimizer, settings, device, data, state.DataSeed, runDir,
                                   state.Step, state.ElapsedSeconds, 1);
        }
        catch
        {
            gpt.Dispose();
            throw;
        }
    }

    private static DotGrad.Optim.Optimizer CreateOptimizer(TrainSettings settings, Gpt gpt)
    {
        DotGrad.Optim.Optimizer? optimizer = null;
        try
        {
            optimizer = Optimizers.Create(settings.Optimizer, gpt, settings.Lr, settings.WeightDecay);
            optimizer.Schedule = settings.CreateSchedule();
            return optimizer;
        }
        catch (ArgumentException e)
        {
            optimizer?.Dispose();
            throw UserError.From("the optimizer settings are invalid", e);
        }
    }

    private static ILanguageTask CreateTask(TrainOptions o, ParseResult p)
    {
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

    private static ILanguageTask RestoreTask(RunState state, string? textOverride)
    {
        string name = state.Task["name"]?.GetValue<string>() ?? "";
        return name switch
        {
            SortTask.TaskName => SortTask.FromJson(state.Task),
            TextTask.TaskName => TextTask.FromJson(state.Task, textOverride),
            _ => throw new UserError($"the checkpoint's task '{name}' is not one this version knows (sort, text)"),
        };
    }

    private static void PrintHeader(TrainingRun run)
    {
        var (c, s) = (GptModel.FromJson(run.ModelConfig, run.RunDir), run.Settings);
        var w = run.Context.Out;
        w.WriteLine($"task      {run.Task.Description}");
        w.WriteLine($"model     gpt: width {c.Width}, depth {c.Depth}, heads {c.Heads}, context {c.ContextLength}, vocabulary {c.VocabSize}, " +
                    $"{run.Model.ParameterCount():N0} parameters ({Switches(c)})");
        w.WriteLine($"optimizer {s.Optimizer}: lr {Num(s.Lr)}, weight decay {Num(s.WeightDecay)}, {s.Schedule} schedule, warmup {s.Warmup}, cooldown {s.Cooldown}, " +
                    $"clip {(s.Clip is { } cl ? Num(cl) : "off")}{(s.Agc is { } a ? $", agc {Num(a)}" : "")}; state {Tables.Bytes(run.Optimizer.StateBytes())}");
        w.WriteLine($"run       {s.Steps} steps of {s.Batch}, seed {s.Seed}, device {run.Device}, output {run.RunDir}");
        w.Flush();
    }

    private static string Switches(GptConfig c) =>
        $"{c.Norm.ToString().ToLowerInvariant()}-norm {c.NormKind.ToString().ToLowerInvariant()}, {(c.Parallel ? "parallel" : "serial")}, " +
        $"{c.Residual.ToString().ToLowerInvariant()} residual, {c.Mlp.ToString().ToLowerInvariant()} mlp, {c.Positions.ToString().ToLowerInvariant()} positions, " +
        $"{(c.TiedHead ? "tied" : "untied")} head{(c.QkNorm ? ", qk-norm" : "")}{(c.KvHeads is { } kv ? $", {kv} kv heads" : "")}{(c.Bias ? "" : ", no bias")}";

    private static void PrintSummary(TrainingRun run, TrainResult r)
    {
        var w = run.Context.Out;
        w.WriteLine($"done      {r.Steps} steps, final loss {r.FinalLoss.ToString("F4", CultureInfo.InvariantCulture)}, " +
                    $"training time {TrainingProgress.Clock(r.Elapsed)} ({r.Throughput:N0} {run.Task.Throughput.Unit}/s)");
        w.WriteLine($"result    {r.Evaluation.Summary}");
        w.WriteLine($"metrics   {r.MetricsPath}");
        w.WriteLine($"plot      {r.PlotPath}");
        w.WriteLine($"checkpoint {r.CheckpointDir}");
        string suggested = run.Task is ILanguageTask lt ? lt.SuggestedPrompt.Replace("'", "") : "";
        string prompt = $"'{suggested}'" + (run.Task is SortTask ? " --temperature 0" : "");
        w.WriteLine($"next      dotgrad sample --checkpoint {run.RunDir} --prompt {prompt}");
        w.Flush();
    }

    private static string Num(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
