// Schedulers made of schedulers: one after another at milestones (SequentialLR), or all at once (ChainedScheduler).
namespace DotGrad.Optim;

/// <summary>
/// <c>torch.optim.lr_scheduler.SequentialLR</c>: scheduler i runs from milestone i - 1 (from 0 for the first) until
/// milestone i, and each one starts again from its own step 0 at its milestone, with the group's base lr:
/// <code>
/// i = number of milestones &lt;= t            (bisect_right)
/// lr = schedulers[i].LrAt(t - (i > 0 ? milestones[i - 1] : 0), g, base)
/// </code>
/// the offset PyTorch makes by calling the next scheduler's <c>step(0)</c> at its milestone. So a warmup then a decay is
/// <c>new SequentialLR([new LinearLR(0.01, 1, 100), new CosineAnnealingLR(900)], [100])</c>. The momentum is the
/// running scheduler's; one that sets none leaves the last value set, as in PyTorch. There must be one milestone fewer
/// than schedulers; unlike PyTorch, which bisects whatever it is given, the milestones must rise strictly from 1.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    public SequentialLR(IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count < 1) throw new ArgumentException($"{nameof(SequentialLR)} expects at least one scheduler, but got none");
        for (int i = 0; i < schedulers.Count; i++)
            if (schedulers[i] is null) throw new ArgumentException($"{nameof(SequentialLR)}: scheduler {i} is null");
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"{nameof(SequentialLR)} expects the number of schedulers to be one more than the number of milestones, " +
                                        $"but got {schedulers.Count} schedulers and {milestones.Count} milestones");
        for (int i = 0; i < milestones.Count; i++)
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
                throw new ArgumentException($"{nameof(SequentialLR)}: milestones must be step indices rising strictly from 1, got [{string.Join(", ", milestones)}]");
        _schedulers = [.. schedulers];
        _milestones = [.. milestones];
    }

    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>Which scheduler runs at global step <paramref name="step"/>, and the step it is at in its own count.</summary>
    public (int Index, int LocalStep) Locate(int step)
    {
        CheckStep(step);
        int i = 0;
        while (i < _milestones.Length && _milestones[i] <= step) i++;
        return (i, i == 0 ? step : step - _milestones[i - 1]);
    }

    public override double LrAt(int step, int group, double baseLr)
    {
        var (i, local) = Locate(step);
        return _schedulers[i].LrAt(local, group, baseLr);
    }

    public override double? MomentumAt(int step, int group)
    {
        var (i, local) = Locate(step);
        return _schedulers[i].MomentumAt(local, group);
    }

    public override void Validate(Optimizer optimizer)
    {
        base.Validate(optimizer);
        foreach (var s in _schedulers) s.Validate(optimizer);
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.ChainedScheduler</c>: every scheduler at once, each applied to the lr the one before it
/// gave (the first to the base lr):
/// <code>
/// lr = s_n(t, ... s_2(t, s_1(t, base)))
/// </code>
/// For schedulers that multiply the base lr by a factor (all here but those with an absolute eta_min or max_lr) this
/// is the product of their factors, which is what PyTorch's chained recursive updates give: ConstantLR(0.1, 2) with
/// ExponentialLR(0.9) gives base x 0.1, 0.09, 0.81, 0.729, ... at steps 0, 1, 2, 3. With eta_min above 0 or a
/// OneCycleLR in the chain, PyTorch's result depends on its recursive form and this closed form is a definition of
/// its own: an absolute scheduler ignores the lr it is given (OneCycleLR) or anneals from it to eta_min. The momentum
/// is the last one any scheduler sets, as each overwrites the group's in turn in PyTorch.
/// </summary>
public sealed class ChainedScheduler : LRScheduler
{
    private readonly LRScheduler[] _schedulers;

    public ChainedScheduler(params IReadOnlyList<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count < 1) throw new ArgumentException($"{nameof(ChainedScheduler)} expects at least one scheduler to be chained, but got none");
        for (int i = 0; i < schedulers.Count; i++)
            if (schedulers[i] is null) throw new ArgumentException($"{nameof(ChainedScheduler)}: scheduler {i} is null");
        _schedulers = [.. schedulers];
    }

    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        double lr = baseLr;
        foreach (var s in _schedulers) lr = s.LrAt(step, group, lr);
        return lr;
    }

    public override double? MomentumAt(int step, int group)
    {
        double? momentum = null;
        foreach (var s in _schedulers) momentum = s.MomentumAt(step, group) ?? momentum;
        return momentum;
    }

    public override void Validate(Optimizer optimizer)
    {
        base.Validate(optimizer);
        foreach (var s in _schedulers) s.Validate(optimizer);
    }
}
