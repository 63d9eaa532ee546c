// Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019): bias-corrected first and second moments.
namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="Adam"/> and <see cref="AdamW"/>; PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8,
/// weight decay 0 for Adam and 0.01 for AdamW: an unset <see cref="OptimizerOptions.WeightDecay"/> takes the optimizer's).
/// </summary>
public sealed record AdamOptions : OptimizerOptions, IMomentumOptions
{
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Added to the bias-corrected sqrt(v) in the denominator.</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>AMSGrad: divide by the running maximum of v instead of v (one more buffer).</summary>
    public bool Amsgrad { get; init; }

    double IMomentumOptions.MomentumOrBeta1 => Beta1;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Beta1 = value };

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Beta1), Beta1);
        UnitInterval(optimizer, nameof(Beta2), Beta2);
        NonNegative(optimizer, nameof(Eps), Eps);
    }
}

/// <summary>
/// Adam, as <c>torch.optim.Adam</c>. Per parameter, at its step t (from 1):
/// <code>
/// g  = g + wd p                        (coupled L2 decay; AdamW decouples it instead)
/// m  = b1 m + (1 - b1) g               "exp_avg"
/// v  = b2 v + (1 - b2) g^2             "exp_avg_sq"
/// p  = p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
/// </code>
/// which is <c>p - lr * m_hat / (sqrt(v_hat) + eps)</c> arranged as PyTorch arranges it. With AMSGrad, v in the
/// denominator is replaced by its running maximum ("max_exp_avg_sq"). State: two buffers of the parameter's size.
/// </summary>
public class Adam : Optimizer<AdamOptions>
{
    public Adam(IEnumerable<Tensor> parameters, AdamOptions? options = null) : base(parameters, options ?? new AdamOptions()) { }

    /// <summary>For AdamW: the same moments with a different decay.</summary>
    protected Adam(IEnumerable<Tensor> parameters, AdamOptions options, bool decoupled) : base(parameters, options) => Decoupled = decoupled;

    /// <summary>Whether weight decay is decoupled (AdamW) rather than added to the gradient.</summary>
    protected bool Decoupled { get; }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        state.Set("exp_avg", Tensor.ZerosLike(p));
        state.Set("exp_avg_sq", Tensor.ZerosLike(p));
        if (OptionsOf(group).Amsgrad) state.Set("max_exp_avg_sq", Tensor.ZerosLike(p));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        Step(p, g, state, step.Lr, o.WeightDecay, Decoupled, o.Beta1, o.Beta2, o.Eps, o.Amsgrad, Fused);
    }

    /// <summary>
    /// One Adam or AdamW step of <paramref name="p"/> with its state's "exp_avg" and "exp_avg_sq": the arithmetic of
    /// this class's doc comment, written once, so that Muon's AdamW groups follow <see cref="AdamW"/> bit for bit.
    /// <paramref name="fused"/> allows the one-pass kernel (<see cref="Optimizer.Fused"/>).
    /// </summary>
    internal static void Step(Tensor p, Tensor g, ParamState state, double lr, double wd, bool decoupled,
                              double beta1, double beta2, double eps, bool amsgrad, bool fused)
    {
        double bias1 = 1 - Math.Pow(beta1, state.Step), bias2 = 1 - Math.Pow(beta2, state.Step);
        var m = state.GetOrAdd("exp_avg", () => Tensor.ZerosLike(p));
        var v = state.GetOrAdd("exp_avg_sq", () => Tensor.ZerosLike(p));
        var maxV = amsgrad ? state.GetOrAdd("max_exp_avg_sq", () => Tensor.ZerosLike(p)) : null;
        if (fused && RawOps.CanStepInPlace(p, g, m, v, maxV))
        {
            // One pass that updates p, m, v (and maxV) in place: the same buffers stay in the state.
            RawOps.AdamStep(p, g, m, v, maxV, lr, wd, decoupled, beta1, beta2, eps, bias1, bias2);
            return;
        }

        var w = p;
        if (wd != 0 && decoupled) w = p * (1 - lr * wd);          // p (1 - lr wd), before the Adam step
        if (wd != 0 && !decoupled) g = g + p * wd;                 // L2 in the gradient

        m = m * beta1 + g * (1 - beta1);
        v = v * beta2 + g.Square() * (1 - beta2);
        state.Set("exp_avg", m);
        state.Set("exp_avg_sq", v);
        if (amsgrad)
        {
            v = maxV!.Maximum(v);
            state.Set("max_exp_avg_sq", v);
        }

        var denom = v.Sqrt() / Math.Sqrt(bias2) + eps;
        Assign(p, w - m / denom * (lr / bias1));
    }
}

/// <summary>
/// AdamW, as <c>torch.optim.AdamW</c> (default weight decay 0.01): Adam's update with the decay decoupled from the
/// moments and scaled by the learning rate, <c>p = p (1 - lr wd)</c> before the step. At lr 0 nothing decays.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>
    /// AdamW over <paramref name="parameters"/>. Options that leave <see cref="OptimizerOptions.WeightDecay"/> unset get
    /// 0.01, as <c>AdamW(lr=0.01)</c> keeps PyTorch's default decay; set it to 0 to turn decay off.
    /// </summary>
    public AdamW(IEnumerable<Tensor> parameters, AdamOptions? options = null)
        : base(parameters, options ?? new AdamOptions(), decoupled: true) { }

    /// <summary>PyTorch's AdamW default, 0.01.</summary>
    protected override double DefaultWeightDecay => 0.01;
}
