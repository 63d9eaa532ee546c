// The training loop shared by every task: batch, forward, loss, backward, clipping, optimizer step; metrics (with
// the parameters' norm after each step), progress, periodic evaluation and checkpoints; at the end a final
// evaluation, a checkpoint and the loss curve (or, when Ctrl-C or SIGTERM stops the run, a checkpoint of its last step).
using System.Diagnostics;
using System.Text.Json.Nodes;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Cli.Output;
using DotGrad.Cli.Tasks;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Cli.Training;

/// <summary>
/// Everything one training run needs; <see cref="StartStep"/> &gt; 0 when it resumes a checkpoint, and
/// <see cref="MetricsFrom"/> names another run's metrics.csv whose rows up to that step begin this one's (a branch).
/// </summary>
internal sealed record TrainingRun(
    CliContext Context,
    ITrainingTask Task,
    string ModelKind,
    JsonObject ModelConfig,
    Module<Tensor, Tensor> Model,
    Optimizer Optimizer,
    TrainSettings Settings,
    Device Device,
    Generator Data,
    ulong DataSeed,
    string RunDir,
    int StartStep,
    double ElapsedBefore,
    int LogEvery)
{
    public string? MetricsFrom { get; init; }

    /// <summary>Profile the training steps after the first (a warm-up): the table is printed and written as profile.csv.</summary>
    public bool Profile { get; init; }

    /// <summary>A resumed run that goes on in its own directory (whose files are its own); any other run starts its directory afresh.</summary>
    public bool ContinuesInPlace { get; init; }
}

/// <summary>What a finished run reports; <see cref="PeakBytes"/> is the most device memory tensors held at once during the training steps.</summary>
internal sealed record TrainResult(int Steps, double FinalLoss, Evaluation Evaluation, TimeSpan Elapsed, double Throughput,
                                   string CheckpointDir, string MetricsPath, string PlotPath, long PeakBytes)
{
    /// <summary>With --profile: the profiler's table of the steps after the first, and the path of its profile.csv.</summary>
    public (string Table, string CsvPath)? Profile { get; init; }

    /// <summary>When a signal stopped the run before its last step: the signal's name and the exit code it calls for.</summary>
    public (string Signal, int ExitCode)? Interrupted { get; init; }
}

internal static class Trainer
{
    /// <summary>Training batches built ahead of the step that needs them (on one worker thread).</summary>
    private const int DataPrefetch = 2;

