// RAdam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond"): Adam whose adaptive step is
// switched on only once the second moment's variance is tractable, and then rectified.
namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="RAdam"/>: PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8, no weight decay,
/// coupled decay).
/// </summary>
public sealed record RAdamOptions : OptimizerOptions, IMomentumOptions
{
    /// <summary>b1: the decay of the first moment.</summary>
    public double Beta1 { get; init; } = 0.9;
    double IMomentumOptions.MomentumOrBeta1 => Beta1;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Beta1 = value };
    /// <summary>b2: the decay of the second moment; it also sets rho_inf = 2/(1 - b2) - 1 and so how long the warm-up lasts.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Added to sqrt(v), before the bias correction multiplies (not after it divides, as in Adam).</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>Decay the weights as AdamW does, <c>p = p (1 - lr wd)</c> before the step, instead of adding <c>wd p</c> to g (PyTorch's decoupled_weight_decay).</summary>
    public bool DecoupledWeightDecay { get; init; }

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Beta1), Beta1);
        UnitInterval(optimizer, nameof(Beta2), Beta2);
        NonNegative(optimizer, nameof(Eps), Eps);
    }
}

/// <summary>
/// RAdam, as <c>torch.optim.RAdam</c>. Per parameter, at its step t (from 1):
/// <code>
/// decoupled: p = p (1 - lr wd)          otherwise: g = g + wd p
/// m       = lerp(m, g, 1 - b1)          "exp_avg"
/// v       = b2 v + (1 - b2) g^2         "exp_avg_sq"
/// m_hat   = m / (1 - b1^t)
/// rho_inf = 2 / (1 - b2) - 1
/// rho_t   = rho_inf - 2 t b2^t / (1 - b2^t)
/// rho_t > 5:  l = sqrt(1 - b2^t) / (sqrt(v) + eps)
///             r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
///             p = p - m_hat lr l r
/// otherwise:  p = p - m_hat lr          (SGD with momentum: the variance of v is not yet tractable)
/// </code>
/// rho_t is the length of the simple moving average that v approximates; it starts at 1 and rises to rho_inf. With
/// the default b2 it passes 5 at t = 6, so the first five steps take the un-adapted branch. eps is added to sqrt(v)
/// before the bias correction multiplies, unlike Adam's. The rectified branch multiplies by lr once, as PyTorch does.
/// State: two buffers of the parameter's size.
/// </summary>
public sealed class RAdam : Optimizer<RAdamOptions>
{
    public RAdam(IEnumerable<Tensor> parameters, RAdamOptions? options = null) : base(parameters, options ?? new RAdamOptions()) { }

    /// <summary>rho_t, the length of the approximated simple moving average at step <paramref name="t"/>; the adaptive step is taken where it exceeds 5.</summary>
    public static double Rho(double beta2, int t)
    {
        double rhoInf = 2 / (1 - beta2) - 1;
        double bias2 = 1 - Math.Pow(beta2, t);
        return rhoInf - 2 * t * Math.Pow(beta2, t) / bias2;
    }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        state.Set("exp_avg", Tensor.ZerosLike(p));
        state.Set("exp_avg_sq", Tensor.ZerosLike(p));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        double lr = step.Lr;
        int t = state.Step;
        var w = p;
        if (o.WeightDecay != 0)
        {
            if (o.DecoupledWeightDecay) w = p * (1 - lr * o.WeightDecay);
            else g = g + p * o.WeightDecay;
        }

        var m = Interpolation.Lerp(state["exp_avg"], g, 1 - o.Beta1);
        var v = state["exp_avg_sq"] * o.Beta2 + g.Square() * (1 - o.Beta2);
        state.Set("exp_avg", m);
        state.Set("exp_avg_sq", v);

        double bias1 = 1 - Math.Pow(o.Beta1, t), bias2 = 1 - Math.Pow(o.Beta2, t);
        var mHat = m / bias1;
        double rhoInf = 2 / (1 - o.Beta2) - 1;
        double rho = Rho(o.Beta2, t);
        if (rho > 5.0)
        {
            var adaptive = Math.Pow(bias2, 0.5) / (v.Sqrt() + o.Eps);
            double rect = Math.Pow((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho), 0.5);
            Assign(p, w - mHat * lr * adaptive * rect);
        }
        else Assign(p, w - mHat * lr);
    }
}
