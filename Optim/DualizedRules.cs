// The four dualization maps of modula-style updates: each turns a momentum into an update of a set size in the norm
// that suits its kind of parameter (a Linear weight, an embedding table, a bias, a norm gain).
namespace DotGrad.Optim;

/// <summary>How <see cref="Dualized"/> turns a parameter's momentum into its update (see <see cref="DualizedRules"/>).</summary>
public enum DualizedRule
{
    /// <summary>A [fan_out, fan_in] weight: <c>orth(G) sqrt(fan_out/fan_in) target</c>.</summary>
    Linear,
    /// <summary>A table of vectors along the last dim: each row <c>g_row / ||g_row|| sqrt(d) target</c>.</summary>
    Embedding,
    /// <summary>A bias vector: <c>g / ||g|| sqrt(d) target</c>.</summary>
    Bias,
    /// <summary>A norm gain: <c>sign(g) target</c>.</summary>
    Scale,
}

/// <summary>
/// The factor of the Linear rule's update of a [fan_out, fan_in] matrix: modula's <see cref="Raw"/> or Muon's
/// <see cref="Clipped"/>. They agree when fan_out &gt;= fan_in; on a down-projection (fan_out &lt; fan_in) Raw is smaller.
/// </summary>
public enum DualizedFan
{
    /// <summary><c>sqrt(fan_out / fan_in)</c>, modula's: the update's RMS-to-RMS operator norm is the target for every shape.</summary>
    Raw,
    /// <summary><c>sqrt(max(1, fan_out / fan_in))</c>, Muon's: never below 1, so a down-projection moves as far as a square matrix.</summary>
    Clipped,
}

/// <summary>
/// The stateless maps from a momentum G to an update, one per <see cref="DualizedRule"/>, each scaled to a target norm
/// (modula's "dualize" per atom):
/// <code>
/// Linear     orth(G) * sqrt(fan_out / fan_in) * target         G [fan_out, fan_in]; orth = NewtonSchulz.Orthogonalize
/// Embedding  G_row / (||G_row|| + eps) * sqrt(d) * target       every row over the last dim d; a zero row stays zero
/// Bias       G / (||G|| + eps) * sqrt(d) * target               d = the number of elements
/// Scale      sign(G) * target                                   sign(0) = 0
/// </code>
/// eps = <see cref="Eps"/>. Unlike Muon's <c>sqrt(max(1, fan_out/fan_in))</c>, the Linear factor shrinks a
/// down-projection's update (fan_out &lt; fan_in): the update has RMS-to-RMS operator norm near <c>target</c> for every
/// shape. <see cref="DualizedFan.Clipped"/> switches the Linear rule to Muon's factor.
/// </summary>
public static class DualizedRules
{
    /// <summary>Guards the norms of the Embedding and Bias rules, so that a zero gradient gives a zero update.</summary>
    public const double Eps = 1e-12;

    /// <summary>
    /// The rule for a parameter no layer claims, by its shape: one element (a ReZero alpha [1], a 0-d scalar) Scale;
    /// rank 2 Linear; rank 1 Bias; rank above 2 Embedding, with rows over the last dim (a [1, N, C] position table,
    /// a [1, 1, C] cls token or probe).
    /// </summary>
    public static DualizedRule ByShape(Tensor p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Count == 1 ? DualizedRule.Scale
            : p.Rank switch
            {
                2 => DualizedRule.Linear,
                1 => DualizedRule.Bias,
                0 => DualizedRule.Scale,
                _ => DualizedRule.Embedding,
            };
    }

    /// <summary>Why <paramref name="rule"/> cannot apply to a tensor of <paramref name="p"/>'s shape, or null when it can.</summary>
    public static string? Unsupported(DualizedRule rule, Tensor p) => rule switch
    {
        DualizedRule.Linear when p.Rank != 2 => $"the Linear rule needs a 2-D [fan_out, fan_in] weight, got shape [{string.Join(", ", p.Shape)}]",
        DualizedRule.Embedding when p.Rank == 0 => "the Embedding rule needs rows (rank 1 or more), got a 0-d scalar",
        _ => null,
    };

    /// <summary>The update <paramref name="rule"/> makes of <paramref name="g"/>, scaled to <paramref name="target"/>.</summary>
    public static Tensor Apply(DualizedRule rule, Tensor g, double target, int nsSteps = 5, DualizedFan fan = DualizedFan.Raw) => rule switch
    {
        DualizedRule.Linear => Linear(g, target, nsSteps, fan),
        DualizedRule.Embedding => Embedding(g, target),
        DualizedRule.Bias => Bias(g, target),
        DualizedRule.Scale => Scale(g, target),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "DualizedRules.Apply: unknown rule"),
    };

    /// <summary><c>orth(G) FanFactor target</c> for G [fan_out, fan_in] (see <see cref="FanFactor"/>).</summary>
    public static Tensor Linear(Tensor g, double target, int nsSteps = 5, DualizedFan fan = DualizedFan.Raw)
    {
        Check(DualizedRule.Linear, g);
        return NewtonSchulz.Orthogonalize(g, nsSteps) * (FanFactor(g.Size(0), g.Size(1), fan) * target);
    }

    /// <summary><c>sqrt(fan_out / fan_in)</c> (<see cref="DualizedFan.Raw"/>) or <c>sqrt(max(1, fan_out / fan_in))</c> (<see cref="DualizedFan.Clipped"/>).</summary>
    public static double FanFactor(int fanOut, int fanIn, DualizedFan fan) => fan switch
    {
        DualizedFan.Raw => Math.Sqrt((double)fanOut / fanIn),
        DualizedFan.Clipped => Math.Sqrt(Math.Max(1.0, (double)fanOut / fanIn)),
        _ => throw new ArgumentOutOfRangeException(nameof(fan), fan, "DualizedRules.FanFactor: unknown DualizedFan"),
    };

    /// <summary>Each row over the last dim d: <c>G_row / (||G_row|| + eps) sqrt(d) target</c>.</summary>
    public static Tensor Embedding(Tensor g, double target)
    {
        Check(DualizedRule.Embedding, g);
        int d = g.Size(-1);
        var norms = g.Norm(2, [g.Rank - 1], keepDim: true);              // [..., 1]: one norm per row
        return g / (norms + Eps) * (Math.Sqrt(d) * target);
    }

    /// <summary><c>G / (||G|| + eps) sqrt(d) target</c>, d the number of elements.</summary>
    public static Tensor Bias(Tensor g, double target)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g / (g.Norm() + Eps) * (Math.Sqrt(g.Count) * target);
    }

    /// <summary><c>sign(G) target</c>.</summary>
    public static Tensor Scale(Tensor g, double target)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Sign() * target;
    }

    private static void Check(DualizedRule rule, Tensor g)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (Unsupported(rule, g) is { } why) throw new ArgumentException($"DualizedRules.{rule}: {why}", nameof(g));
    }
}
