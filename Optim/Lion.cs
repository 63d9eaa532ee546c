// Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an interpolated momentum.
namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="Lion"/>: the paper's and lucidrains' <c>lion-pytorch</c> defaults (lr 1e-4, betas 0.9 and
/// 0.99, no weight decay). Every coordinate moves by exactly lr, so Lion wants a learning rate about 3-10x smaller
/// than AdamW's, and, because decoupled decay is scaled by lr, a weight decay 3-10x larger to keep lr * wd the same.
/// </summary>
public sealed record LionOptions : OptimizerOptions, IMomentumOptions
{
    protected override double DefaultLr => 1e-4;

    /// <summary>b1: how much of the momentum (against the new gradient) the update's sign is taken from.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>b2: the decay of the momentum buffer itself.</summary>
    public double Beta2 { get; init; } = 0.99;

    double IMomentumOptions.MomentumOrBeta1 => Beta1;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Beta1 = value };

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Beta1), Beta1);
        UnitInterval(optimizer, nameof(Beta2), Beta2);
    }
}

/// <summary>
/// Lion, as in the paper's pseudocode and lucidrains' <c>lion-pytorch</c>. Per parameter:
/// <code>
/// c = b1 m + (1 - b1) g                 the update direction, an interpolation not stored
/// p = p (1 - lr wd) - lr sign(c)        sign(0) = 0, so a zero direction moves nothing
/// m = b2 m + (1 - b2) g                 "exp_avg"
/// </code>
/// Weight decay is decoupled and scaled by the scheduled lr, as in the paper and in optax's <c>lion</c> (whose
/// default decay is 1e-3 where ours is 0, like lion-pytorch's). There is no bias correction and no epsilon: the sign
/// does not care about scale. State: one buffer of the parameter's size, half of Adam's.
/// </summary>
public sealed class Lion : Optimizer<LionOptions>
{
    public Lion(IEnumerable<Tensor> parameters, LionOptions? options = null) : base(parameters, options ?? new LionOptions()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state) =>
        state.Set("exp_avg", Tensor.ZerosLike(p));

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        double lr = step.Lr;
        var m = state["exp_avg"];
        var c = m * o.Beta1 + g * (1 - o.Beta1);
        var w = o.WeightDecay != 0 ? p * (1 - lr * o.WeightDecay) : p;
        Assign(p, w - c.Sign() * lr);
        state.Set("exp_avg", m * o.Beta2 + g * (1 - o.Beta2));
    }
}
