// Modula-style dualized updates (Bernstein et al., "Modular Duality in Deep Learning"): an EMA momentum per
// parameter, mapped to an update of a set norm by a rule chosen by the layer that owns the parameter.

namespace DotGrad.Optim;

/// <summary>
/// Where the target norm of each dualized parameter of a model comes from (see the model-level <see cref="Dualized"/>
/// constructor).
/// </summary>
public enum DualizedTargets
{
    /// <summary>One target per rule for all parameters (the options' targets, 1 by default): one step size for every layer, as Muon has.</summary>
    Uniform,
    /// <summary>
    /// Each parameter the target the network's modular norm gives its atom (<see cref="Dualized.ModularTargets"/>), as
    /// modula's <c>dualize</c> does: in effect a learning rate per layer.
    /// </summary>
    PerLayer,
}

/// <summary>How a model's non-matrix parameters (biases, norm gains, scalars, position tables) are trained.</summary>
public enum DualizedVectors
{
    /// <summary>By their dualized rules: momentum and an L2-normalised step for biases, momentum and sign for gains (modula's).</summary>
    Dualized,
    /// <summary>By an AdamW group (<see cref="DualizedOptions.UseAdamW"/>) at its own lr, as Muon's fallback trains them.</summary>
    AdamW,
}

/// <summary>
/// Options of <see cref="Dualized"/>: lr 0.1 (modula's examples decay it linearly to 0: set
/// <see cref="Optimizer.Schedule"/> to <see cref="Schedules.LinearDecay"/>), momentum 0.95, no weight decay, 5
/// Newton-Schulz steps, every target norm 1, modula's raw fan factor. <see cref="Rule"/> is the group's rule (null:
/// each parameter's <see cref="DualizedRules.ByShape"/>); a group uses the target of its rule. A group with
/// <see cref="UseAdamW"/> is an AdamW group instead (Muon's fallback: betas 0.9, 0.95, eps 1e-8). Keeping the rule,
/// the targets, the fan factor and the group kind in the options lets <see cref="Optimizer.LoadStateDict"/> and
/// <see cref="OptimizerState.Save"/> carry them.
/// </summary>
public sealed record DualizedOptions : OptimizerOptions
{
    protected override double DefaultLr => 0.1;

    /// <summary>beta of the momentum EMA <c>m = beta m + (1 - beta) g</c>; 0 steps along the gradient itself.</summary>
    public double Momentum { get; init; } = 0.95;
    /// <summary>The group's rule; null picks each parameter's by its shape (<see cref="DualizedRules.ByShape"/>).</summary>
    public DualizedRule? Rule { get; init; }
    /// <summary>Target norm of the <see cref="DualizedRule.Linear"/> rule.</summary>
    public double LinearTarget { get; init; } = 1;
    /// <summary>Target norm of the <see cref="DualizedRule.Embedding"/> rule.</summary>
    public double EmbeddingTarget { get; init; } = 1;
    /// <summary>Target norm of the <see cref="DualizedRule.Bias"/> rule.</summary>
    public double BiasTarget { get; init; } = 1;
    /// <summary>Target norm of the <see cref="DualizedRule.Scale"/> rule.</summary>
    public double ScaleTarget { get; init; } = 1;
    /// <summary>Newton-Schulz iterations of the Linear rule.</summary>
    public int NsSteps { get; init; } = 5;
    /// <summary>The Linear rule's factor: modula's <c>sqrt(fan_out/fan_in)</c> or Muon's <c>sqrt(max(1, fan_out/fan_in))</c>.</summary>
    public DualizedFan Fan { get; init; } = DualizedFan.Raw;
    /// <summary>True: an AdamW group (<see cref="DualizedVectors.AdamW"/>), any parameter shape; the rule, targets and momentum are unused.</summary>
    public bool UseAdamW { get; init; }
    /// <summary>b1 of an AdamW group.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary>b2 of an AdamW group (Muon's fallback's 0.95).</summary>
    public double AdamBeta2 { get; init; } = 0.95;
    /// <summary>eps of an AdamW group, added to the bias-corrected sqrt(v).</summary>
    public double AdamEps { get; init; } = 1e-8;

