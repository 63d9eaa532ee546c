// The hyperparameters every parameter group carries, and the checks that turn a bad value into a clear error.
namespace DotGrad.Optim;

/// <summary>
/// Hyperparameters of one parameter group. Every optimizer has its own record deriving from this one (for example
/// <see cref="AdamOptions"/>); a group with different settings is the optimizer's defaults changed with
/// <c>with</c>: <c>optimizer.AddParamGroup(head, optimizer.Defaults with { WeightDecay = 0.1 })</c>.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>The group's base learning rate; at step t the update uses <c>Lr * Schedule(t)</c> (see <see cref="Optimizer.Schedule"/>).</summary>
    public double Lr { get; init; } = 1e-3;

    /// <summary>Weight decay. Each optimizer's doc comment says whether it is coupled (added to the gradient) or decoupled.</summary>
    public double WeightDecay { get; init; }

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
