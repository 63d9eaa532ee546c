// A parameter group: some parameters and the hyperparameters they share.
namespace DotGrad.Optim;

/// <summary>
/// Parameters that share hyperparameters, like one entry of PyTorch's <c>optimizer.param_groups</c>. The options
/// can be replaced between steps (a learning rate set by hand, a decay changed); the parameter list cannot.
/// </summary>
public sealed class ParamGroup
{
    private OptimizerOptions _options;
    private readonly string _optimizer;
    private readonly Func<OptimizerOptions, OptimizerOptions> _complete;

    // complete fills the options' unset lr and weight decay from the optimizer's defaults (see OptimizerOptions).
    internal ParamGroup(string optimizer, IReadOnlyList<Tensor> parameters, OptimizerOptions options, string? name,
                        Func<OptimizerOptions, OptimizerOptions> complete)
    {
        _optimizer = optimizer;
        _complete = complete;
        options = complete(options);
        options.Validate(optimizer);
        Parameters = parameters;
        _options = options;
        Name = name;
    }

    /// <summary>The group's parameters, in the order they were given (the order of the state dict).</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>A label for messages and tables (for example "muon" or "head"); null when none was given.</summary>
    public string? Name { get; }

    /// <summary>
    /// The group's hyperparameters, an instance of the optimizer's options record. Setting validates them, and an lr or
    /// weight decay the new options leave unset comes from the optimizer's <see cref="Optimizer{TOptions}.Defaults"/>.
    /// </summary>
    public OptimizerOptions Options
    {
        get => _options;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.GetType() != _options.GetType())
                throw new ArgumentException($"{_optimizer}: a group's options must be {_options.GetType().Name}, got {value.GetType().Name}");
            value = _complete(value);
            value.Validate(_optimizer);
            _options = value;
        }
    }

    /// <summary>The base learning rate (shorthand for <c>Options.Lr</c>).</summary>
    public double Lr
    {
        get => _options.Lr;
        set => Options = _options with { Lr = value };
    }

    /// <summary>The weight decay (shorthand for <c>Options.WeightDecay</c>).</summary>
    public double WeightDecay
    {
        get => _options.WeightDecay;
        set => Options = _options with { WeightDecay = value };
    }
}
