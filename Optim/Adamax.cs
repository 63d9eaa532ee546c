// Adamax (Kingma and Ba, 2015, section 7.1): Adam with the second moment replaced by an exponentially weighted infinity norm.
namespace DotGrad.Optim;

/// <summary>Options of <see cref="Adamax"/>: PyTorch's defaults (lr 2e-3, betas 0.9 and 0.999, eps 1e-8, no weight decay).</summary>
public sealed record AdamaxOptions : OptimizerOptions, IMomentumOptions
{
    protected override double DefaultLr => 2e-3;

    /// <summary>b1: the decay of the first moment.</summary>
    public double Beta1 { get; init; } = 0.9;
    double IMomentumOptions.MomentumOrBeta1 => Beta1;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Beta1 = value };
    /// <summary>b2: the decay of the infinity norm.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Added to |g| inside the maximum, so the denominator is never below eps.</summary>
    public double Eps { get; init; } = 1e-8;

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Beta1), Beta1);
        UnitInterval(optimizer, nameof(Beta2), Beta2);
        NonNegative(optimizer, nameof(Eps), Eps);
    }
}

/// <summary>
/// Adamax, as <c>torch.optim.Adamax</c>. Per parameter, at its step t (from 1):
/// <code>
/// g = g + wd p                          (coupled L2 decay)
/// m = lerp(m, g, 1 - b1)                "exp_avg", b1 m + (1 - b1) g
/// u = max(b2 u, |g| + eps)              "exp_inf"
/// p = p - lr/(1 - b1^t) * m / u
/// </code>
/// eps sits inside the maximum (PyTorch's placement), not added to the denominator; u needs no bias correction,
/// as the paper shows. State: two buffers of the parameter's size.
/// </summary>
public sealed class Adamax : Optimizer<AdamaxOptions>
{
    public Adamax(IEnumerable<Tensor> parameters, AdamaxOptions? options = null) : base(parameters, options ?? new AdamaxOptions()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        state.Set("exp_avg", Tensor.ZerosLike(p));
        state.Set("exp_inf", Tensor.ZerosLike(p));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        if (o.WeightDecay != 0) g = g + p * o.WeightDecay;
        var m = Interpolation.Lerp(state["exp_avg"], g, 1 - o.Beta1);
        var u = (state["exp_inf"] * o.Beta2).Maximum(g.Abs() + o.Eps);
        state.Set("exp_avg", m);
        state.Set("exp_inf", u);
        double clr = step.Lr / (1 - Math.Pow(o.Beta1, state.Step));
        Assign(p, p - m / u * clr);
    }
}
