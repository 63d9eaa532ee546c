// dotgrad train [gpt|vit|mixer|gmlp]: a GPT on the built-in sort task (no data needed) or on a text file (--text), or
// an image classifier on MNIST (--mnist), with the optimizer, schedule, clipping and model switches as options;
// --resume continues a checkpoint exactly; --branch starts a new run from one, with another length and cooldown.
using System.CommandLine;
using System.Globalization;
using DotGrad.Backends;
using DotGrad.Cli.Output;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Commands;

internal static class TrainCommand
{
    /// <summary>How many recent checkpoints a new run keeps, besides its best (--keep).</summary>
    public const int DefaultKeep = 3;

    public static Command Create(CliContext context)
    {
        var o = new TrainOptions();
        var command = new Command("train", "Train a model: with no arguments a small GPT on the built-in sort task; 'train gpt --text FILE'; 'train vit|mixer|gmlp --mnist DIR'");
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
        string name = p.GetValue(o.Model)?.Trim().ToLowerInvariant() ?? GptModel.Kind;
        var kind = ModelKinds.Find(name)
                   ?? throw new UserError($"'dotgrad train {name}': unknown model; choose one of {string.Join(", ", ModelKinds.Names)}");

        var device = DeviceChoice.Resolve(p.GetValue(o.Device));
        var switches = new ModelSwitches(p.GetValue(o.Width), p.GetValue(o.Depth), p.GetValue(o.Heads), p.GetValue(o.KvHeads), p.GetValue(o.MlpHidden),
            p.GetValue(o.Norm), p.GetValue(o.NormKind), p.GetValue(o.Parallel), p.GetValue(o.Residual), p.GetValue(o.Mlp), p.GetValue(o.Activation),
            p.GetValue(o.Rope) ? "rope" : p.GetValue(o.Positions), p.GetValue(o.Head), p.GetValue(o.QkNorm), p.GetValue(o.NoBias),
            p.GetValue(o.Patch), p.GetValue(o.TokenMlpHidden), p.GetValue(o.LogitCap), p.GetValue(o.AttnLogitCap),
            p.GetValue(o.Mixer), p.GetValue(o.MixerHeads), p.GetValue(o.ReZero), p.GetValue(o.Dualized));
        int? logEvery = p.GetValue(o.LogEvery);
        if (logEvery is < 1) throw new UserError($"--log-every must be at least 1, got {logEvery}");

        if (p.GetValue(o.InitFrom) is not null && (p.GetValue(o.Resume) is not null || p.GetValue(o.Branch) is not null))
            throw new UserError("--init-from starts a new run from a checkpoint's weights; it excludes --resume and --branch, which continue a run's optimizer and data order too");
        var run = (p.GetValue(o.Resume), p.GetValue(o.Branch), p.GetValue(o.InitFrom)) switch
        {
            ({ }, { }, _) => throw new UserError("--resume and --branch exclude each other: --resume continues a run, --branch starts a new run from one of its checkpoints"),
            ({ } resume, null, _) => PrepareResume(context, o, p, resume, switches, device),
            (null, { } branch, _) => PrepareBranch(context, o, p, branch, switches, device),
            (null, null, { } init) => PrepareInit(context, o, p, init, switches, device),
            _ => PrepareFresh(context, o, p, kind, switches, device),
        };
        run = run with { LogEvery = logEvery ?? Math.Max(1, run.Settings.Steps / 20), Profile = p.GetValue(o.Profile) };

        using var modelScope = run.Model;
        using var optimizerScope = run.Optimizer;
        // One run at a time in a directory, and a new run never mixes its files with another's.
        bool overwrite = p.GetValue(o.Overwrite);
        if (p.GetValue(o.Extend) && p.GetValue(o.Resume) is null)
            throw new UserError("--extend applies to --resume: it trains a saved run on past its end at its schedule's final learning rate");
        if (overwrite && run.ContinuesInPlace)
            throw new UserError("--overwrite replaces a run, --resume continues one in its own directory: give one of them (or --out NEW to resume into another directory)");
        using var directoryLock = RunDirectoryLock.Acquire(run.RunDir);
        if (!run.ContinuesInPlace)
            RunDirectory.PrepareFresh(run.RunDir, overwrite,
                p.GetValue(o.Resume) is not null ? "resuming into it" : p.GetValue(o.Branch) is not null ? "branching into it" : "a new run");
        PrintHeader(run);
        var result = Trainer.Run(run);
        if (result.Interrupted is var (signal, exitCode))
        {
            PrintInterrupted(run, result, signal);
            return exitCode;
        }
        PrintSummary(run, result);
        return ExitCodes.Success;
    }

