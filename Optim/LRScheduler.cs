// The learning-rate scheduler abstraction: a group's lr (and optionally its momentum) as a closed form of the step.
namespace DotGrad.Optim;

/// <summary>
/// A learning-rate scheduler in the manner of <c>torch.optim.lr_scheduler.LRScheduler</c>, as a closed form: the
/// learning rate of parameter group <c>g</c> at the optimizer's 0-based step <c>t</c>, given that group's base lr
/// (<see cref="OptimizerOptions.Lr"/>). Set one as <see cref="Optimizer.Scheduler"/>.
/// <para><b>How t maps.</b> A PyTorch loop calls <c>optimizer.step()</c> then <c>scheduler.step()</c> each iteration,
/// and the scheduler's constructor has already taken its first step, so the k-th <c>optimizer.step()</c> (from 0)
/// runs at the scheduler's <c>last_epoch = k</c>. Here the optimizer's own <see cref="Optimizer.StepCount"/> is that
/// k: step k uses <c>LrAt(k, g, base)</c>, the value PyTorch's <c>get_last_lr()</c> shows before that iteration. There
/// is no <c>scheduler.step()</c> to call. A scheduler PyTorch users step once per epoch counts optimizer steps here:
/// give its sizes in steps (<c>stepSize = epochs x steps per epoch</c>).</para>
/// <para><b>State and resume.</b> Every scheduler here is a pure function of (t, group, base lr): it keeps no state,
/// and <see cref="Optimizer.LoadStateDict"/> restores the step count it is evaluated at. Set the same scheduler again
/// on the restored optimizer and the run continues bit for bit. PyTorch's schedulers update the lr recursively from
/// the previous one (their "chainable form") and keep a closed form (<c>_get_closed_form_lr</c>) beside it; the two
/// agree to rounding, and DotGrad uses the closed form.</para>
/// <para><b>Base lr.</b> Unlike PyTorch, the scheduler does not overwrite the group's lr: <see cref="ParamGroup.Lr"/>
/// stays the base, and the lr a step uses is <see cref="Optimizer.CurrentLr"/>. Absolute values (CosineAnnealingLR's
/// <c>eta_min</c>, OneCycleLR's <c>max_lr</c>) are learning rates, not multipliers.</para>
/// <para><b>Momentum.</b> A scheduler may also set each group's momentum (SGD) or beta1 (Adam-like) for a step, as
/// OneCycleLR does (<see cref="MomentumAt"/>); the optimizer writes it into the group's options through
/// <see cref="IMomentumOptions"/> before the step, as PyTorch writes <c>group["momentum"]</c> or <c>group["betas"]</c>.</para>
/// </summary>
public abstract class LRScheduler
{
    /// <summary>The scheduler's name in messages (its PyTorch class name).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The learning rate of group <paramref name="group"/>, whose base lr is <paramref name="baseLr"/>, at 0-based step <paramref name="step"/>.</summary>
    public abstract double LrAt(int step, int group, double baseLr);

    /// <summary>The momentum or beta1 group <paramref name="group"/> steps with at <paramref name="step"/>; null (the default) leaves the group's own.</summary>
    public virtual double? MomentumAt(int step, int group) => null;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> when this scheduler does not fit <paramref name="optimizer"/>: a
    /// per-group list whose length is not the number of groups, momentum cycling on an optimizer without momentum.
    /// Called when the scheduler is set and before every step (a group may have been added since).
    /// </summary>
    public virtual void Validate(Optimizer optimizer) => ArgumentNullException.ThrowIfNull(optimizer);

    /// <summary>Throws when <paramref name="step"/> is negative: a schedule starts at step 0.</summary>
    protected void CheckStep(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"{Name}: the step must be >= 0, got {step}");
    }

    /// <summary>An integer argument at least <paramref name="min"/>.</summary>
    protected static void AtLeast(string scheduler, string field, int value, int min)
    {
        if (value < min) throw new ArgumentException($"{scheduler}: {field} must be an integer >= {min}, got {value}");
    }

    /// <summary>A finite number at least 0.</summary>
    protected static void NonNegative(string scheduler, string field, double value)
    {
        if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"{scheduler}: {field} must be a finite number >= 0, got {value}");
    }

    /// <summary>A number in [lo, hi] (the bounds given in the message as PyTorch's checks state them).</summary>
    protected static void InRange(string scheduler, string field, double value, double lo, double hi, bool loOpen = false)
    {
        bool ok = (loOpen ? value > lo : value >= lo) && value <= hi;
        if (!ok) throw new ArgumentException($"{scheduler}: {field} must be in {(loOpen ? "(" : "[")}{lo}, {hi}], got {value}");
    }
}

/// <summary>
/// One value for every parameter group, or one per group: PyTorch's "float or list" arguments (OneCycleLR's
/// <c>max_lr</c>, <c>base_momentum</c>, <c>max_momentum</c>). A double or a double[] converts to it implicitly.
/// </summary>
public readonly struct PerGroup
{
    private readonly double[]? _values;
    private readonly double _value;

    /// <summary>The same value for every group.</summary>
    public PerGroup(double value) => _value = value;

    /// <summary>One value per group, in the optimizer's group order.</summary>
    public PerGroup(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = (double[])values.Clone();
    }

    public static implicit operator PerGroup(double value) => new(value);
    public static implicit operator PerGroup(double[] values) => new(values);

    /// <summary>The number of values given, or null when one value serves every group.</summary>
    public int? Count => _values?.Length;

    /// <summary>Every value given (one when shared).</summary>
    public IReadOnlyList<double> Values => _values ?? [_value];

    /// <summary>The value of group <paramref name="group"/>.</summary>
    public double this[int group] =>
        _values is null ? _value
        : group >= 0 && group < _values.Length ? _values[group]
        : throw new ArgumentOutOfRangeException(nameof(group), $"{_values.Length} values were given, one per group, but group {group} was asked for");

    /// <summary>Throws unless this is one value or one per each of <paramref name="groups"/> groups (PyTorch's check and message).</summary>
    internal void CheckCount(string scheduler, string field, int groups)
    {
        if (_values is not null && _values.Length != groups)
            throw new ArgumentException($"{scheduler}: {field} must have the same length as the optimizer's param groups; {field} has {_values.Length} values, " +
                                        $"the optimizer has {groups} group{(groups == 1 ? "" : "s")}. Give one value for all groups or one per group");
    }

    public override string ToString() => _values is null ? _value.ToString("R") : "[" + string.Join(", ", _values.Select(v => v.ToString("R"))) + "]";
}

/// <summary>
/// Options whose momentum (SGD's <c>momentum</c>) or first-moment decay (Adam's <c>betas[0]</c>) a scheduler may set
/// for each step, as PyTorch's OneCycleLR does with <c>cycle_momentum</c>. An optimizer opts in by implementing this
/// on its options record, explicitly so that the member does not appear in the saved options:
/// <code>
/// double IMomentumOptions.MomentumOrBeta1 => Beta1;
/// OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Beta1 = value };
/// </code>
/// Which one is cycled follows PyTorch: <c>betas[0]</c> where the optimizer has betas (Adam, AdamW, Lion, and
/// Adamax, NAdam, RAdam), else <c>momentum</c> (SGD, RMSprop).
/// </summary>
public interface IMomentumOptions
{
    /// <summary>The momentum or beta1 these options hold.</summary>
    double MomentumOrBeta1 { get; }

    /// <summary>A copy of these options with the momentum or beta1 set to <paramref name="value"/>.</summary>
    OptimizerOptions WithMomentumOrBeta1(double value);
}