    public static TrainResult Run(TrainingRun run)
    {
        // The run directory exists and is locked for this run: TrainCommand acquires it (RunDirectoryLock) before calling here.
        var (context, task, model, optimizer, s) = (run.Context, run.Task, run.Model, run.Optimizer, run.Settings);
        var parameters = model.Parameters().ToArray();
        var distinct = parameters.Distinct<Tensor>(ReferenceEqualityComparer.Instance).ToArray();  // a tied weight counts once in the norm
        var named = model.NamedParameters().ToArray();
        // AGC leaves the output layer alone, as the NFNet paper does (a tied GPT head is the embedding: it is clipped).
        var outputLayer = ModelKinds.Find(run.ModelKind)?.OutputLayer ?? [];
        string[] agcExclude = named.Select(p => p.Name).Where(outputLayer.Contains).ToArray();
        var (unit, perExample) = task.Throughput;
        var (metric, _) = task.Metric;
        string metricsPath = Path.Combine(run.RunDir, MetricsWriter.FileName);
        string lastCheckpoint = "";
        Evaluation? final = null;
        double lastLoss = double.NaN, stepSeconds = double.NaN;
        AnomalyException? culprit = null;
        int stepsDone = run.StartStep;
        using var interrupts = RunInterrupts.Listen();
        // The batches come from the data generator's saved state on, built ahead on a worker while the step runs; the
        // generator is set to the state after each step's batch, which is what a checkpoint saves.
        using var batches = task.Batches(s.Batch, run.Data.GetState(), run.Device, prefetch: DataPrefetch);
        var clock = Stopwatch.StartNew();
        TimeSpan Elapsed() => TimeSpan.FromSeconds(run.ElapsedBefore) + clock.Elapsed;

        // The high-water mark of live bytes over the training steps: parameters, optimizer state, and one step's
        // activations and gradients at their worst (on the CPU the host allocator is the whole process's, so anything
        // else it holds too). Evaluations run in chunks of their own size, so they are left out: the peak is read before
        // each one and started again after it.
        var backend = Backend.For(run.Device);
        backend.ResetPeakMemoryStats();
        long trainPeak = 0;
        Profiler? profiler = null;
        Evaluation EvaluateAside(bool final)
        {
            using var notProfiled = Profiler.Suspend();
            trainPeak = Math.Max(trainPeak, backend.Memory.PeakLiveBytes);
            var evaluation = Evaluate(task, model, run.Device, final);
            backend.ResetPeakMemoryStats();
            return evaluation;
        }

        using (var metrics = new MetricsWriter(metricsPath, unit, metric, run.StartStep, run.MetricsFrom))
        try
        {
            string title = $"{task.Name} · {run.ModelKind} · {s.Optimizer}";
            TrainingProgress.Run(context, title, run.StartStep, s.Steps, run.LogEvery, sink =>
            {
                for (int step = run.StartStep; step < s.Steps; step++)
                {
                    if (run.Profile && step == run.StartStep + 1)
                    {
                        // The first step warms up (pools, lazily built kernels); the profiler starts with the second.
                        // Starting it restarts the device's peak statistics, so the training peak takes what they saw.
                        trainPeak = Math.Max(trainPeak, backend.Memory.PeakLiveBytes);
                        profiler = Profiler.Start(run.Device);
                    }
                    var started = clock.Elapsed;
                    double lr = optimizer.CurrentLr(optimizer.ParamGroups[0]), norm, paramNorm;
                    using (var scope = Tensor.NewDisposeScope())
                    {
                        optimizer.ZeroGrad();
                        var batch = batches.Next();
                        run.Data.SetState(batches.State);
                        var output = model.Call(batch.Input);
                        var loss = task.Loss(output, batch.Target);
                        // z-loss joins the gradient only: the logged loss stays the task's, comparable across runs.
                        (s.ZLoss is { } z ? loss + Autodiff.Functional.ZLoss(output, z) : loss).Backward();
                        if (s.Agc is { } lambda) Clipping.Agc(named, lambda, exclude: agcExclude);
                        // Without --clip the norm is still measured (for metrics.csv), never applied.
                        norm = Clipping.ClipGradNorm(parameters, s.Clip ?? double.MaxValue);
                        // Read before the update, so that a diverged step can be replayed on the weights that produced it.
                        lastLoss = loss.Item();
                        if (!double.IsFinite(lastLoss)) culprit = FirstAnomaly(task, model, batch);
                        optimizer.Step();
                        paramNorm = ParamNorm(distinct);
                    }
                    int done = step + 1;
                    if (!double.IsFinite(lastLoss))
                    {
                        // The diverged step goes into metrics.csv too, so whoever reads the file (a study) sees where it happened.
                        metrics.Write(new MetricsRow(done, lastLoss, lr, norm, 0, Elapsed().TotalSeconds, null, paramNorm));
                        string where = culprit is null ? "" : $" {culprit.Message["anomaly: ".Length..].TrimEnd('.')}.";
                        string advice = s.Clip is null ? $"Lower --lr (now {s.Lr}), add --clip 1, or lengthen --warmup" : $"Lower --lr (now {s.Lr}) or lengthen --warmup";
                        throw new UserError($"training diverged: the loss is {lastLoss} at step {done}.{where} {advice}");
                    }

                    double seconds = (clock.Elapsed - started).TotalSeconds;
                    stepSeconds = double.IsNaN(stepSeconds) ? seconds : 0.9 * stepSeconds + 0.1 * seconds; // a moving average for rate and ETA
                    double throughput = s.Batch * perExample / stepSeconds;
                    double? eval = null;
                    if (done == s.Steps)
                    {
                        // The final evaluation (on all the held-out data) goes into the last row of metrics.csv too.
                        final = EvaluateAside(final: true);
                        eval = final.Value;
                    }
                    else if (s.EvalEvery > 0 && done % s.EvalEvery == 0)
                    {
                        var e = EvaluateAside(final: false);
                        eval = e.Value;
                        sink.Note($"step {done}: {e.Summary}");
                    }
                    using (Profiler.Suspend())
                        metrics.Write(new MetricsRow(done, lastLoss, lr, norm, throughput, Elapsed().TotalSeconds, eval, paramNorm));
                    sink.Step(new StepReport(done, s.Steps, lastLoss, lr, throughput, unit, Elapsed(), TimeSpan.FromSeconds(stepSeconds * (s.Steps - done))));
                    stepsDone = done;
                    if (interrupts.Requested && done != s.Steps)
                        break;   // the checkpoint, metrics and plot follow below
                    if (s.SaveEvery > 0 && done % s.SaveEvery == 0 && done != s.Steps)
                    {
                        using (Profiler.Suspend())
                        {
                            // A checkpoint at an evaluation step records it, so --keep can spare the best one.
                            lastCheckpoint = Checkpoint.Save(run.RunDir, State(run, done, Elapsed(), lastLoss, null, eval), model, optimizer);
                            Prune(run);
                        }
                        sink.Note($"step {done}: checkpoint {lastCheckpoint}");
                    }
                }
                profiler?.Dispose();
            });
        }
        finally
        {
            profiler?.Dispose();
        }

        var elapsed = Elapsed();
        long peakBytes = Math.Max(trainPeak, backend.Memory.PeakLiveBytes);
        // Stopped by a signal: the checkpoint of the last finished step (the final evaluation belongs to the whole run).
        bool interrupted = stepsDone < s.Steps && interrupts.Requested;
        final ??= interrupted ? new Evaluation(double.NaN, $"not evaluated: stopped by {interrupts.Name} at step {stepsDone}") : Evaluate(task, model, run.Device, final: true);
        lastCheckpoint = Checkpoint.Save(run.RunDir, State(run, stepsDone, elapsed, lastLoss, interrupted ? null : final.Summary,
                                                            interrupted ? null : final.Value), model, optimizer);
        Prune(run);
        string plotPath = Path.Combine(run.RunDir, LossPlot.FileName);
        var (steps, losses, _, _) = MetricsWriter.Read(metricsPath);
        LossPlot.Save(plotPath, $"dotgrad train: {task.Name}, {run.ModelKind}, {s.Optimizer} (lr {s.Lr:G3}, {s.Schedule})",
                      [new LossCurve($"{task.Name} {s.Optimizer}", steps, losses)]);
        double rate = double.IsNaN(stepSeconds) ? 0 : s.Batch * perExample / stepSeconds;
        return new TrainResult(stepsDone, lastLoss, final, elapsed, rate, lastCheckpoint, metricsPath, plotPath, peakBytes)
        {
            Profile = profiler is null ? null : (profiler.Table(), WriteProfile(run.RunDir, profiler)),
            Interrupted = interrupted ? (interrupts.Name, interrupts.ExitCode) : null,
        };
    }

