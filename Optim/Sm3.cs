// SM3 (Anil, Gupta, Koren and Singer, 2019, "Memory-Efficient Adaptive Optimization"), variant SM3-II: Adagrad
// whose per-coordinate accumulator is covered by one accumulator per axis, so a matrix keeps n + m numbers, not nm.
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>How <see cref="Sm3"/> smooths its preconditioned gradient (the kinds of trax's SM3).</summary>
public enum MomentumKind
{
    /// <summary>No momentum and no buffer: the update is the preconditioned gradient itself.</summary>
    None,
    /// <summary><c>m = mu m + (1 - mu) g_hat</c>, update m: the original TensorFlow implementation's momentum.</summary>
    Ema,
    /// <summary><c>m = g_hat + mu m</c>, update m.</summary>
    HeavyBall,
    /// <summary><c>m = g_hat + mu m</c>, update <c>g_hat + mu m</c> with the new m.</summary>
    Nesterov,
}

/// <summary>Where <see cref="Sm3"/> applies its weight decay; the public implementations disagree (see <see cref="Sm3"/>).</summary>
public enum Sm3WeightDecay
{
    /// <summary><c>g_hat = g_hat + wd p</c> after preconditioning and before momentum, as trax does (the default).</summary>
    Preconditioned,
    /// <summary><c>p = p - lr (update + wd p)</c>, after momentum: decoupled, as the google-research TensorFlow SM3 does.</summary>
    Decoupled,
    /// <summary><c>g = g + wd p</c> before the accumulators see it: classic L2, as SGD and Adam add it.</summary>
    Gradient,
}

/// <summary>
/// Options of <see cref="Sm3"/>: lr 0.1 (the default of the PyTorch port, Enealor/PyTorch-SM3; trax uses 0.01 and
/// the TensorFlow original and optax have none), EMA momentum 0.9 (trax's and optax's default; the original's
/// momentum is an EMA too), no weight decay.
/// </summary>
public sealed record Sm3Options : OptimizerOptions
{
    protected override double DefaultLr => 0.1;

    /// <summary>mu, the momentum coefficient of every <see cref="MomentumKind"/> but None.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>The momentum rule; <see cref="MomentumKind.None"/> also drops the momentum buffer.</summary>
    public MomentumKind MomentumKind { get; init; } = MomentumKind.Ema;
    /// <summary>Where <see cref="OptimizerOptions.WeightDecay"/> enters the update.</summary>
    public Sm3WeightDecay WeightDecayKind { get; init; } = Sm3WeightDecay.Preconditioned;

    public override void Validate(string optimizer)
    {
        base.Validate(optimizer);
        UnitInterval(optimizer, nameof(Momentum), Momentum);
        if (!Enum.IsDefined(MomentumKind))
            throw new ArgumentException($"{optimizer}: {nameof(MomentumKind)} must be one of {string.Join(", ", Enum.GetNames<MomentumKind>())}, got {(int)MomentumKind}");
        if (!Enum.IsDefined(WeightDecayKind))
            throw new ArgumentException($"{optimizer}: {nameof(WeightDecayKind)} must be one of {string.Join(", ", Enum.GetNames<Sm3WeightDecay>())}, got {(int)WeightDecayKind}");
    }
}

/// <summary>
/// SM3-II. A tensor of rank k >= 2 keeps one accumulator per axis, <c>acc_a</c> of length <c>shape[a]</c>
/// ("accumulator_0", "accumulator_1", ...). For a matrix, per step:
/// <code>
/// A_ij   = min(row_i, col_j) + g_ij^2          (rank k: the min over the k accumulators broadcast along their axes)
/// g_hat  = g / sqrt(A),  0 where A = 0
/// row_i  = max_j A_ij,   col_j = max_i A_ij   (rank k: each accumulator is the max of A over all other axes)
/// </code>
/// A vector or a scalar keeps a plain Adagrad accumulator ("accumulator", the parameter's shape):
/// <c>a = a + g^2</c>, <c>g_hat = g / sqrt(a)</c>, 0 where a = 0. Then, with <c>mu</c> = <see cref="Sm3Options.Momentum"/>
/// and the buffer "momentum":
/// <code>
/// Ema        m = mu m + (1 - mu) g_hat     update = m
/// HeavyBall  m = g_hat + mu m              update = m
/// Nesterov   m = g_hat + mu m              update = g_hat + mu m
/// None       (no buffer)                   update = g_hat
/// p = p - lr update
/// </code>
/// Since <c>A >= g^2</c>, <c>|g_hat| &lt;= 1</c>; on the first step (accumulators 0) <c>g_hat = sign(g)</c>. No epsilon
/// is added: where A = 0 the gradient is 0 too, and the 0/0 is replaced by 0, as the TensorFlow original and optax
/// do with <c>where(A > 0, ...)</c> (they add 1e-30 or 1e-8 inside the root as well; trax adds 1e-16 to it).
/// Weight decay: the references disagree. trax adds <c>wd p</c> to g_hat before momentum, the TensorFlow original
/// adds it to the update after momentum (<c>p = p - lr (update + wd p)</c>, decoupled), the PyTorch port and optax
/// have none; neither reference adds it to the raw gradient. The default is trax's
/// (<see cref="Sm3WeightDecay.Preconditioned"/>), whose momentum kinds this class follows; the others are reachable
/// through <see cref="Sm3Options.WeightDecayKind"/>. Not implemented: the original's sparse-gradient path, the
/// exponential-moving-average accumulators (beta2 &lt; 1) of some ports, and trax's grafting. The original's
/// recommended quadratic lr warmup is a schedule (<see cref="Optimizer.Schedule"/>).
/// State for an (n, m) matrix: n + m accumulator numbers, plus nm for the momentum unless MomentumKind is None.
/// </summary>
public sealed class Sm3 : Optimizer<Sm3Options>
{
    public Sm3(IEnumerable<Tensor> parameters, Sm3Options? options = null) : base(parameters, options ?? new Sm3Options()) { }

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        if (p.Rank < 2) state.Set("accumulator", Tensor.ZerosLike(p));
        else
            for (int a = 0; a < p.Rank; a++) state.Set($"accumulator_{a}", Tensor.Zeros([p.Shape[a]], p.DType, p.Device));
        if (OptionsOf(group).MomentumKind != MomentumKind.None) state.Set("momentum", Tensor.ZerosLike(p));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        if (p.Count == 0) return; // nothing to move, and a max over an empty axis has no value
        var o = OptionsOf(group);
        double wd = o.WeightDecay, mu = o.Momentum;
        if (wd != 0 && o.WeightDecayKind == Sm3WeightDecay.Gradient) g = g + p * wd;

        var u = Precondition(p, g, state);
        if (wd != 0 && o.WeightDecayKind == Sm3WeightDecay.Preconditioned) u = u + p * wd;

        Tensor update;
        switch (o.MomentumKind)
        {
            case MomentumKind.Ema:
                update = state["momentum"] * mu + u * (1 - mu);
                state.Set("momentum", update);
                break;
            case MomentumKind.HeavyBall:
                update = u + state["momentum"] * mu;
                state.Set("momentum", update);
                break;
            case MomentumKind.Nesterov:
                var m = u + state["momentum"] * mu;
                state.Set("momentum", m);
                update = u + m * mu;
                break;
            default:
                update = u;
                break;
        }
        if (wd != 0 && o.WeightDecayKind == Sm3WeightDecay.Decoupled) update = update + p * wd;
        Assign(p, p - update * step.Lr);
    }

    /// <summary>Adds g^2 to the accumulators (through the cover for rank >= 2) and returns <c>g / sqrt(A)</c>, 0 where A = 0.</summary>
    private static Tensor Precondition(Tensor p, Tensor g, ParamState state)
    {
        Tensor A;
        if (p.Rank < 2)
        {
            A = state["accumulator"] + g.Square();
            state.Set("accumulator", A);
        }
        else
        {
            int rank = p.Rank;
            var shape = p.Shape;
            Tensor? cover = null;
            for (int a = 0; a < rank; a++)
            {
                var expanded = Enumerable.Repeat(1, rank).ToArray();
                expanded[a] = shape[a];
                var acc = state[$"accumulator_{a}"].Reshape(expanded); // [n_a] -> [1, .., n_a, .., 1]
                cover = cover is null ? acc : cover.Minimum(acc);       // broadcasts to p's shape
            }
            A = cover! + g.Square();
            // Each accumulator becomes the max of A over the other axes; A is complete before any is replaced.
            var maxima = new Tensor[rank];
            for (int a = 0; a < rank; a++)
                maxima[a] = A.Amax(Enumerable.Range(0, rank).Where(d => d != a).ToArray()); // [n_a]
            for (int a = 0; a < rank; a++) state.Set($"accumulator_{a}", maxima[a]);
        }
        return (g / A.Sqrt()).MaskedFill(A.Eq(0), 0);
    }
}
