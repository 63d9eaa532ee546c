// RMSprop (Hinton, Coursera lecture 6e; centered form from Graves, 2013): the gradient divided by a running RMS.
namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="RmsProp"/>: PyTorch's defaults (lr 1e-2, alpha 0.99, eps 1e-8, no weight decay, no momentum,
/// not centered).
/// </summary>
public sealed record RmsPropOptions : OptimizerOptions, IMomentumOptions
{
    protected override double DefaultLr => 1e-2;

    /// <summary>The decay of the running averages, <c>v = alpha v + (1 - alpha) g^2</c>.</summary>
    public double Alpha { get; init; } = 0.99;
    /// <summary>Added to the RMS after the square root.</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>b: a buffer <c>buf = b buf + g / (rms + eps)</c> is the step when b > 0; 0 keeps no buffer.</summary>
    public double Momentum { get; init; }
    double IMomentumOptions.MomentumOrBeta1 => Momentum;
    OptimizerOptions IMomentumOptions.WithMomentumOrBeta1(double value) => this with { Momentum = value };
    /// <summary>Divide by an estimate of the standard deviation, <c>sqrt(v - mean(g)^2)</c>, instead of the RMS (one more buffer).</summary>
    public bool Centered { get; init; }

    /// <summary>
    /// PyTorch's checks (lr, eps, momentum, weight decay and alpha at least 0), and alpha at most 1: above 1 the
    /// average of squares turns negative and every step is NaN, which PyTorch lets through.
    /// </summary>
    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        if (!(Alpha >= 0 && Alpha <= 1))
            throw new ArgumentException($"{optimizer}: {nameof(Alpha)} must be in [0, 1], got {Alpha}");
        NonNegative(optimizer, nameof(Eps), Eps);
        NonNegative(optimizer, nameof(Momentum), Momentum);
    }
}

/// <summary>
/// RMSprop, as <c>torch.optim.RMSprop</c>. Per parameter, at its step t:
/// <code>
/// g   = g + wd p                               (coupled L2 decay)
/// v   = alpha v + (1 - alpha) g^2              "square_avg"
/// centered:  a = lerp(a, g, 1 - alpha)         "grad_avg", the running mean of g
///            d = sqrt(v - a^2) + eps
/// otherwise: d = sqrt(v) + eps
/// momentum b > 0:  buf = b buf + g / d;  p = p - lr buf      "momentum_buffer"
/// otherwise:       p = p - lr g / d
/// </code>
/// eps is added after the square root, and there is no bias correction: the first step divides by
/// <c>sqrt(1 - alpha) |g|</c>, so it moves about lr / sqrt(1 - alpha) = 10 lr per coordinate with the default alpha.
/// State: "square_avg", plus "momentum_buffer" with momentum and "grad_avg" when centered (one to three buffers of
/// the parameter's size).
/// </summary>
public sealed class RmsProp : Optimizer<RmsPropOptions>
{
    public RmsProp(IEnumerable<Tensor> parameters, RmsPropOptions? options = null) : base(parameters, options ?? new RmsPropOptions()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        var o = OptionsOf(group);
        state.Set("square_avg", Tensor.ZerosLike(p));
        if (o.Momentum > 0) state.Set("momentum_buffer", Tensor.ZerosLike(p));
        if (o.Centered) state.Set("grad_avg", Tensor.ZerosLike(p));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        if (o.WeightDecay != 0) g = g + p * o.WeightDecay;

        var v = state["square_avg"] * o.Alpha + g.Square() * (1 - o.Alpha);
        state.Set("square_avg", v);
        Tensor rms;
        if (o.Centered)
        {
            // A buffer made here if Centered was switched on after the parameter joined, as momentum's below.
            var a = Interpolation.Lerp(state.GetOrAdd("grad_avg", () => Tensor.ZerosLike(p)), g, 1 - o.Alpha);
            state.Set("grad_avg", a);
            rms = (v - a.Square()).Sqrt();
        }
        else rms = v.Sqrt();
        var d = rms + o.Eps;

        if (o.Momentum > 0)
        {
            var buf = state.GetOrAdd("momentum_buffer", () => Tensor.ZerosLike(p)) * o.Momentum + g / d;
            state.Set("momentum_buffer", buf);
            Assign(p, p - buf * step.Lr);
        }
        else Assign(p, p - g / d * step.Lr);
    }
}
