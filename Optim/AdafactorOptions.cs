// The hyperparameters of Adafactor, its two presets (the paper's and the Scaling-ViT / big_vision variant) and their checks.
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>How <see cref="Adafactor"/> scales its decoupled weight decay.</summary>
public enum AdafactorWeightDecay
{
    /// <summary>
    /// <c>p -= lr wd p</c> with the step's learning rate (base lr times the schedule, or the relative step times the
    /// parameter scale when those are on), like AdamW. torch.optim.Adafactor (<c>p -= lr wd p</c>) and the
    /// Hugging Face transformers Adafactor (<c>p -= wd lr p</c> with its relative, parameter-scaled lr) do this.
    /// (optax's <c>adafactor</c> does neither: its <c>weight_decay_rate</c> adds <c>wd p</c> after the lr scaling.)
    /// </summary>
    TimesLr,

    /// <summary>
    /// <c>p -= wd schedule(t) p</c>: the schedule's factor alone, not the base lr, as big_vision's Scaling-ViT recipe
    /// decays (so wd is a rate per step at the schedule's peak, typically 1e-4 rather than AdamW's 0.1).
    /// </summary>
    TimesSchedule,
}

/// <summary>
/// Options of <see cref="Adafactor"/>. The defaults are a plain, lr-driven Adafactor: the lr (1e-3) times the
/// schedule is the step size, no relative step, no parameter scaling, update clipping at d = 1, no first momentum,
/// <c>beta2_t = 1 - t^-0.8</c> without a cap, and factoring of tensors whose two largest dims are at least 128 (optax's
/// <c>min_dim_size_to_factor</c>). <see cref="Paper"/> is the paper's original recipe and <see cref="ScalingVit"/> the
/// big_vision variant; <c>with</c> changes any field of either.
/// </summary>
public sealed record AdafactorOptions : OptimizerOptions
{
    /// <summary>c in <c>beta2_t = 1 - t^c</c> (the paper's -0.8); at most 0, so beta2 is 0 at t = 1 and grows towards 1.</summary>
    public double Beta2Decay { get; init; } = -0.8;

    /// <summary>An upper bound on beta2_t (big_vision's <c>beta2_cap</c>, 0.999 in <see cref="ScalingVit"/>); null for none.</summary>
    public double? Beta2Cap { get; init; }

    /// <summary>eps1, added to g^2 before any average; it keeps every statistic above 0 so an all-zero gradient gives a zero update, not 0/0.</summary>
    public double Eps1 { get; init; } = 1e-30;

    /// <summary>eps2, the floor of RMS(p) in the parameter scale <c>max(eps2, RMS(p))</c> (used only with <see cref="ScaleParameter"/>).</summary>
    public double Eps2 { get; init; } = 1e-3;

    /// <summary>d in the update clipping <c>u / max(1, RMS(u)/d)</c>; null turns clipping off (as in <see cref="ScalingVit"/>).</summary>
    public double? ClipThreshold { get; init; } = 1.0;

    /// <summary>The paper's relative step: <c>rho_t = min(1e-2, 1/sqrt(t))</c> is the step size and <see cref="OptimizerOptions.Lr"/> and the schedule are ignored.</summary>
    public bool RelativeStep { get; init; }

    /// <summary>Multiply the step size by the parameter scale <c>max(eps2, RMS(p))</c> (the paper's relative step size).</summary>
    public bool ScaleParameter { get; init; }

    /// <summary>First momentum: an EMA <c>m = beta1 m + (1 - beta1) u</c> of the (clipped) update, taken before the lr; null for none.</summary>
    public double? Beta1 { get; init; }

    /// <summary>The dtype the momentum is stored in: the parameter's (null) or <see cref="DType.BFloat16"/> to halve it. Ignored without <see cref="Beta1"/>.</summary>
    public DType? MomentumDType { get; init; }

    /// <summary>
    /// A tensor of rank 2 or more is factored when its two largest dims are both at least this (optax's default 128;
    /// the paper, PyTorch and Hugging Face factor every matrix, which is 1 here; big_vision uses 32).
    /// </summary>
    public int MinDimToFactor { get; init; } = 128;

    /// <summary>How the decoupled weight decay is scaled (see <see cref="AdafactorWeightDecay"/>).</summary>
    public AdafactorWeightDecay WeightDecayMode { get; init; } = AdafactorWeightDecay.TimesLr;

    /// <summary>
    /// The paper's Adafactor (Shazeer and Stern, 2018, Algorithms 4 and 5 with update clipping): relative step
    /// <c>min(1e-2, 1/sqrt(t))</c> times <c>max(1e-3, RMS(p))</c>, clipping at 1, no momentum, every matrix factored.
    /// The lr is unused.
    /// </summary>
    public static AdafactorOptions Paper => new() { RelativeStep = true, ScaleParameter = true, MinDimToFactor = 1 };

    /// <summary>
    /// The Scaling-ViT (big_vision) variant, "adafactor-bv" in the CLI: <c>beta2_t = min(0.999, 1 - t^-0.8)</c>, no
    /// relative step and no parameter scaling (the step is <paramref name="lr"/> times the schedule), no update clipping,
    /// momentum 0.9 stored in BFloat16, tensors factored from dims of 32, and weight decay
    /// <c>wd schedule(t) p</c>, not multiplied by the base lr.
    /// </summary>
    public static AdafactorOptions ScalingVit(double lr = 1e-3, double weightDecay = 0) => new()
    {
        Lr = lr,
        WeightDecay = weightDecay,
        Beta2Cap = 0.999,
        ClipThreshold = null,
        Beta1 = 0.9,
        MomentumDType = DType.BFloat16,
        MinDimToFactor = 32,
        WeightDecayMode = AdafactorWeightDecay.TimesSchedule,
    };

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        if (!double.IsFinite(Beta2Decay) || Beta2Decay > 0)
            throw new ArgumentException($"{optimizer}: {nameof(Beta2Decay)} must be a finite number <= 0 (beta2_t = 1 - t^{nameof(Beta2Decay)}), got {Beta2Decay}");
        if (Beta2Cap is { } cap) UnitInterval(optimizer, nameof(Beta2Cap), cap);
        Positive(optimizer, nameof(Eps1), Eps1);
        NonNegative(optimizer, nameof(Eps2), Eps2);
        if (ClipThreshold is { } d) Positive(optimizer, nameof(ClipThreshold), d);
        if (Beta1 is { } b1) UnitInterval(optimizer, nameof(Beta1), b1);
        if (MomentumDType is { } dtype && !dtype.IsFloatingPoint())
            throw new ArgumentException($"{optimizer}: {nameof(MomentumDType)} must be a floating-point dtype, got {dtype}");
        if (MinDimToFactor < 1)
            throw new ArgumentException($"{optimizer}: {nameof(MinDimToFactor)} must be at least 1, got {MinDimToFactor}");
        if (!Enum.IsDefined(WeightDecayMode))
            throw new ArgumentException($"{optimizer}: {nameof(WeightDecayMode)} must be one of {string.Join(", ", Enum.GetNames<AdafactorWeightDecay>())}, got {WeightDecayMode}");
    }
}
