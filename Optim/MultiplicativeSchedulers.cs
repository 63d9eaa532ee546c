// PyTorch's schedulers that multiply each group's base lr by a factor of the step: lambda, step, multi-step,
// exponential, constant, linear and polynomial. Each is the closed form of its PyTorch namesake.
namespace DotGrad.Optim;

/// <summary>
/// <c>torch.optim.lr_scheduler.LambdaLR</c>: <c>lr = base * lambda(t)</c>, with one function for every group or one
/// per group. It turns any <see cref="Schedules"/> multiplier into a scheduler, to put it into a
/// <see cref="SequentialLR"/> or <see cref="ChainedScheduler"/>.
/// </summary>
public sealed class LambdaLR : LRScheduler
{
    private readonly Func<int, double>[] _lambdas;

    /// <summary>The same multiplier for every group.</summary>
    public LambdaLR(Func<int, double> lrLambda)
    {
        ArgumentNullException.ThrowIfNull(lrLambda);
        _lambdas = [lrLambda];
        PerGroupLambdas = false;
    }

    /// <summary>One multiplier per group, in the optimizer's group order.</summary>
    public LambdaLR(IReadOnlyList<Func<int, double>> lrLambdas)
    {
        ArgumentNullException.ThrowIfNull(lrLambdas);
        if (lrLambdas.Count == 0 || lrLambdas.Any(f => f is null))
            throw new ArgumentException($"{nameof(LambdaLR)}: give one function per group, none null; got {lrLambdas.Count} with {lrLambdas.Count(f => f is null)} null");
        _lambdas = [.. lrLambdas];
        PerGroupLambdas = true;
    }

    private bool PerGroupLambdas { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        if (PerGroupLambdas && group >= _lambdas.Length)
            throw new ArgumentOutOfRangeException(nameof(group), $"{Name}: {_lambdas.Length} lr_lambdas were given, one per group, but group {group} was asked for");
        return baseLr * _lambdas[PerGroupLambdas ? group : 0](step);
    }

    public override void Validate(Optimizer optimizer)
    {
        base.Validate(optimizer);
        if (PerGroupLambdas && _lambdas.Length != optimizer.ParamGroups.Count)
            throw new ArgumentException($"{Name}: expected {optimizer.ParamGroups.Count} lr_lambdas (one per group of {optimizer.Name}), but got {_lambdas.Length}");
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.StepLR</c>: <c>lr = base * gamma^floor(t / stepSize)</c>, a decay by
/// <c>gamma</c> every <c>stepSize</c> steps. PyTorch's default gamma is 0.1.
/// </summary>
public sealed class StepLR : LRScheduler
{
    public StepLR(int stepSize, double gamma = 0.1)
    {
        AtLeast(nameof(StepLR), "step_size", stepSize, 1);
        NonNegative(nameof(StepLR), "gamma", gamma);
        StepSize = stepSize;
        Gamma = gamma;
    }

    public int StepSize { get; }
    public double Gamma { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        return baseLr * Math.Pow(Gamma, step / StepSize);
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.MultiStepLR</c>: <c>lr = base * gamma^(number of milestones &lt;= t)</c>, default gamma
/// 0.1. As in PyTorch (which keeps them in a <c>Counter</c>) the milestones are sorted and a milestone given twice
/// decays twice.
/// </summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] _milestones;

    public MultiStepLR(IEnumerable<int> milestones, double gamma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = [.. milestones.Order()];
        if (_milestones.Length > 0 && _milestones[0] < 0)
            throw new ArgumentException($"{nameof(MultiStepLR)}: milestones are step indices and must be >= 0, got [{string.Join(", ", _milestones)}]");
        NonNegative(nameof(MultiStepLR), "gamma", gamma);
        Gamma = gamma;
    }

    /// <summary>The milestones, sorted.</summary>
    public IReadOnlyList<int> Milestones => _milestones;
    public double Gamma { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        int passed = 0;                                  // bisect_right(milestones, t)
        while (passed < _milestones.Length && _milestones[passed] <= step) passed++;
        return baseLr * Math.Pow(Gamma, passed);
    }
}

/// <summary><c>torch.optim.lr_scheduler.ExponentialLR</c>: <c>lr = base * gamma^t</c>.</summary>
public sealed class ExponentialLR : LRScheduler
{
    public ExponentialLR(double gamma)
    {
        NonNegative(nameof(ExponentialLR), "gamma", gamma);
        Gamma = gamma;
    }

    public double Gamma { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        return baseLr * Math.Pow(Gamma, step);
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.ConstantLR</c>: <c>lr = base * factor</c> for <c>t &lt; totalIters</c>, then
/// <c>base</c>; PyTorch's defaults factor 1/3, total_iters 5, and its closed form
/// <c>base * (factor + (t >= total_iters) * (1 - factor))</c> as written. factor must be in [0, 1].
/// </summary>
public sealed class ConstantLR : LRScheduler
{
    public ConstantLR(double factor = 1.0 / 3, int totalIters = 5)
    {
        InRange(nameof(ConstantLR), "factor", factor, 0, 1);
        AtLeast(nameof(ConstantLR), "total_iters", totalIters, 0);
        Factor = factor;
        TotalIters = totalIters;
    }

    public double Factor { get; }
    public int TotalIters { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        return baseLr * (Factor + (step >= TotalIters ? 1 - Factor : 0.0));
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.LinearLR</c>: the factor moves linearly from <c>startFactor</c> at t = 0 to
/// <c>endFactor</c> at <c>t = totalIters</c> and stays there:
/// <c>lr = base * (start + (end - start) * min(totalIters, t) / totalIters)</c>. PyTorch's defaults: start 1/3, end 1,
/// total_iters 5; start must be in (0, 1] and end in [0, 1]. A linear warmup that starts above 0, unlike
/// <see cref="Schedules.LinearWarmup"/>, which starts at 0.
/// </summary>
public sealed class LinearLR : LRScheduler
{
    public LinearLR(double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
    {
        InRange(nameof(LinearLR), "start_factor", startFactor, 0, 1, loOpen: true);
        InRange(nameof(LinearLR), "end_factor", endFactor, 0, 1);
        AtLeast(nameof(LinearLR), "total_iters", totalIters, 1);
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
    }

    public double StartFactor { get; }
    public double EndFactor { get; }
    public int TotalIters { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        return baseLr * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, step) / TotalIters);
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.PolynomialLR</c>: <c>lr = base * (1 - min(totalIters, t) / totalIters)^power</c>,
/// 0 from <c>t = totalIters</c> on; PyTorch's defaults total_iters 5, power 1.
/// </summary>
public sealed class PolynomialLR : LRScheduler
{
    public PolynomialLR(int totalIters = 5, double power = 1.0)
    {
        AtLeast(nameof(PolynomialLR), "total_iters", totalIters, 1);
        if (!double.IsFinite(power)) throw new ArgumentException($"{nameof(PolynomialLR)}: power must be a finite number, got {power}");
        TotalIters = totalIters;
        Power = power;
    }

    public int TotalIters { get; }
    public double Power { get; }

    public override double LrAt(int step, int group, double baseLr)
    {
        CheckStep(step);
        return baseLr * Math.Pow(1.0 - (double)Math.Min(TotalIters, step) / TotalIters, Power);
    }
}
