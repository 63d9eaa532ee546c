// The training settings of one run after defaults are applied; saved in run.json so --resume continues the same run.
// HeadWeightDecay is the output layer's own decay (null: the head decays as the body); RsqrtTimescale pins the
// rsqrt decay's timescale, which is otherwise a tenth of --steps, so that a branch of another length keeps its shape.
// ScheduleSteps is the length the schedule was laid over when a run was extended past it (--resume --extend): the
// learning rate holds the value it ended with for the extra steps. Keep is how many recent checkpoints stay (null, as in
// a run.json from before it existed: all).
using DotGrad.Optim;

namespace DotGrad.Cli.Training;

internal sealed record TrainSettings(
    string Optimizer,
    double Lr,
    double WeightDecay,
    string Schedule,
    int Warmup,
    int Cooldown,
    double? Clip,
    double? Agc,
    int Steps,
    int Batch,
    ulong Seed,
    int EvalEvery,
    int SaveEvery,
    double? ZLoss = null,
    string? Sm3Momentum = null,
    double? HeadWeightDecay = null,
    double? RsqrtTimescale = null,
    string? DualizedTargets = null,
    string? DualizedVectors = null,
    string? DualizedFan = null,
    int? ScheduleSteps = null,
    int? Keep = null)
{
    public static readonly string[] ScheduleNames = ["constant", "linear", "cosine", "rsqrt"];

    /// <summary>Every value in range, or a <see cref="UserError"/> naming the option.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new UserError($"--steps must be at least 1, got {Steps}");
        if (Batch < 1) throw new UserError($"--batch must be at least 1, got {Batch}");
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new UserError($"--lr must be a positive number, got {Lr}");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new UserError($"--weight-decay must be a number >= 0, got {WeightDecay}");
        if (HeadWeightDecay is { } h && !(h >= 0 && double.IsFinite(h))) throw new UserError($"--head-weight-decay must be a number >= 0, got {h}");
        if (RsqrtTimescale is { } ts && !(ts > 0 && double.IsFinite(ts))) throw new UserError($"run.json: the rsqrt timescale must be a positive number, got {ts}");
        if (Warmup < 0 || Cooldown < 0) throw new UserError($"--warmup and --cooldown must be >= 0, got {Warmup} and {Cooldown}");
        if (ScheduleSteps is { } laid && (laid < 1 || laid > Steps))
            throw new UserError($"run.json: the schedule's length must be between 1 and the run's {Steps} steps, got {laid}");
        if (Warmup + Cooldown > (ScheduleSteps ?? Steps))
            throw new UserError($"--warmup {Warmup} plus --cooldown {Cooldown} is more than --steps {ScheduleSteps ?? Steps}");
        if (Clip is { } c && !(c > 0)) throw new UserError($"--clip must be a positive gradient norm, got {c}");
        if (Agc is { } a && !(a > 0)) throw new UserError($"--agc must be a positive clipping factor (0.01 is typical), got {a}");
        if (ZLoss is { } z && !(z > 0 && double.IsFinite(z))) throw new UserError($"--z-loss must be a positive coefficient (1e-4 is typical), got {z}");
        if (Keep is < 0) throw new UserError($"--keep must be 0 (keep every checkpoint) or more, got {Keep}");
        if (EvalEvery < 0 || SaveEvery < 0) throw new UserError("--eval-every and --save-every must be >= 0 (0: only at the end)");
        if (Sm3Momentum is { } m && !Optimizers.Sm3MomentumNames.Contains(m))
            throw new UserError($"--sm3-momentum '{m}' is not one of {string.Join(", ", Optimizers.Sm3MomentumNames)}");
        if (Sm3Momentum is not null && Optimizer != "sm3")
            throw new UserError($"--sm3-momentum applies to --optimizer sm3 only, not to {Optimizer}");
        foreach (var (option, value, words) in new[]
                 {
                     ("--dualized-targets", DualizedTargets, Optimizers.DualizedTargetNames), ("--dualized-vectors", DualizedVectors, Optimizers.DualizedVectorNames),
                     ("--dualized-fan", DualizedFan, Optimizers.DualizedFanNames),
                 })
        {
            if (value is null) continue;
            if (!words.Contains(value)) throw new UserError($"{option} '{value}' is not one of {string.Join(", ", words)}");
            if (Optimizer != "dualized") throw new UserError($"{option} applies to --optimizer dualized only, not to {Optimizer}");
        }
        if (!ScheduleNames.Contains(Schedule)) throw new UserError($"--schedule '{Schedule}' is not one of {string.Join(", ", ScheduleNames)}");
    }

    /// <summary>
    /// The rsqrt decay's timescale: <see cref="RsqrtTimescale"/> when pinned (a branch), else a tenth of the run, so
    /// the decay is visible in a short run (the library's default is 10,000 steps). A method, so run.json does not keep it.
    /// </summary>
    public double Timescale() => RsqrtTimescale ?? Math.Max(1, (ScheduleSteps ?? Steps) / 10.0);

    /// <summary>
    /// The dualized optimizer's three switches, each as given or, when absent (a run.json written before they
    /// existed), the library's defaults: uniform targets, dualized vectors, raw fan factor.
    /// </summary>
    public DualizedSwitches Dualized() => new(DualizedTargets ?? "uniform", DualizedVectors ?? "dualized", DualizedFan ?? "raw");

    /// <summary>
    /// The learning-rate multiplier: linear warmup, the decay shape, linear cooldown (see <see cref="Schedules.Create"/>),
    /// over <see cref="ScheduleSteps"/> when the run was extended past its schedule (which then holds its last value).
    /// </summary>
    public Func<int, double> CreateSchedule()
    {
        var decay = Schedule switch
        {
            "constant" => DecayKind.Constant,
            "linear" => DecayKind.Linear,
            "cosine" => DecayKind.Cosine,
            "rsqrt" => DecayKind.Rsqrt,
            _ => throw new UserError($"--schedule '{Schedule}' is not one of {string.Join(", ", ScheduleNames)}"),
        };
        return Schedules.Create(decay, ScheduleSteps ?? Steps, Warmup, Cooldown, end: 0.1, timescale: Timescale());
    }
}
