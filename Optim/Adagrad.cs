// Adagrad (Duchi, Hazan and Singer, 2011): each coordinate's step divided by the root of its summed squared gradients.
namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="Adagrad"/>: PyTorch's defaults (lr 1e-2, lr decay 0, no weight decay, initial accumulator
/// value 0, eps 1e-10).
/// </summary>
public sealed record AdagradOptions : OptimizerOptions
{
    protected override double DefaultLr => 1e-2;

    /// <summary>The lr at step t is <c>lr / (1 + (t - 1) LrDecay)</c>.</summary>
    public double LrDecay { get; init; }
    /// <summary>Where every coordinate's sum of squares starts ("sum" is filled with it when the parameter joins).</summary>
    public double InitialAccumulatorValue { get; init; }
    /// <summary>Added to the root of the sum, after the square root.</summary>
    public double Eps { get; init; } = 1e-10;

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        NonNegative(optimizer, nameof(LrDecay), LrDecay);
        NonNegative(optimizer, nameof(InitialAccumulatorValue), InitialAccumulatorValue);
        NonNegative(optimizer, nameof(Eps), Eps);
    }
}

/// <summary>
/// Adagrad, as <c>torch.optim.Adagrad</c>. Per parameter, at its step t (from 1):
/// <code>
/// g     = g + wd p                          (coupled L2 decay)
/// lr_t  = lr / (1 + (t - 1) lr_decay)
/// s     = s + g^2                           "sum", starting at initial_accumulator_value
/// p     = p - lr_t g / (sqrt(s) + eps)
/// </code>
/// With no initial value the first step moves each coordinate with a gradient by lr_t |g| / (|g| + eps), about lr.
/// The schedule multiplies lr before the decay divides it. The accumulator never shrinks, so steps only get smaller.
/// State: one buffer of the parameter's size.
/// </summary>
public sealed class Adagrad : Optimizer<AdagradOptions>
{
    public Adagrad(IEnumerable<Tensor> parameters, AdagradOptions? options = null) : base(parameters, options ?? new AdagradOptions()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state) =>
        state.Set("sum", Tensor.FullLike(p, OptionsOf(group).InitialAccumulatorValue));

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        if (o.WeightDecay != 0) g = g + p * o.WeightDecay;
        double lr = step.Lr / (1 + (state.Step - 1) * o.LrDecay);
        var sum = state["sum"] + g.Square();
        state.Set("sum", sum);
        Assign(p, p - g / (sum.Sqrt() + o.Eps) * lr);
    }
}
