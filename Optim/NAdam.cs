// NAdam (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"): Adam whose step looks one momentum step ahead,
// with a momentum schedule mu_t that warms up over the first few hundred steps.
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="NAdam"/>: PyTorch's defaults (lr 2e-3, betas 0.9 and 0.999, eps 1e-8, no weight decay,
/// momentum decay 4e-3, coupled decay).
/// </summary>
public sealed record NAdamOptions : OptimizerOptions, IMomentumOptions
{
    protected override double DefaultLr => 2e-3;

    /// <summary>b1: the decay of the first moment, and the ceiling of the momentum schedule mu_t.</summary>
    public double Beta1 { get; init; } = 0.9;
    double IMomentumOptions.MomentumOrBeta1 => Beta1;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Beta1 = value };
    /// <summary>b2: the decay of the second moment.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Added to the bias-corrected sqrt(v) in the denominator.</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>psi in <c>mu_t = b1 (1 - 0.5 * 0.96^(t psi))</c>: how fast the momentum schedule rises to b1.</summary>
    public double MomentumDecay { get; init; } = 4e-3;
    /// <summary>Decay the weights as AdamW does, <c>p = p (1 - lr wd)</c> before the step, instead of adding <c>wd p</c> to g (PyTorch's decoupled_weight_decay).</summary>
    public bool DecoupledWeightDecay { get; init; }

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Beta1), Beta1);
        UnitInterval(optimizer, nameof(Beta2), Beta2);
        NonNegative(optimizer, nameof(Eps), Eps);
        NonNegative(optimizer, nameof(MomentumDecay), MomentumDecay);
    }
}

/// <summary>
/// NAdam, as <c>torch.optim.NAdam</c>. Per parameter, at its step t (from 1):
/// <code>
/// decoupled: p = p (1 - lr wd)          otherwise: g = g + wd p
/// mu_t     = b1 (1 - 0.5 * 0.96^(t psi)),   mu_t+1 likewise with t + 1
/// P_t      = P_t-1 mu_t                 "mu_product", the product of every mu so far (P_0 = 1)
/// m        = lerp(m, g, 1 - b1)         "exp_avg"
/// v        = b2 v + (1 - b2) g^2        "exp_avg_sq"
/// d        = sqrt(v / (1 - b2^t)) + eps
/// p        = p - lr (1 - mu_t) / (1 - P_t) * g / d
/// p        = p - lr mu_t+1 / (1 - P_t mu_t+1) * m / d
/// </code>
/// The two subtractions are made one after the other, as PyTorch makes them. The gradient's share and the
/// momentum's share are each bias-corrected by the product of the mu they are weighted with: the step looks one
/// momentum step ahead, Nesterov's idea. mu_product is kept per parameter because a parameter may skip steps (no
/// gradient); it is stored as a Float64 scalar on the CPU, so reading it costs no device round trip. PyTorch keeps it
/// in its default dtype (Float32 unless the default is Float64), a difference of at most a Float32 rounding of the
/// product. State: two buffers of the parameter's size and one 8-byte scalar.
/// </summary>
public sealed class NAdam : Optimizer<NAdamOptions>
{
    public NAdam(IEnumerable<Tensor> parameters, NAdamOptions? options = null) : base(parameters, options ?? new NAdamOptions()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        state.Set("exp_avg", Tensor.ZerosLike(p));
        state.Set("exp_avg_sq", Tensor.ZerosLike(p));
        state.Set("mu_product", MuProduct(1.0));
    }

    // mu_product as a 0-d Float64 tensor, so it is saved and restored with the other buffers.
    private static Tensor MuProduct(double value) => Tensor.Scalar(value, DType.Float64, Device.Cpu);

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        double lr = step.Lr, t = state.Step;
        double bias2 = 1 - Math.Pow(o.Beta2, t);
        var w = p;
        if (o.WeightDecay != 0)
        {
            if (o.DecoupledWeightDecay) w = p * (1 - lr * o.WeightDecay);
            else g = g + p * o.WeightDecay;
        }

        double mu = o.Beta1 * (1.0 - 0.5 * Math.Pow(0.96, t * o.MomentumDecay));
        double muNext = o.Beta1 * (1.0 - 0.5 * Math.Pow(0.96, (t + 1) * o.MomentumDecay));
        double muProduct = state["mu_product"].Item() * mu;      // a CPU scalar (or, once after loading, the device's)
        double muProductNext = muProduct * muNext;
        state.Set("mu_product", MuProduct(muProduct));

        var m = Interpolation.Lerp(state["exp_avg"], g, 1 - o.Beta1);
        var v = state["exp_avg_sq"] * o.Beta2 + g.Square() * (1 - o.Beta2);
        state.Set("exp_avg", m);
        state.Set("exp_avg_sq", v);
        var d = (v / bias2).Sqrt() + o.Eps;

        w = w + g / d * (-lr * (1.0 - mu) / (1.0 - muProduct));
        w = w + m / d * (-lr * muNext / (1.0 - muProductNext));
        Assign(p, w);
    }
}