    /// <summary>The target norm of <paramref name="rule"/>.</summary>
    public double TargetNorm(DualizedRule rule) => rule switch
    {
        DualizedRule.Linear => LinearTarget,
        DualizedRule.Embedding => EmbeddingTarget,
        DualizedRule.Bias => BiasTarget,
        DualizedRule.Scale => ScaleTarget,
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "DualizedOptions.TargetNorm: unknown rule"),
    };

    /// <summary>These options with the target of <paramref name="rule"/> set to <paramref name="target"/>.</summary>
    public DualizedOptions WithTargetNorm(DualizedRule rule, double target) => rule switch
    {
        DualizedRule.Linear => this with { LinearTarget = target },
        DualizedRule.Embedding => this with { EmbeddingTarget = target },
        DualizedRule.Bias => this with { BiasTarget = target },
        DualizedRule.Scale => this with { ScaleTarget = target },
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "DualizedOptions.WithTargetNorm: unknown rule"),
    };

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Momentum), Momentum);
        if (Rule is { } rule && !Enum.IsDefined(rule)) throw new ArgumentException($"{optimizer}: {nameof(Rule)} must be a DualizedRule or null, got {(int)rule}");
        NonNegative(optimizer, nameof(LinearTarget), LinearTarget);
        NonNegative(optimizer, nameof(EmbeddingTarget), EmbeddingTarget);
        NonNegative(optimizer, nameof(BiasTarget), BiasTarget);
        NonNegative(optimizer, nameof(ScaleTarget), ScaleTarget);
        if (NsSteps < 1) throw new ArgumentException($"{optimizer}: {nameof(NsSteps)} must be at least 1, got {NsSteps}");
        if (!Enum.IsDefined(Fan)) throw new ArgumentException($"{optimizer}: {nameof(Fan)} must be Raw or Clipped, got {(int)Fan}");
        UnitInterval(optimizer, nameof(AdamBeta1), AdamBeta1);
        UnitInterval(optimizer, nameof(AdamBeta2), AdamBeta2);
        NonNegative(optimizer, nameof(AdamEps), AdamEps);
    }
}

/// <summary>
/// Dualized updates, in the manner of modula's training loop: per parameter,
/// <code>
/// m = beta m + (1 - beta) g                     "momentum_buffer" (an EMA)
/// d = rule(m) with the rule's target norm       see DualizedRules (the Linear rule with the group's Fan)
/// p = p (1 - lr wd) - lr d                      wd 0 by default (modula uses none); decoupled when set
/// </code>
/// A group with <see cref="DualizedOptions.UseAdamW"/> runs AdamW instead, as <see cref="Muon"/>'s fallback does
/// ("exp_avg", "exp_avg_sq"; decoupled decay).
/// The rule comes from the module that owns the parameter (the constructor from a model, in ModelGroups.cs): a
/// <c>Linear</c> weight the Linear rule and its bias the Bias rule, an <c>Embedding</c>
/// weight the Embedding rule, a <c>LayerNorm</c> or <c>RmsNorm</c> weight the Scale rule and a LayerNorm
/// bias the Bias rule; any other parameter the rule of its shape (<see cref="DualizedRules.ByShape"/>). Modula
/// dualizes the gradient under the network's modular norm, which comes down to dualizing each atom on its own and
/// scaling it by a factor the architecture fixes; here that factor is the atom's target norm, set per rule in the
/// options or per parameter by name. Every rule is invariant to the scale of m (up to its eps), so the EMA and the
/// heavy-ball momentum <c>m = beta m + g</c> (which is the EMA divided by 1 - beta) give the same updates.
/// State: one buffer per parameter, two per parameter of an AdamW group.
/// <para>Three switches turn modula's optimizer into Muon's way one difference at a time: the targets
/// (<see cref="DualizedTargets"/>: per layer from the modular norm, or uniform), the vectors
/// (<see cref="DualizedVectors"/>: dualized rules, or AdamW) and the fan factor (<see cref="DualizedFan"/>: raw or clipped).</para>
/// </summary>
public sealed partial class Dualized : Optimizer<DualizedOptions>
{
    /// <summary>One group of <paramref name="parameters"/>; the rule is <see cref="DualizedOptions.Rule"/>, or each parameter's shape's.</summary>
    public Dualized(IEnumerable<Tensor> parameters, DualizedOptions? options = null, string? groupName = null)
        : base(parameters, options ?? new DualizedOptions(), groupName) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        if (OptionsOf(group).UseAdamW)
        {
            state.Set("exp_avg", Tensor.ZerosLike(p));
            state.Set("exp_avg_sq", Tensor.ZerosLike(p));
            return;
        }
        CheckRule(group, p);
        state.Set("momentum_buffer", Tensor.ZerosLike(p));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        if (o.UseAdamW)
        {
            Adam.Step(p, g, state, step.Lr, o.WeightDecay, decoupled: true, o.AdamBeta1, o.AdamBeta2, o.AdamEps, amsgrad: false, Fused);
            return;
        }
        var rule = CheckRule(group, p);
        var m = state.GetOrAdd("momentum_buffer", () => Tensor.ZerosLike(p)) * o.Momentum + g * (1 - o.Momentum);
        state.Set("momentum_buffer", m);
        var d = DualizedRules.Apply(rule, m, o.TargetNorm(rule), o.NsSteps, o.Fan);
        var w = o.WeightDecay != 0 ? p * (1 - step.Lr * o.WeightDecay) : p;
        Assign(p, w - d * step.Lr);
    }

    private DualizedRule CheckRule(ParamGroup group, Tensor p)
    {
        var rule = OptionsOf(group).Rule ?? DualizedRules.ByShape(p);
        if (DualizedRules.Unsupported(rule, p) is { } why)
            throw new ArgumentException($"{Name}: group {group.Name ?? "(unnamed)"} has {nameof(DualizedOptions.Rule)} {rule}, but {why}; " +
                                        $"give that parameter another rule (the rules argument, or a group of its own)");
        return rule;
    }
}
