// The hyperparameters every parameter group carries, and the checks that turn a bad value into a clear error.
namespace DotGrad.Optim;

/// <summary>
/// Hyperparameters of one parameter group. Every optimizer has its own record deriving from this one (for example
/// <see cref="AdamOptions"/>) whose field initializers are that optimizer's defaults, so options that set only
/// <see cref="Lr"/> leave every other hyperparameter at its default, as <c>AdamW(lr=0.01)</c> does in PyTorch.
/// <para><see cref="Lr"/> and <see cref="WeightDecay"/> remember whether they were set. One left unset is filled in
/// when the options reach an optimizer: in its first group from the optimizer's own default (so
/// <c>new AdamW(ps, new AdamOptions { Lr = 0.01 })</c> keeps AdamW's decay 0.01 although Adam, sharing the record,
/// has 0), and in a later group (<c>AddParamGroup</c>, or options assigned to a group) from the optimizer's
/// <see cref="Optimizer{TOptions}.Defaults"/>, as PyTorch's <c>add_param_group</c> fills a group's missing keys.
/// The other fields are the record's own defaults; to inherit them from the first group as well, write
/// <c>optimizer.AddParamGroup(head, optimizer.Defaults with { WeightDecay = 0.1 })</c>.</para>
/// Equality compares the values (an unset field reads as its default), not whether they were set.
/// </summary>
public abstract record OptimizerOptions
{
    private readonly double? _lr;
    private readonly double? _weightDecay;

    /// <summary>The lr the record stands for when none is set: 1e-3 (Adam's), overridden by records whose optimizer has another.</summary>
    protected virtual double DefaultLr => 1e-3;

    /// <summary>
    /// The group's base learning rate; at step t the update uses <c>Lr * Schedule(t)</c> (see <see cref="Optimizer.Schedule"/>).
    /// Unset, it reads as the optimizer's default (1e-3 unless the record says otherwise).
    /// </summary>
    public double Lr { get => _lr ?? DefaultLr; init => _lr = value; }

    /// <summary>
    /// Weight decay. Each optimizer's doc comment says whether it is coupled (added to the gradient) or decoupled.
    /// Unset, it reads as 0 here and becomes the optimizer's default when the options reach it (0.01 for AdamW, 0 for
    /// every other optimizer).
    /// </summary>
    public double WeightDecay { get => _weightDecay ?? 0; init => _weightDecay = value; }

    /// <summary>Whether <see cref="Lr"/> was given (by an initializer, <c>with</c>, or a loaded state).</summary>
    internal bool LrIsSet => _lr.HasValue;

    /// <summary>Whether <see cref="WeightDecay"/> was given.</summary>
    internal bool WeightDecayIsSet => _weightDecay.HasValue;

    /// <summary>
    /// These options with <see cref="Lr"/> and <see cref="WeightDecay"/> written out: each one set stays, each one
    /// unset takes <paramref name="lr"/> or <paramref name="weightDecay"/> when given, its own default otherwise.
    /// </summary>
    internal OptimizerOptions Completed(double? lr, double weightDecay) =>
        this with { Lr = LrIsSet ? Lr : lr ?? Lr, WeightDecay = WeightDecayIsSet ? WeightDecay : weightDecay };

    public virtual bool Equals(OptimizerOptions? other) =>
        other is not null && EqualityContract == other.EqualityContract && Lr.Equals(other.Lr) && WeightDecay.Equals(other.WeightDecay);

    public override int GetHashCode() => HashCode.Combine(EqualityContract, Lr, WeightDecay);

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="optimizer"/> and the field when a value is out of range.</summary>
    public virtual void Validate(string optimizer)
    {
        NonNegative(optimizer, nameof(Lr), Lr);
        NonNegative(optimizer, nameof(WeightDecay), WeightDecay);
    }

    /// <summary>A finite number at least 0.</summary>
    protected static void NonNegative(string optimizer, string field, double value)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentException($"{optimizer}: {field} must be a finite number >= 0, got {value}");
    }

    /// <summary>A finite number greater than 0.</summary>
    protected static void Positive(string optimizer, string field, double value)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentException($"{optimizer}: {field} must be a finite number > 0, got {value}");
    }

    /// <summary>A decay rate in [0, 1) (betas, momentum).</summary>
    protected static void UnitInterval(string optimizer, string field, double value)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentException($"{optimizer}: {field} must be in [0, 1), got {value}");
    }
}