    /// <summary>
    /// A new run (new optimizer, schedule and data order, from step 0) of the model of a checkpoint, starting from its
    /// weights: what --resume refuses, since it changes the run's settings. The task and the architecture come from the
    /// checkpoint; every training option is the new run's own.
    /// </summary>
    private static TrainingRun PrepareInit(CliContext context, TrainOptions o, ParseResult p, string init, ModelSwitches switches, Device device)
    {
        if (switches.AnyGiven)
            throw new UserError("--init-from starts from a checkpoint's model, so the model options cannot be given; leave them out (or start a new run without --init-from)");
        var source = Open(o, p, init, "--init-from");
        context.Out.WriteLine($"Initialising from {source.Dir} (step {source.State.Step}): its weights, with a new optimizer, schedule and data order.");
        return PrepareFresh(context, o, p, source.Kind, switches, device, source);
    }

    private static TrainingRun PrepareFresh(CliContext context, TrainOptions o, ParseResult p, ModelKind kind, ModelSwitches switches, Device device,
                                            Source? init = null)
    {
        var task = init?.Task ?? TrainTasks.Create(kind, o, p);
        var d = kind.Defaults(task);
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
            SaveEvery: p.GetValue(o.SaveEvery) ?? 0,
            ZLoss: p.GetValue(o.ZLoss),
            Sm3Momentum: p.GetValue(o.Sm3Momentum)?.Trim().ToLowerInvariant(),
            HeadWeightDecay: p.GetValue(o.HeadWeightDecay),
            Keep: p.GetValue(o.Keep) ?? DefaultKeep,
            DualizedTargets: p.GetValue(o.DualizedTargets)?.Trim().ToLowerInvariant(),
            DualizedVectors: p.GetValue(o.DualizedVectors)?.Trim().ToLowerInvariant(),
            DualizedFan: p.GetValue(o.DualizedFan)?.Trim().ToLowerInvariant());
        settings.Validate();