    /// <summary>The profiler's rows as profile.csv in the run directory, written atomically; returns its path.</summary>
    private static string WriteProfile(string runDir, Profiler profiler)
    {
        string path = Path.Combine(runDir, "profile.csv");
        File.WriteAllText(path + ".tmp", profiler.Csv());
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>
    /// The global L2 norm of the parameters, sqrt(sum_i ||p_i||^2): each squared norm in Float64 summed on the device
    /// and read once, without autograd (the quantity the dualized-ViT experiments log as l2_params).
    /// </summary>
    private static double ParamNorm(Tensor[] parameters)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = Tensor.NewDisposeScope();
        return Math.Sqrt(Tensor.Stack(parameters.Select(p => p.To(DType.Float64).Square().Sum()).ToArray()).Sum().Item());
    }

    /// <summary>
    /// Replays the forward of a step whose loss was not finite under <see cref="Autograd.DetectAnomaly"/>, on the same
    /// batch and weights: the first op that produced a NaN or an infinity (or that received one from the weights, when an
    /// earlier update overflowed), or null when the replay stays finite.
    /// </summary>
    private static AnomalyException? FirstAnomaly(ITrainingTask task, Module<Tensor, Tensor> model, Batch batch)
    {
        using var noGrad = Autograd.NoGrad();
        using var anomaly = Autograd.DetectAnomaly();
        using var scope = Tensor.NewDisposeScope();
        try
        {
            task.Loss(model.Call(batch.Input), batch.Target);
            return null;
        }
        catch (AnomalyException e)
        {
            return e;
        }
    }

    private static Evaluation Evaluate(ITrainingTask task, Module<Tensor, Tensor> model, Device device, bool final)
    {
        model.Eval();
        try
        {
            return task.Evaluate(model, device, final);
        }
        finally
        {
            model.Train();
        }
    }

    private static RunState State(TrainingRun run, int step, TimeSpan elapsed, double loss, string? evaluation, double? evaluationValue = null)
    {
        var (_, offset) = run.Data.GetState();
        return new RunState(run.ModelKind, run.Task.ToJson(), run.ModelConfig, run.Settings, step, elapsed.TotalSeconds, run.DataSeed, offset, loss,
                            evaluation, evaluationValue);
    }

    /// <summary>Applies --keep to the run's checkpoints (nothing when it is unset, as in a run.json from before it existed).</summary>
    private static void Prune(TrainingRun run)
    {
        if (run.Settings.Keep is { } keep) Checkpoint.Prune(run.RunDir, keep, run.Task.Metric.HigherIsBetter);
    }
}
