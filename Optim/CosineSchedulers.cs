// PyTorch's cosine annealing (SGDR, Loshchilov and Hutter 2017), without and with warm restarts, as closed forms.
namespace DotGrad.Optim;

/// <summary>
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c> by its closed form:
/// <code>
/// lr = eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2
/// </code>
/// base at t = 0, <c>eta_min</c> at <c>t = T_max</c>, and then, as in PyTorch, <b>the cosine goes on</b>: back up to
/// base at <c>2 T_max</c>, a period of <c>2 T_max</c>. <c>eta_min</c> (default 0) is an absolute learning rate, the same
/// for every group. The optax-style <see cref="Schedules.CosineDecay"/> is different on purpose: a multiplier that
/// reaches its end value at <c>total</c> and holds it there. Use this one to match a PyTorch run, and set T_max to the
/// run's length (or its length minus one, so that the last step gets eta_min) when the rise must not happen.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    public CosineAnnealingLR(int tMax, double etaMin = 0.0)
    {
        AtLeast(nameof(CosineAnnealingLR), "T_max", tMax, 1);
        NonNegative(nameof(CosineAnnealingLR), "eta_min", etaMin);
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Half the cosine's period, in steps: the step at which the lr is <see cref="EtaMin"/>.</summary>
    public int TMax { get; }
    /// <summary>The lowest learning rate (absolute, not a multiplier).</summary>
    public double EtaMin { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        return EtaMin + (baseLr - EtaMin) * (1 + Math.Cos(Math.PI * step / TMax)) / 2;
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.CosineAnnealingWarmRestarts</c> (SGDR):
/// <code>
/// lr = eta_min + (base - eta_min) (1 + cos(pi T_cur / T_i)) / 2
/// </code>
/// where the first cycle is <c>T_0</c> steps long, each next one <c>T_mult</c> times the last, and <c>T_cur</c> is the
/// step within the current cycle: at each restart the lr jumps back to base. With <c>T_0 = 10, T_mult = 2</c> the
/// restarts are at steps 10, 30, 70, ... PyTorch's defaults: T_mult 1, eta_min 0 (an absolute lr). The cycle is found
/// with integers, as PyTorch's per-step <c>step()</c> finds it (its fractional-epoch <c>step(epoch)</c> uses a log and
/// is not what a per-iteration loop runs).
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    public CosineAnnealingWarmRestarts(int t0, int tMult = 1, double etaMin = 0.0)
    {
        AtLeast(nameof(CosineAnnealingWarmRestarts), "T_0", t0, 1);
        AtLeast(nameof(CosineAnnealingWarmRestarts), "T_mult", tMult, 1);
        NonNegative(nameof(CosineAnnealingWarmRestarts), "eta_min", etaMin);
        T0 = t0;
        TMult = tMult;
        EtaMin = etaMin;
    }

    /// <summary>The first cycle's length in steps.</summary>
    public int T0 { get; }
    /// <summary>The factor by which each cycle is longer than the one before.</summary>
    public int TMult { get; }
    /// <summary>The lowest learning rate (absolute, not a multiplier).</summary>
    public double EtaMin { get; }

    /// <summary>(T_cur, T_i): the step within its cycle and that cycle's length, at 0-based step <paramref name="step"/>.</summary>
    public (long TCur, long TI) CycleAt(int step)
    {
        CheckStep(step);
        if (TMult == 1) return (step % T0, T0);
        long tCur = step, tI = T0;
        while (tCur >= tI)
        {
            tCur -= tI;
            tI *= TMult;
        }
        return (tCur, tI);
    }

    public override double LrAt(int step, int group, double baseLr)
    {
        var (tCur, tI) = CycleAt(step);
        return EtaMin + (baseLr - EtaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;
    }
}