        var config = init?.State.ModelConfig ?? kind.Configure(switches, task);
        var model = kind.Build(config, settings.Seed, device, init?.Dir ?? "the model options");
        try
        {
            if (init is not null) Checkpoint.LoadWeights(init.Dir, model, init.State.Step);
            // The dualized optimizer's switches are written out in run.json, so that a resumed run rebuilds the same groups.
            settings = Optimizers.ResolveDualized(settings, model, lrGiven: p.GetValue(o.Lr) is not null);
            var optimizer = CreateOptimizer(settings, model, kind, task.Defaults.Lr);
            ulong dataSeed = unchecked(settings.Seed * 0x9E3779B97F4A7C15UL + 1);  // a stream apart from the weights'
            string runDir = p.GetValue(o.Out) ?? Path.Combine("runs", $"{task.Name}-{kind.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");
            return new TrainingRun(context, task, kind.Name, config, model, optimizer, settings, device, new Generator(dataSeed), dataSeed, runDir, 0, 0, 1);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The options that define a run: a checkpoint keeps them, so --resume and --branch cannot change them.</summary>
    private static Option[] SavedOptions(TrainOptions o) =>
    [
        o.Task, o.Digits, o.Context, o.Labels, o.TrainExamples, o.Optimizer, o.Lr, o.WeightDecay, o.HeadWeightDecay, o.Schedule, o.Warmup, o.Cooldown,
        o.Clip, o.Agc, o.Sm3Momentum, o.DualizedTargets, o.DualizedVectors, o.DualizedFan, o.ZLoss, o.Batch, o.Seed,
    ];

    private static TrainingRun PrepareResume(CliContext context, TrainOptions o, ParseResult p, string resume, ModelSwitches switches, Device device)
    {
        // Resuming means continuing the same run: what defines it cannot change.
        var changed = Changed(o, p, switches, allowed: []);
        if (changed.Count > 0)
            throw new UserError($"--resume continues a run with its saved settings; {string.Join(", ", changed)} cannot be changed (start a new run instead)");

        var source = Open(o, p, resume, "--resume");
        var (dir, state, kind, task, _) = source;
        var saved = state.Settings;
        int steps = p.GetValue(o.Steps) ?? saved.Steps;
        bool extend = p.GetValue(o.Extend);
        if (extend && steps <= saved.Steps)
            throw new UserError($"--extend trains on past the run's end: pass --steps N with N > {saved.Steps}, the run's length");
        var settings = saved with { Steps = steps, Keep = p.GetValue(o.Keep) ?? saved.Keep };
        if (steps != saved.Steps)
            settings = settings with
            {
                // A new length must not change the learning rate of a step already taken: the rsqrt decay keeps its
                // timescale, and --extend keeps the whole schedule where it was (holding its last value past the end).
                RsqrtTimescale = saved.Schedule == "rsqrt" ? saved.Timescale() : saved.RsqrtTimescale,
                ScheduleSteps = extend ? saved.ScheduleSteps ?? saved.Steps : saved.ScheduleSteps,
            };
        settings.Validate();
        if (state.Step >= settings.Steps)
            throw new UserError($"--resume '{dir}': that run already finished its {state.Step} steps; pass --steps N with N > {state.Step} to train further");
        if (extend && saved.Cooldown > 0)
            throw new UserError($"--resume '{dir}' --extend: the run's schedule ends in a cooldown to a learning rate of 0, so there is no rate to train on at; " +
                                "branch a longer run from a checkpoint before the cooldown instead (--branch CHECKPOINT --steps N --cooldown C --out NEW)");
        CheckResumedSchedule(saved, settings, state.Step, dir);
        // By default the run goes on in its own directory (RUN/checkpoints/step-N -> RUN).
        string runDir = p.GetValue(o.Out) ?? source.RunDir ?? Path.Combine("runs", $"{task.Name}-{kind.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");
        context.Out.WriteLine($"Resuming {dir} at step {state.Step} of {settings.Steps}.");
        bool inPlace = source.RunDir is { } own && Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir)) == Path.TrimEndingDirectorySeparator(own);
        return Restore(context, source, settings, device, runDir) with { ContinuesInPlace = inPlace };
    }

    /// <summary>
    /// A new run from a checkpoint of another: the weights, optimizer state, data order and step that --resume restores,
    /// the saved settings with a new --steps and --cooldown, and the source's metrics.csv rows up to the checkpoint.
    /// The schedule must give every step before the checkpoint the learning rate the source run gave it (a constant or
    /// rsqrt decay with the cooldown after the branch point), so the branch is the source run up to there.
    /// </summary>
    private static TrainingRun PrepareBranch(CliContext context, TrainOptions o, ParseResult p, string branch, ModelSwitches switches, Device device)
    {
        var changed = Changed(o, p, switches, allowed: [o.Cooldown]);
        if (changed.Count > 0)
            throw new UserError($"--branch starts from a run's checkpoint with its saved settings, changing only --steps and --cooldown; " +
                                $"{string.Join(", ", changed)} cannot be changed (start a new run instead)");
        string outDir = p.GetValue(o.Out)
                        ?? throw new UserError("--branch needs --out DIR, the new run's directory (the source run is left as it is)");

        var source = Open(o, p, branch, "--branch");
        var (dir, state, _, _, _) = source;
        string sourceRun = source.RunDir ?? Path.GetFullPath(dir), full = Path.GetFullPath(outDir);
        if (Inside(full, sourceRun) || Inside(full, Path.GetFullPath(dir)))
            throw new UserError($"--branch writes a new run, but --out '{outDir}' is in the source run '{sourceRun}', which stays untouched; pick another directory");

        var saved = state.Settings;
        var settings = saved with
        {
            Steps = p.GetValue(o.Steps) ?? saved.Steps,
            Cooldown = p.GetValue(o.Cooldown) ?? saved.Cooldown,
            // An rsqrt decay keeps the source's timescale (a tenth of its own --steps), so its shape does not change with the length.
            RsqrtTimescale = saved.Schedule == "rsqrt" ? saved.Timescale() : saved.RsqrtTimescale,
            // The branch lays its schedule over its own --steps; a source extended past its schedule (--extend) held the
            // last value there, which the check below compares against like any other step.
            ScheduleSteps = null,
            Keep = p.GetValue(o.Keep) ?? saved.Keep ?? DefaultKeep,
            EvalEvery = p.GetValue(o.EvalEvery) ?? saved.EvalEvery,
            SaveEvery = p.GetValue(o.SaveEvery) ?? saved.SaveEvery,
        };
        settings.Validate();
        int k = state.Step;
        if (k >= settings.Steps)
            throw new UserError($"--branch '{dir}': the checkpoint is at step {k}, so the branch needs --steps N with N > {k} (for a cooldown of C steps from there: --steps {k}+C --cooldown C)");
        CheckScheduleAgrees(saved, settings, k, dir);

        string sourceMetrics = Path.Combine(sourceRun, MetricsWriter.FileName);
        if (File.Exists(sourceMetrics))
            context.Out.WriteLine($"Branching {dir} at step {k} into {outDir}: {settings.Steps} steps, cooldown {settings.Cooldown}; metrics.csv rows 1-{k} copied.");
        else
            context.Out.WriteLine($"Branching {dir} at step {k} into {outDir}: {settings.Steps} steps, cooldown {settings.Cooldown} " +
                                  $"(no {sourceMetrics}: the new metrics.csv starts after step {k}).");
        return Restore(context, source, settings, device, outDir) with { MetricsFrom = File.Exists(sourceMetrics) ? sourceMetrics : null };
    }

    /// <summary>
    /// A <see cref="UserError"/> when resuming at step <paramref name="k"/> with another --steps would give a step already
    /// taken another learning rate, as stretching a linear or cosine decay over a new length does: the message says what to do.
    /// </summary>
    private static void CheckResumedSchedule(TrainSettings saved, TrainSettings resumed, int k, string dir)
    {
        Func<int, double> before = saved.CreateSchedule(), after = resumed.CreateSchedule();
        for (int step = 0; step < k; step++)
        {
            if (before(step) == after(step)) continue;
            string why = saved.Schedule is "linear" or "cosine" && resumed.Steps > saved.Steps
                ? $"a {saved.Schedule} decay is laid over the run's {saved.ScheduleSteps ?? saved.Steps} steps, so stretching it over {resumed.Steps} would change it. " +
                  $"Pass --extend to train on to step {resumed.Steps} at the schedule's final learning rate ({Num(before(saved.ScheduleSteps ?? saved.Steps) * saved.Lr)}), " +
                  $"or start a new run with --steps {resumed.Steps}"
                : saved.Cooldown > 0
                ? $"the run's cooldown started at step {(saved.ScheduleSteps ?? saved.Steps) - saved.Cooldown}, and a new length moves it. " +
                  "Branch from a checkpoint before the cooldown instead (--branch CHECKPOINT --steps N --cooldown C --out NEW)"
                : $"keep --steps {saved.Steps}, or start a new run";
            throw new UserError($"--resume '{dir}' --steps {resumed.Steps}: the learning rate of step {step}, already taken, would become " +
                                $"{Num(after(step) * resumed.Lr)} instead of {Num(before(step) * saved.Lr)}; {why}");
        }
    }

    /// <summary>A <see cref="UserError"/> when <paramref name="branch"/>'s schedule differs from the source's at a step before <paramref name="k"/>.</summary>
    private static void CheckScheduleAgrees(TrainSettings source, TrainSettings branch, int k, string dir)
    {
        Func<int, double> before = source.CreateSchedule(), after = branch.CreateSchedule();
        for (int step = 0; step < k; step++)
        {
            if (before(step) == after(step)) continue;
            string why = branch.Steps != source.Steps && source.Schedule is "linear" or "cosine"
                ? $"a {source.Schedule} decay is laid over the run's --steps, so another length reshapes it: branch a constant or rsqrt run to change the length"
                : branch.Steps - branch.Cooldown < k
                ? $"the cooldown would start at step {branch.Steps - branch.Cooldown}, before the branch point: pass --steps {k}+C --cooldown C or longer"
                : source.Steps - source.Cooldown < k
                ? $"the source run was in its own cooldown from step {source.Steps - source.Cooldown}: branch from a checkpoint before it"
                : "branch with the source's schedule";
            throw new UserError($"--branch '{dir}' at step {k}: the new schedule gives step {step} the learning-rate factor {Num(after(step))} where the source run had {Num(before(step))}, " +
                                $"so the branch would not be the source run up to its checkpoint; {why}");
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="dir"/> or below it (full paths).</summary>
    private static bool Inside(string path, string dir)
    {
        string a = Path.TrimEndingDirectorySeparator(path), b = Path.TrimEndingDirectorySeparator(dir);
        return a == b || a.StartsWith(b + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>The saved options and model switches the user gave, besides <paramref name="allowed"/>.</summary>
    private static List<string> Changed(TrainOptions o, ParseResult p, ModelSwitches switches, Option[] allowed)
    {
        var changed = SavedOptions(o).Except(allowed).Where(opt => p.GetResult(opt) is { Implicit: false }).Select(opt => opt.Name).ToList();
        if (switches.AnyGiven) changed.Add("model options");
        return changed;
    }

    /// <summary>A checkpoint opened for --resume or --branch: where it is, what it holds, and the run directory it belongs to (or null).</summary>
    private sealed record Source(string Dir, RunState State, ModelKind Kind, ITrainingTask Task, string? RunDir);

    private static Source Open(TrainOptions o, ParseResult p, string path, string option)
    {
        string dir = Checkpoint.Resolve(path, option);
        var state = Checkpoint.Read(dir);
        var kind = ModelKinds.Find(state.ModelKind)
                   ?? throw new UserError($"{option} '{dir}': the checkpoint holds a '{state.ModelKind}', which this version does not know ({string.Join(", ", ModelKinds.Names)})");
        // The model argument defaults to gpt; given explicitly, it must name the checkpoint's model.
        if (p.GetResult(o.Model) is { Tokens.Count: > 0 } && p.GetValue(o.Model)?.Trim().ToLowerInvariant() != kind.Name)
            throw new UserError($"{option} '{dir}': the checkpoint holds a {kind.Name}, not a {p.GetValue(o.Model)}; run 'dotgrad train {kind.Name} {option} {path}' or leave the model out");
        var task = TrainTasks.Restore(state, o, p);
        kind.CheckTask(state.ModelConfig, task, dir);
        var parent = Directory.GetParent(Path.GetFullPath(dir));
        return new Source(dir, state, kind, task, parent is { Name: "checkpoints", Parent: { } run } ? run.FullName : null);
    }

    /// <summary>The model, optimizer and data generator of <paramref name="source"/>, restored exactly, to train on under <paramref name="settings"/>.</summary>
    private static TrainingRun Restore(CliContext context, Source source, TrainSettings settings, Device device, string runDir)
    {
        var (dir, state, kind, task, _) = source;
        var model = kind.Build(state.ModelConfig, settings.Seed, device, dir);
        try
        {
            Checkpoint.LoadWeights(dir, model, state.Step);
            var optimizer = CreateOptimizer(settings, model, kind, task.Defaults.Lr);
            Checkpoint.LoadOptimizer(dir, optimizer, device);
            var data = new Generator(state.DataSeed);
            data.SetState((state.DataSeed, state.DataOffset));
            return new TrainingRun(context, task, kind.Name, state.ModelConfig, model, optimizer, settings, device, data, state.DataSeed, runDir,
                                   state.Step, state.ElapsedSeconds, 1);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static DotGrad.Optim.Optimizer CreateOptimizer(TrainSettings settings, Module model, ModelKind kind, double taskLr)
    {
        DotGrad.Optim.Optimizer? optimizer = null;
        var head = settings.HeadWeightDecay is { } h ? new HeadGroup(Optimizers.HeadWeights(model, kind), h) : null;
        try
        {
            optimizer = Optimizers.Create(settings.Optimizer, model, settings.Lr, settings.WeightDecay, fallbackLr: taskLr, sm3Momentum: settings.Sm3Momentum,
                                          head: head, dualized: settings.Dualized());
            optimizer.Schedule = settings.CreateSchedule();
            return optimizer;
        }
        catch (ArgumentException e)
        {
            optimizer?.Dispose();
            throw UserError.From("the optimizer settings are invalid", e);
        }
    }

    private static void PrintHeader(TrainingRun run)
    {
        var s = run.Settings;
        var kind = ModelKinds.Find(run.ModelKind)!;
        var w = run.Context.Out;
        w.WriteLine($"task      {run.Task.Description}");
        w.WriteLine($"model     {kind.Describe(run.ModelConfig, run.Model)}");
        w.WriteLine($"optimizer {s.Optimizer}: lr {Num(s.Lr)}, weight decay {Num(s.WeightDecay)}" +
                    $"{(s.HeadWeightDecay is { } hd ? $", head weight decay {Num(hd)}" : "")}, {s.Schedule} schedule, warmup {s.Warmup}, cooldown {s.Cooldown}, " +
                    $"clip {(s.Clip is { } cl ? Num(cl) : "off")}{(s.Agc is { } a ? $", agc {Num(a)}" : "")}{(s.ZLoss is { } z ? $", z-loss {Num(z)}" : "")}{DualizedWords(s)}; state {Tables.Bytes(run.Optimizer.StateBytes())}");
        w.WriteLine($"run       {s.Steps} steps of {s.Batch}, seed {s.Seed}, device {run.Device}, output {run.RunDir}");
        w.Flush();
    }

    private static void PrintSummary(TrainingRun run, TrainResult r)
    {
        var w = run.Context.Out;
        w.WriteLine($"done      {r.Steps} steps, final loss {r.FinalLoss.ToString("F4", CultureInfo.InvariantCulture)}, " +
                    $"training time {TrainingProgress.Clock(r.Elapsed)} ({r.Throughput:N0} {run.Task.Throughput.Unit}/s)");
        w.WriteLine($"result    {r.Evaluation.Summary}");
        w.WriteLine($"memory    peak {Tables.Bytes(r.PeakBytes)} of tensors live on {run.Device} during the training steps");
        w.WriteLine($"metrics   {r.MetricsPath}");
        w.WriteLine($"plot      {r.PlotPath}");
        w.WriteLine($"checkpoint {r.CheckpointDir}");
        if (r.Profile is ({ } table, { } csvPath))
        {
            w.WriteLine($"profile   {csvPath}");
            w.Write(table);
        }
        else if (run.Profile)
            w.WriteLine("profile   none: --profile skips the first step (a warm-up), and this run had no other");
        if (run.Task is ILanguageTask lt)
        {
            string prompt = $"'{lt.SuggestedPrompt.Replace("'", "")}'" + (run.Task is SortTask ? " --temperature 0" : "");
            w.WriteLine($"next      dotgrad sample --checkpoint {run.RunDir} --prompt {prompt}");
        }
        w.Flush();
    }

    /// <summary>What a run stopped by a signal left, and the command that continues it.</summary>
    private static void PrintInterrupted(TrainingRun run, TrainResult r, string signal)
    {
        var w = run.Context.Out;
        w.WriteLine($"stopped   by {signal} after step {r.Steps} of {run.Settings.Steps}, last loss {r.FinalLoss.ToString("F4", CultureInfo.InvariantCulture)}");
        w.WriteLine($"metrics   {r.MetricsPath}");
        w.WriteLine($"plot      {r.PlotPath}");
        w.WriteLine($"checkpoint {r.CheckpointDir}");
        w.WriteLine($"resume    dotgrad train --resume {r.CheckpointDir}");
        w.Flush();
    }

    /// <summary>The dualized optimizer's switches for the optimizer line: ", targets per-layer, vectors dualized, fan raw".</summary>
    private static string DualizedWords(TrainSettings s) =>
        s.Optimizer == "dualized" && s.Dualized() is var d ? $", targets {d.Targets}, vectors {d.Vectors}, fan {d.Fan}" : "";

    private static string Num(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
