// Learning-rate schedules as plain functions of the 0-based step, and their composition.
namespace DotGrad.Optim;

/// <summary>The decay shape of <see cref="Schedules.Create"/>.</summary>
public enum DecayKind
{
    /// <summary>The base value throughout.</summary>
    Constant,
    /// <summary><c>end + (base - end)(1 - progress)</c>.</summary>
    Linear,
    /// <summary><c>end + (base - end) 0.5 (1 + cos(pi progress))</c>.</summary>
    Cosine,
    /// <summary><c>base / sqrt(1 + (step - warmup)/timescale)</c>.</summary>
    Rsqrt,
}

/// <summary>
/// Learning-rate schedules: functions from the 0-based step to a value, by default a multiplier of each group's base
/// lr (set one as <see cref="Optimizer.Schedule"/>). With <c>progress = clamp((step - warmup)/(total - warmup), 0, 1)</c>:
/// <list type="bullet">
/// <item>a linear warmup multiplies by <c>min(1, step/warmup)</c>, so <b>step 0 gets 0</b> and step <c>warmup</c> gets the full value;</item>
/// <item>a linear cooldown of length K multiplies by <c>min(1, (total - step)/K)</c>: 1 at step <c>total - K</c>, 0 at step <c>total</c>;</item>
/// <item>the decays (<see cref="DecayKind"/>) start after the warmup and reach their end value at step <c>total</c>.</item>
/// </list>
/// A run of <c>total</c> steps evaluates steps 0 to total - 1, so the last step's factor is small but not 0.
/// Factors compose by multiplication (<see cref="Product"/>); <see cref="Create"/> is warmup x decay x cooldown.
/// These are optax-style; PyTorch's schedulers, under PyTorch's names and semantics, are the <see cref="LRScheduler"/>
/// classes (set as <see cref="Optimizer.Scheduler"/>), and <see cref="LambdaLR"/> turns any of these into one.
/// </summary>
public static class Schedules
{
    /// <summary><paramref name="value"/> at every step.</summary>
    public static Func<int, double> Constant(double value = 1) => _ => value;

    /// <summary><c>min(1, step/warmup)</c>; 1 everywhere when <paramref name="warmup"/> is 0.</summary>
    public static Func<int, double> LinearWarmup(int warmup)
    {
        NonNegative(nameof(LinearWarmup), nameof(warmup), warmup);
        return step => warmup == 0 ? 1 : Math.Min(1, (double)step / warmup);
    }

    /// <summary><c>clamp(min(1, (total - step)/cooldown), 0, 1)</c>: 1 until step <c>total - cooldown</c>, then linearly to 0 at <paramref name="total"/>.</summary>
    public static Func<int, double> LinearCooldown(int total, int cooldown)
    {
        NonNegative(nameof(LinearCooldown), nameof(cooldown), cooldown);
        if (cooldown > total) throw new ArgumentException($"Schedules.{nameof(LinearCooldown)}: cooldown ({cooldown}) must not exceed total ({total})");
        return step => cooldown == 0 ? 1 : Math.Clamp((double)(total - step) / cooldown, 0, 1);
    }

    /// <summary>After the warmup, from <paramref name="start"/> linearly to <paramref name="end"/> at step <paramref name="total"/>.</summary>
    public static Func<int, double> LinearDecay(int total, int warmup = 0, double start = 1, double end = 0)
    {
        CheckSpan(nameof(LinearDecay), total, warmup);
        return step => end + (start - end) * (1 - Progress(step, total, warmup));
    }

