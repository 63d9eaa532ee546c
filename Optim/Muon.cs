// Muon (Keller Jordan et al. 2024): momentum orthogonalized by Newton-Schulz for the hidden weight matrices, and an
// AdamW fallback, chosen per parameter group, for everything Muon must not touch (embeddings, the head, vectors).

namespace DotGrad.Optim;

/// <summary>
/// Options of <see cref="Muon"/>. A group is either a Muon group (<see cref="UseMuon"/>, the default) or an AdamW
/// group; <see cref="OptimizerOptions.Lr"/> and <see cref="OptimizerOptions.WeightDecay"/> serve both kinds, the Adam
/// fields only the second. Defaults: lr 0.02 (the reference's default for Muon; an AdamW group wants about 3e-4, see
/// <see cref="Muon.ForModel"/>), momentum 0.95 with Nesterov, 5 Newton-Schulz steps, no weight decay, and Adam betas
/// (0.9, 0.95) with eps 1e-8 (the beta2 of the reference's auxiliary Adam, which suits the large batches Muon is used
/// with better than PyTorch's 0.999).
/// </summary>
public sealed record MuonOptions : OptimizerOptions
{
    protected override double DefaultLr => 0.02;

    /// <summary>True: orthogonalized momentum (2-D parameters only). False: the AdamW fallback.</summary>
    public bool UseMuon { get; init; } = true;
    /// <summary>beta of the momentum EMA <c>m = beta m + (1 - beta) g</c>.</summary>
    public double Momentum { get; init; } = 0.95;
    /// <summary>Orthogonalize <c>(1 - beta) g + beta m</c> instead of <c>m</c>.</summary>
    public bool Nesterov { get; init; } = true;
    /// <summary>Newton-Schulz iterations (see <see cref="NewtonSchulz"/>).</summary>
    public int NsSteps { get; init; } = 5;
    /// <summary>b1 of the AdamW fallback.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary>b2 of the AdamW fallback.</summary>
    public double AdamBeta2 { get; init; } = 0.95;
    /// <summary>eps of the AdamW fallback, added to the bias-corrected sqrt(v).</summary>
    public double AdamEps { get; init; } = 1e-8;

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Momentum), Momentum);
        if (NsSteps < 1) throw new ArgumentException($"{optimizer}: {nameof(NsSteps)} must be at least 1, got {NsSteps}");
        UnitInterval(optimizer, nameof(AdamBeta1), AdamBeta1);
        UnitInterval(optimizer, nameof(AdamBeta2), AdamBeta2);
        NonNegative(optimizer, nameof(AdamEps), AdamEps);
    }
}

/// <summary>
/// Muon, as Keller Jordan's reference (<c>Muon</c> with <c>MuonWithAuxAdam</c>). For a parameter of a Muon group, a
/// matrix [fan_out, fan_in] laid out like a <c>Linear</c> weight:
/// <code>
/// m = beta m + (1 - beta) g                               "momentum_buffer"
/// u = (1 - beta) g + beta m     (Nesterov)   or   m
/// O = NewtonSchulz(u)                                     singular values near 1
/// p = p (1 - lr wd) - lr sqrt(max(1, fan_out / fan_in)) O
/// </code>
/// The factor <c>sqrt(max(1, fan_out/fan_in))</c> keeps the update's RMS near that of a square matrix's for tall
/// matrices (the reference's <c>max(1, rows/cols)^0.5</c>; dualized updates use sqrt(fan_out/fan_in) without the max).
/// An all-zero gradient gives an all-zero O, so only the decay moves p. The reference writes the momentum as
/// <c>m.lerp_(g, 1 - beta)</c> and the Nesterov mix as <c>g.lerp_(m, beta)</c>, the same sums in another rounding.
/// Newton-Schulz normalises its input, so the EMA and heavy-ball forms of the momentum (<c>m = beta m + g</c>, which is
/// the EMA divided by 1 - beta) give the same update up to its 1e-7 eps; the EMA is the reference's.
/// <para>For a parameter of an AdamW group (<see cref="MuonOptions.UseMuon"/> false), AdamW as <see cref="AdamW"/>
/// computes it, with the group's lr and decay and the options' Adam betas and eps:</para>
/// <code>
/// m = b1 m + (1 - b1) g                                   "exp_avg"
/// v = b2 v + (1 - b2) g^2                                 "exp_avg_sq"
/// p = p (1 - lr wd) - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
/// </code>
/// Muon is meant for the hidden weight matrices only; embeddings, the output head and every gain, bias or scalar
/// belong in an AdamW group. <see cref="ForModel"/> makes both groups from a model (see <see cref="SplitParameters"/>
/// for the rule). A parameter of rank other than 2 in a Muon group is an error. State: one buffer per Muon
/// parameter, two per AdamW parameter.
/// </summary>
public sealed partial class Muon : Optimizer<MuonOptions>
{
    /// <summary>One group of <paramref name="parameters"/> under <paramref name="options"/> (a Muon group by default).</summary>
    public Muon(IEnumerable<Tensor> parameters, MuonOptions? options = null, string? groupName = null)
        : base(parameters, options ?? new MuonOptions(), groupName) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        if (OptionsOf(group).UseMuon)
        {
            CheckMatrix(p, group);
            state.Set("momentum_buffer", Tensor.ZerosLike(p));
        }
        else
        {
            state.Set("exp_avg", Tensor.ZerosLike(p));
            state.Set("exp_avg_sq", Tensor.ZerosLike(p));
        }
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        if (!o.UseMuon)
        {
            Adam.Step(p, g, state, step.Lr, o.WeightDecay, decoupled: true, o.AdamBeta1, o.AdamBeta2, o.AdamEps, amsgrad: false, Fused);
            return;
        }
        CheckMatrix(p, group);
        double beta = o.Momentum, lr = step.Lr;
        var m = state.GetOrAdd("momentum_buffer", () => Tensor.ZerosLike(p)) * beta + g * (1 - beta);
        state.Set("momentum_buffer", m);
        var u = o.Nesterov ? g * (1 - beta) + m * beta : m;
        var O = NewtonSchulz.Orthogonalize(u, o.NsSteps);                 // [fan_out, fan_in]
        double scale = Math.Sqrt(Math.Max(1.0, (double)p.Size(0) / p.Size(1)));
        var w = o.WeightDecay != 0 ? p * (1 - lr * o.WeightDecay) : p;
        Assign(p, w - O * (lr * scale));
    }

    private void CheckMatrix(Tensor p, ParamGroup group)
    {
        if (p.Rank != 2)
            throw new ArgumentException($"{Name}: {nameof(MuonOptions.UseMuon)} is true in group {group.Name ?? "(unnamed)"} but a parameter has shape " +
                                        $"[{string.Join(", ", p.Shape)}]; Muon orthogonalizes 2-D [fan_out, fan_in] matrices only. Put embeddings, " +
                                        $"the head, gains, biases and scalars in a group with {nameof(MuonOptions.UseMuon)} = false (AdamW), " +
                                        $"for example with Muon.{nameof(ForModel)} or Muon.{nameof(SplitParameters)}");
    }
}
