// Stochastic gradient descent with momentum, Nesterov momentum and coupled weight decay.
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>Options of <see cref="Sgd"/>; PyTorch's defaults (lr 1e-3, no momentum, no dampening).</summary>
public sealed record SgdOptions : OptimizerOptions, IMomentumOptions
{
    /// <summary>mu: the momentum coefficient; 0 keeps no buffer.</summary>
    public double Momentum { get; init; }
    /// <summary>Scales the new gradient's share of the momentum buffer by (1 - dampening), after the first step.</summary>
    public double Dampening { get; init; }
    /// <summary>Step along <c>g + mu b</c> instead of <c>b</c>.</summary>
    public bool Nesterov { get; init; }
    /// <summary>The dtype the momentum buffer is stored in: the parameter's (null) or <see cref="DType.BFloat16"/> to halve its memory.</summary>
    public DType? MomentumDType { get; init; }

    double IMomentumOptions.MomentumOrBeta1 => Momentum;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Momentum = value };

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Momentum), Momentum);
        if (!(Dampening >= 0 && Dampening <= 1))
            throw new ArgumentException($"{optimizer}: {nameof(Dampening)} must be in [0, 1], got {Dampening}");
        if (Nesterov && (Momentum == 0 || Dampening != 0))
            throw new ArgumentException($"{optimizer}: Nesterov momentum needs Momentum > 0 and Dampening 0, got Momentum {Momentum} and Dampening {Dampening}");
        if (MomentumDType is { } d && !d.IsFloatingPoint())
            throw new ArgumentException($"{optimizer}: {nameof(MomentumDType)} must be a floating-point dtype, got {d}");
    }
}

/// <summary>
/// SGD, as <c>torch.optim.SGD</c>. Per parameter:
/// <code>
/// g = g + wd p                          (coupled decay)
/// b = g                                 on the first step, then b = mu b + (1 - dampening) g    "momentum_buffer"
/// d = g + mu b  (Nesterov)  or  b
/// p = p - lr d
/// </code>
/// The buffer starts at the first gradient, as in PyTorch; with no dampening this equals <c>b = mu b + g</c> from
/// zero. With <see cref="SgdOptions.MomentumDType"/> BFloat16 the buffer is stored rounded to BFloat16 (the ViT
/// fine-tuning recipe's half-size momentum) while the step uses the unrounded value, as optax's trace does.
/// State: one buffer of the parameter's size when momentum is on, none otherwise.
/// </summary>
public sealed class Sgd : Optimizer<SgdOptions>
{
    public Sgd(IEnumerable<Tensor> parameters, SgdOptions? options = null) : base(parameters, options ?? new SgdOptions()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        var o = OptionsOf(group);
        if (o.Momentum != 0) state.Set("momentum_buffer", Tensor.Zeros(p.Shape, o.MomentumDType ?? p.DType, p.Device));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        if (Fused && FusedUpdate(p, g, state, step, o)) return;
        if (o.WeightDecay != 0) g = g + p * o.WeightDecay;
        var d = g;
        if (o.Momentum != 0)
        {
            var dtype = o.MomentumDType ?? p.DType;
            // A buffer's first update (the parameter's first step, or momentum switched on later) starts it at g, as in PyTorch.
            bool fresh = state.Step == 1 || !state.Has("momentum_buffer");
            var b = fresh ? g.Clone() : state["momentum_buffer"].To(p.DType) * o.Momentum + g * (1 - o.Dampening);
            state.Set("momentum_buffer", dtype == p.DType ? b : b.To(dtype));
            d = o.Nesterov ? g + b * o.Momentum : b;
        }
        Assign(p, p - d * step.Lr);
    }

    /// <summary>
    /// The same update as one in-place pass over p, g and the buffer, when they allow it (a buffer stored in the
    /// parameter's dtype, everything contiguous on a backend with the kernel); false leaves the tensor-op path to run.
    /// </summary>
    private static bool FusedUpdate(Tensor p, Tensor g, ParamState state, StepContext step, SgdOptions o)
    {
        if (!RawOps.CanStepInPlace(p, g)) return false;
        if (o.Momentum == 0)
        {
            RawOps.SgdStep(p, g, null, step.Lr, o.WeightDecay, 0, o.Dampening, o.Nesterov, firstStep: false);
            return true;
        }
        if ((o.MomentumDType ?? p.DType) != p.DType) return false;
        var buf = state.Has("momentum_buffer") ? state["momentum_buffer"] : null;
        if (buf is not null && !RawOps.CanStepInPlace(p, g, buf)) return false;
        bool fresh = state.Step == 1 || buf is null;                          // the kernel then starts the buffer at g
        if (buf is null) state.Set("momentum_buffer", buf = Tensor.ZerosLike(p));
        RawOps.SgdStep(p, g, buf, step.Lr, o.WeightDecay, o.Momentum, o.Dampening, o.Nesterov, fresh);
        return true;
    }
}
