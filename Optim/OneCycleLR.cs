// The 1cycle policy (Smith and Topin 2017, "Super-Convergence"), as PyTorch's OneCycleLR: the lr up then down, the
// momentum or beta1 down then up.
namespace DotGrad.Optim;

/// <summary>How <see cref="OneCycleLR"/> moves between its phase ends (PyTorch's <c>anneal_strategy</c>).</summary>
public enum AnnealStrategy
{
    /// <summary><c>"cos"</c>: <c>end + (start - end)/2 (cos(pi pct) + 1)</c>.</summary>
    Cos,
    /// <summary><c>"linear"</c>: <c>(end - start) pct + start</c>.</summary>
    Linear,
}

/// <summary>
/// <c>torch.optim.lr_scheduler.OneCycleLR</c>, with PyTorch's defaults and phase boundaries. Per group, with
/// <c>initial = max_lr / div_factor</c> and <c>min = initial / final_div_factor</c> (absolute learning rates; the
/// group's own base lr is not used, as in PyTorch, which overwrites it):
/// <code>
/// two phases (default)        ends at step                lr               momentum
///   1                          pct_start T - 1            initial -> max    max_m -> base_m
///   2                          T - 1                      max -> min        base_m -> max_m
/// three_phase
///   1                          pct_start T - 1            initial -> max    max_m -> base_m
///   2                          2 pct_start T - 2          max -> initial    base_m -> max_m
///   3                          T - 1                      initial -> min    max_m -> max_m
/// </code>
/// Step t lies in the first phase whose end is >= t (the last phase otherwise), which starts where the previous one
/// ended (phase 1 at 0): <c>pct = (t - start) / (end - start)</c>, and the values anneal by <see cref="AnnealStrategy"/>.
/// The ends are real numbers, not rounded. So step 0 gets exactly <c>initial</c> and step <c>T - 1</c>, the last of a
/// run of T steps, exactly <c>min = max_lr / (div_factor final_div_factor)</c>; step T is still allowed (a little
/// above min under cos, as in PyTorch) and a later step throws, as PyTorch's "Tried to step ... times" does.
/// <para>With <c>cycle_momentum</c> (default on) the momentum of SGD-like optimizers or beta1 of Adam-like ones is
/// set for every step (see <see cref="IMomentumOptions"/>); like PyTorch, an optimizer without either is an error, and
/// an SGD made without momentum gets it. <c>max_lr</c>, <c>base_momentum</c> and <c>max_momentum</c> take one value
/// or one per group (<see cref="PerGroup"/>). Defaults: pct_start 0.3, cos, momentum 0.85 to 0.95, div_factor 25,
/// final_div_factor 1e4. PyTorch users step this scheduler per batch, which is what the optimizer's step count is.</para>
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly record struct Phase(double EndStep, Point StartLr, Point EndLr, bool StartMaxMomentum, bool EndMaxMomentum);

    private enum Point { Initial, Max, Min }

    private readonly Phase[] _phases;

    /// <summary>
    /// The cycle over <paramref name="totalSteps"/> steps, or, when that is null, over
    /// <paramref name="epochs"/> x <paramref name="stepsPerEpoch"/> (PyTorch's order of precedence).
    /// </summary>
    public OneCycleLR(PerGroup maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null, double pctStart = 0.3,
                      AnnealStrategy annealStrategy = AnnealStrategy.Cos, bool cycleMomentum = true, PerGroup? baseMomentum = null,
                      PerGroup? maxMomentum = null, double divFactor = 25.0, double finalDivFactor = 1e4, bool threePhase = false)
    {
        const string name = nameof(OneCycleLR);
        if (totalSteps is { } total)
            AtLeast(name, "total_steps", total, 1);
        else if (epochs is { } e && stepsPerEpoch is { } spe)
        {
            AtLeast(name, "epochs", e, 1);
            AtLeast(name, "steps_per_epoch", spe, 1);
            if ((long)e * spe > int.MaxValue) throw new ArgumentException($"{name}: epochs x steps_per_epoch ({(long)e * spe}) is more steps than an optimizer counts");
            total = e * spe;
        }
        else throw new ArgumentException($"{name}: you must define either total_steps or (epochs and steps_per_epoch); got total_steps {totalSteps?.ToString() ?? "null"}, " +
                                         $"epochs {epochs?.ToString() ?? "null"}, steps_per_epoch {stepsPerEpoch?.ToString() ?? "null"}");
        InRange(name, "pct_start", pctStart, 0, 1);
        if (!Enum.IsDefined(annealStrategy)) throw new ArgumentException($"{name}: anneal_strategy must be Cos or Linear, got {annealStrategy}");
        foreach (var v in maxLr.Values) NonNegative(name, "max_lr", v);
        if (!(divFactor > 0) || !double.IsFinite(divFactor)) throw new ArgumentException($"{name}: div_factor must be a finite number > 0, got {divFactor}");
        if (!(finalDivFactor > 0) || !double.IsFinite(finalDivFactor)) throw new ArgumentException($"{name}: final_div_factor must be a finite number > 0, got {finalDivFactor}");
        var baseM = baseMomentum ?? 0.85;
        var maxM = maxMomentum ?? 0.95;
        foreach (var (field, values) in new[] { ("base_momentum", baseM), ("max_momentum", maxM) })
            foreach (var v in values.Values)
                if (!(v >= 0 && v < 1)) throw new ArgumentException($"{name}: {field} must be in [0, 1) (a momentum or beta1), got {v}");

        TotalSteps = total;
        MaxLr = maxLr;
        PctStart = pctStart;
        Strategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        BaseMomentum = baseM;
        MaxMomentum = maxM;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
        ThreePhase = threePhase;
        _phases = threePhase
            ?
            [
                new(pctStart * total - 1, Point.Initial, Point.Max, true, false),
                new(2 * pctStart * total - 2, Point.Max, Point.Initial, false, true),
                new(total - 1, Point.Initial, Point.Min, true, true),
            ]
            :
            [
                new(pctStart * total - 1, Point.Initial, Point.Max, true, false),
                new(total - 1, Point.Max, Point.Min, false, true),
            ];
        // Step 0 falls in the first phase when it ends at 0 exactly, whose length is then 0: PyTorch divides 0 by 0
        // there (and fails when the scheduler is made). Say so instead.
        if (_phases[0].EndStep == 0)
            throw new ArgumentException($"{name}: pct_start x total_steps = {pctStart} x {total} = 1 makes the warm-up phase 0 steps long (PyTorch divides by zero here); " +
                                        "choose pct_start so that pct_start x total_steps is not 1");
    }

    /// <summary>T, the number of steps in the cycle.</summary>
    public int TotalSteps { get; }
    public PerGroup MaxLr { get; }
    public double PctStart { get; }
    public AnnealStrategy Strategy { get; }
    public bool CycleMomentum { get; }
    public PerGroup BaseMomentum { get; }
    public PerGroup MaxMomentum { get; }
    public double DivFactor { get; }
    public double FinalDivFactor { get; }
    public bool ThreePhase { get; }

    /// <summary>The lr the cycle starts from for <paramref name="group"/>: <c>max_lr / div_factor</c>.</summary>
    public double InitialLr(int group) => MaxLr[group] / DivFactor;

    /// <summary>The lr the cycle ends at for <paramref name="group"/>: <c>initial_lr / final_div_factor</c>.</summary>
    public double MinLr(int group) => InitialLr(group) / FinalDivFactor;

    public override double LrAt(int step, int group, double baseLr)
    {
        var (phase, pct) = Locate(step);
        return Anneal(Value(phase.StartLr, group), Value(phase.EndLr, group), pct);
    }

    public override double? MomentumAt(int step, int group)
    {
        if (!CycleMomentum) return null;
        var (phase, pct) = Locate(step);
        double Momentum(bool max) => max ? MaxMomentum[group] : BaseMomentum[group];
        return Anneal(Momentum(phase.StartMaxMomentum), Momentum(phase.EndMaxMomentum), pct);
    }

    public override void Validate(Optimizer optimizer)
    {
        base.Validate(optimizer);
        int groups = optimizer.ParamGroups.Count;
        MaxLr.CheckCount(Name, "max_lr", groups);
        if (!CycleMomentum) return;
        BaseMomentum.CheckCount(Name, "base_momentum", groups);
        MaxMomentum.CheckCount(Name, "max_momentum", groups);
        for (int g = 0; g < groups; g++)
            if (optimizer.ParamGroups[g].Options is not IMomentumOptions)
                throw new ArgumentException($"{Name}: the optimizer must support momentum or beta1 with cycle_momentum enabled, and {optimizer.Name}'s group {g} " +
                                            $"({optimizer.ParamGroups[g].Options.GetType().Name}) has neither; pass cycleMomentum: false, or use an optimizer " +
                                            "with momentum or betas (Sgd, Adam, AdamW, Lion)");
    }

    /// <summary>The phase step <paramref name="step"/> lies in and how far through it (PyTorch's walk over the phases).</summary>
    private (Phase Phase, double Pct) Locate(int step)
    {
        CheckStep(step);
        if (step > TotalSteps)
            throw new InvalidOperationException($"{Name}: tried to step {step} times, but total_steps is {TotalSteps}; make total_steps at least the number of optimizer steps");
        double start = 0.0;
        for (int i = 0; i < _phases.Length; i++)
        {
            double end = _phases[i].EndStep;
            if (step <= end || i == _phases.Length - 1)
            {
                if (end == start)
                    throw new InvalidOperationException($"{Name}: step {step} falls in phase {i + 1}, which is 0 steps long (from {start} to {end}); PyTorch divides by zero here");
                return (_phases[i], (step - start) / (end - start));
            }
            start = end;
        }
        throw new InvalidOperationException("unreachable: the last phase takes every step");
    }

    private double Value(Point point, int group) => point switch
    {
        Point.Initial => InitialLr(group),
        Point.Max => MaxLr[group],
        _ => MinLr(group),
    };

    /// <summary>From <paramref name="start"/> at pct 0 to <paramref name="end"/> at pct 1, in PyTorch's arithmetic.</summary>
    private double Anneal(double start, double end, double pct) => Strategy == AnnealStrategy.Cos
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;
}