    /// <summary>
    /// After the warmup, a half cosine from <paramref name="start"/> to <paramref name="end"/> at step
    /// <paramref name="total"/>, which it then holds: optax's <c>cosine_decay_schedule</c>, a multiplier. PyTorch's
    /// <see cref="CosineAnnealingLR"/> is not this: its closed form continues the cosine past T_max (back up to the
    /// base lr at 2 T_max), and its eta_min is an absolute lr; use that one to match a PyTorch run.
    /// </summary>
    public static Func<int, double> CosineDecay(int total, int warmup = 0, double start = 1, double end = 0)
    {
        CheckSpan(nameof(CosineDecay), total, warmup);
        return step => end + (start - end) * 0.5 * (1 + Math.Cos(Math.PI * Progress(step, total, warmup)));
    }

    /// <summary><c>start / sqrt(1 + max(0, step - warmup)/timescale)</c>: flat through the warmup, then the reciprocal square root.</summary>
    public static Func<int, double> RsqrtDecay(int warmup = 0, double timescale = 10_000, double start = 1)
    {
        NonNegative(nameof(RsqrtDecay), nameof(warmup), warmup);
        if (!(timescale > 0) || !double.IsFinite(timescale))
            throw new ArgumentException($"Schedules.{nameof(RsqrtDecay)}: timescale must be a finite number > 0, got {timescale}");
        return step => start / Math.Sqrt(1 + Math.Max(0, step - warmup) / timescale);
    }

    /// <summary>The product of <paramref name="factors"/> at each step.</summary>
    public static Func<int, double> Product(params Func<int, double>[] factors)
    {
        ArgumentNullException.ThrowIfNull(factors);
        return step =>
        {
            double value = 1;
            foreach (var f in factors) value *= f(step);
            return value;
        };
    }

    /// <summary>
    /// Warmup, then <paramref name="decay"/>, times a linear cooldown: the schedule of most training runs. With
    /// <see cref="DecayKind.Rsqrt"/> and a cooldown it is the Scaling-ViT recipe (see <see cref="WarmupRsqrtCooldown"/>).
    /// <paramref name="end"/> is the value linear and cosine decays reach at <paramref name="total"/>.
    /// </summary>
    public static Func<int, double> Create(DecayKind decay, int total, int warmup = 0, int cooldown = 0, double start = 1, double end = 0, double timescale = 10_000)
    {
        CheckSpan(nameof(Create), total, warmup);
        var shape = decay switch
        {
            DecayKind.Constant => Constant(start),
            DecayKind.Linear => LinearDecay(total, warmup, start, end),
            DecayKind.Cosine => CosineDecay(total, warmup, start, end),
            DecayKind.Rsqrt => RsqrtDecay(warmup, timescale, start),
            _ => throw new ArgumentException($"Schedules.{nameof(Create)}: unknown decay {decay}"),
        };
        return Product(LinearWarmup(warmup), shape, LinearCooldown(total, cooldown));
    }

    /// <summary>The Scaling-ViT schedule: linear warmup, reciprocal square root with <paramref name="timescale"/>, linear cooldown to 0 at <paramref name="total"/>.</summary>
    public static Func<int, double> WarmupRsqrtCooldown(int total, int warmup, int cooldown, double timescale = 10_000) =>
        Create(DecayKind.Rsqrt, total, warmup, cooldown, timescale: timescale);

    /// <summary><c>clamp((step - warmup)/(total - warmup), 0, 1)</c>.</summary>
    public static double Progress(int step, int total, int warmup) =>
        total == warmup ? (step >= total ? 1 : 0) : Math.Clamp((double)(step - warmup) / (total - warmup), 0, 1);

    private static void CheckSpan(string schedule, int total, int warmup)
    {
        NonNegative(schedule, nameof(warmup), warmup);
        if (total < 1) throw new ArgumentException($"Schedules.{schedule}: total must be at least 1 step, got {total}");
        if (warmup > total) throw new ArgumentException($"Schedules.{schedule}: warmup ({warmup}) must not exceed total ({total})");
    }

    private static void NonNegative(string schedule, string field, int value)
    {
        if (value < 0) throw new ArgumentException($"Schedules.{schedule}: {field} must be >= 0, got {value}");
    }
}
