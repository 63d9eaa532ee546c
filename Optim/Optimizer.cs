// The optimizer base: parameter groups, per-parameter state, the step loop, schedules, state dicts and memory.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>
/// What every optimizer shares, in the manner of <c>torch.optim.Optimizer</c>: parameter groups with their own
/// hyperparameters, <see cref="Step"/>, <see cref="ZeroGrad"/>, <see cref="StateDict"/>/<see cref="LoadStateDict"/>
/// and <see cref="StateBytes"/>. A subclass writes two methods: <see cref="InitState"/> (the buffers a parameter
/// needs, made when the parameter joins) and <see cref="Update"/> (one parameter's update, with autograd off).
/// State is made eagerly, unlike PyTorch's lazy state, so that <see cref="StateBytes"/> and the state dict are
/// complete before the first step.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<ParamGroup> _groups = [];
    private readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);
    private Func<int, double>? _schedule;
    private LRScheduler? _scheduler;

    /// <summary>The optimizer's name in messages and state dicts ("AdamW", "Muon").</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The parameter groups, in the order they were added.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>The number of <see cref="Step"/> calls so far; the schedule is evaluated at this 0-based index.</summary>
    public int StepCount { get; private set; }

    /// <summary>
    /// Whether updates that have a one-pass kernel (Adam, AdamW, SGD, and Muon's AdamW groups) use it, like PyTorch's
    /// <c>fused=True</c>: it runs where the parameter, its gradient and its state are contiguous, of one dtype, on a
    /// backend with fused kernels, and updates them in place. The result is the tensor-op update's, to rounding.
    /// False (or any other case) takes the tensor-op path, the readable form. Default true, where PyTorch's default
    /// is None (its choice of implementation): on the CPU backend the one-pass update gives the tensor-op path's bits.
    /// </summary>
    public bool Fused { get; set; } = true;

    /// <summary>
    /// A learning-rate multiplier as a function of the 0-based step (see <see cref="Schedules"/>); null means 1.
    /// Step k uses <c>group.Lr * Schedule(k)</c>, so under a linear warmup step 0 gets lr 0. Optimizers whose decay
    /// follows the schedule (the Scaling-ViT Adafactor) read the same factor. An optimizer has a Schedule or a
    /// <see cref="Scheduler"/>, not both (<c>new LambdaLR(schedule)</c> makes a multiplier a scheduler).
    /// </summary>
    public Func<int, double>? Schedule
    {
        get => _schedule;
        set
        {
            if (value is not null && _scheduler is not null) throw BothSchedules();
            _schedule = value;
        }
    }

    /// <summary>
    /// A PyTorch-style learning-rate scheduler (<see cref="StepLR"/>, <see cref="CosineAnnealingLR"/>,
    /// <see cref="OneCycleLR"/>, ...; see <see cref="LRScheduler"/>); null for none. Step k gives group g the lr
    /// <c>Scheduler.LrAt(k, g, group.Lr)</c>, and, where the scheduler sets one, the momentum or beta1
    /// <c>Scheduler.MomentumAt(k, g)</c>, written into the group's options before the step (so the options, and a
    /// state dict, show the momentum last used). The scheduler is checked against the groups when set and before each
    /// step. Like <see cref="Schedule"/> it is not saved: set it again after <see cref="LoadStateDict"/>, which restores
    /// the step count it is evaluated at. The factor optimizers read as the schedule's
    /// (<see cref="StepContext.ScheduleFactor"/>) is then each group's lr over its base lr.
    /// </summary>
    public LRScheduler? Scheduler
    {
        get => _scheduler;
        set
        {
            if (value is not null && _schedule is not null) throw BothSchedules();
            value?.Validate(this);
            _scheduler = value;
            if (value is not null) ApplyMomentum(value, StepCount);
        }
    }

    private InvalidOperationException BothSchedules() =>
        new($"{Name}: an optimizer takes a Schedule (a multiplier) or a Scheduler, not both; set the other to null first, or make the multiplier a " +
            "scheduler with new LambdaLR(schedule) and combine the two with a ChainedScheduler or SequentialLR");

    /// <summary>The <see cref="Schedule"/>'s factor at 0-based step <paramref name="step"/> (1 without a schedule); it must be finite and at least 0.</summary>
    public double ScheduleFactor(int step)
    {
        double f = _schedule?.Invoke(step) ?? 1.0;
        if (!double.IsFinite(f) || f < 0)
            throw new InvalidOperationException($"{Name}: the schedule gave {f} at step {step}; a learning-rate factor must be finite and >= 0");
        return f;
    }

    /// <summary>
    /// The learning rate the next step will use for <paramref name="group"/>: its base lr times the schedule, or the
    /// scheduler's lr for it (PyTorch's <c>get_last_lr()</c> between iterations).
    /// </summary>
    public double CurrentLr(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        int index = _groups.IndexOf(group);
        if (index < 0) throw new ArgumentException($"{Name}: the group is not one of this optimizer's", nameof(group));
        return _scheduler is null ? group.Lr * ScheduleFactor(StepCount) : SchedulerLr(_scheduler, index, StepCount);
    }

    /// <summary>The scheduler's lr for group <paramref name="index"/> at <paramref name="step"/>; it must be finite and at least 0.</summary>
    private double SchedulerLr(LRScheduler scheduler, int index, int step)
    {
        double lr = scheduler.LrAt(step, index, _groups[index].Lr);
        if (!double.IsFinite(lr) || lr < 0)
            throw new InvalidOperationException($"{Name}: the scheduler {scheduler.Name} gave lr {lr} for group {index} at step {step}; a learning rate must be finite and >= 0");
        return lr;
    }

    /// <summary>Writes the scheduler's momentum or beta1 for <paramref name="step"/> into each group's options, where it sets one.</summary>
    private void ApplyMomentum(LRScheduler scheduler, int step)
    {
        for (int g = 0; g < _groups.Count; g++)
        {
            if (scheduler.MomentumAt(step, g) is not { } m) continue;
            if (_groups[g].Options is not IMomentumOptions options)
                throw new InvalidOperationException($"{Name}: the scheduler {scheduler.Name} sets a momentum for group {g}, but its options " +
                                                    $"({_groups[g].Options.GetType().Name}) have no momentum or beta1 (see {nameof(IMomentumOptions)})");
            if (options.MomentumOrBeta1 != m) _groups[g].Options = options.WithMomentumOrBeta1(m);
        }
    }

    /// <summary>The state of <paramref name="parameter"/> (its buffers and step count).</summary>
    public ParamState State(Tensor parameter) =>
        _state.TryGetValue(parameter, out var s) ? s
            : throw new ArgumentException($"{Name}: the tensor is not one of this optimizer's parameters", nameof(parameter));

    /// <summary>Adds a group; checks its options and that no parameter is already in this optimizer.</summary>
    protected ParamGroup AddGroup(IEnumerable<Tensor> parameters, OptimizerOptions options, string? name)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        var list = parameters.ToArray();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < list.Length; i++)
        {
            var p = list[i] ?? throw new ArgumentException($"{Name}: parameter {i} of group {_groups.Count} is null");
            if (p.IsDisposed) throw new ObjectDisposedException($"{Name}: parameter {i} of group {_groups.Count} was disposed");
            if (!p.DType.IsFloatingPoint())
                throw new ArgumentException($"{Name}: parameters must be floating point; parameter {i} of group {_groups.Count} is {p.DType}");
            if (!p.IsLeaf)
                throw new ArgumentException($"{Name}: parameter {i} of group {_groups.Count} is not a leaf (it was computed by {p.GradFn!.Name}); optimize the leaf it came from");
            if (!seen.Add(p))
                throw new ArgumentException($"{Name}: parameter {i} of group {_groups.Count} is listed twice in that group");
            if (_state.ContainsKey(p))
            {
                int other = _groups.FindIndex(g => g.Parameters.Any(q => ReferenceEquals(q, p)));
                throw new ArgumentException($"{Name}: parameter {i} of group {_groups.Count} is already in group {other}; a parameter may be in one group only");
            }
        }
        var group = new ParamGroup(Name, list, options, name, Complete);
        var states = new ParamState[list.Length];
        try
        {
            using (Autograd.NoGrad())
                for (int i = 0; i < list.Length; i++)
                {
                    states[i] = new ParamState();
                    InitState(group, list[i], states[i]);
                }
        }
        catch
        {
            // A parameter this optimizer cannot take (a vector in a Muon group): nothing of the group stays.
            foreach (var s in states) s?.Dispose();
            throw;
        }
        for (int i = 0; i < list.Length; i++) _state[list[i]] = states[i];
        _groups.Add(group);
        return group;
    }

    /// <summary>
    /// <paramref name="options"/> with an unset lr or weight decay filled in from this optimizer's defaults (see
    /// <see cref="OptimizerOptions"/>); every group's options pass through it.
    /// </summary>
    protected virtual OptimizerOptions Complete(OptimizerOptions options) => options;

    /// <summary>Makes the buffers <paramref name="parameter"/> needs under <paramref name="group"/>'s options (zeros, usually).</summary>
    protected abstract void InitState(ParamGroup group, Tensor parameter, ParamState state);

    /// <summary>
    /// Updates one parameter in place from its gradient. Runs with autograd off inside a dispose scope that ends with
    /// the step, so temporaries need no disposing; <see cref="ParamState.Set"/> keeps what must outlive it.
    /// <paramref name="state"/>.Step has already been incremented (1 on the first update).
    /// </summary>
    protected abstract void Update(ParamGroup group, Tensor parameter, Tensor grad, ParamState state, StepContext context);

    /// <summary>
    /// One optimization step over every parameter that has a gradient (parameters without one are skipped and keep
    /// their state). The learning rate of each group is its base lr times the schedule at <see cref="StepCount"/>, or
    /// the scheduler's lr for it there; the scheduler's momentum, if it sets one, goes into the options before the update.
    /// </summary>
    public virtual void Step()
    {
        // Every group's lr first, so that a schedule that throws leaves every parameter as it was.
        var contexts = new StepContext[_groups.Count];
        if (_scheduler is { } scheduler)
        {
            scheduler.Validate(this);                                     // a group may have been added since it was set
            for (int g = 0; g < _groups.Count; g++)
            {
                double lr = SchedulerLr(scheduler, g, StepCount), baseLr = _groups[g].Lr;
                contexts[g] = new StepContext(StepCount, lr, baseLr > 0 ? lr / baseLr : 1);
            }
            ApplyMomentum(scheduler, StepCount);
        }
        else
        {
            double factor = ScheduleFactor(StepCount);
            for (int g = 0; g < _groups.Count; g++) contexts[g] = new StepContext(StepCount, _groups[g].Lr * factor, factor);
        }
        using (Autograd.NoGrad())
            for (int gi = 0; gi < _groups.Count; gi++)
            {
                var group = _groups[gi];
                var context = contexts[gi];
                foreach (var p in group.Parameters)
                {
                    if (p.Grad is not { } g) continue;
                    var state = _state[p];
                    state.Step++;
                    using var scope = Tensor.NewDisposeScope();
                    Update(group, p, g, state, context);
                }
            }
        StepCount++;
    }

    /// <summary>Writes <paramref name="value"/> into <paramref name="parameter"/> in place (the tensor modules hold stays the same object).</summary>
    protected static void Assign(Tensor parameter, Tensor value)
    {
        using var data = parameter.Detach();
        data[TensorIndex.Ellipsis] = value;
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var group in _groups)
            foreach (var p in group.Parameters) p.ZeroGrad();
    }

    /// <summary>
    /// Bytes of optimizer state: every buffer of every parameter (momenta, second moments, factored statistics), at
    /// the dtype it is stored in. Step counts are not counted.
    /// </summary>
    public long StateBytes() => _state.Values.Sum(s => s.Bytes);

    private IEnumerable<(int Index, Tensor Parameter)> IndexedParameters()
    {
        int i = 0;
        foreach (var group in _groups)
            foreach (var p in group.Parameters) yield return (i++, p);
    }

    /// <summary>
    /// A snapshot of the optimizer: its name, step count, every group's options and size, each parameter's step
    /// count, and copies of every buffer named <c>"{index}.{buffer}"</c> with parameters numbered across groups in
    /// order. Copies, so later steps do not change it.
    /// </summary>
    public OptimizerState StateDict()
    {
        var tensors = new Dictionary<string, Tensor>();
        var steps = new List<int>();
        foreach (var (i, p) in IndexedParameters())
        {
            var s = _state[p];
            steps.Add(s.Step);
            foreach (var (name, t) in s.Buffers) tensors[$"{i}.{name}"] = t.Clone().DetachFromDisposeScope();
        }
        return new OptimizerState(Name, StepCount, _groups.Select(g => g.Options).ToArray(), _groups.Select(g => g.Parameters.Count).ToArray(), steps.ToArray(), tensors);
    }

    /// <summary>
    /// Restores a snapshot from <see cref="StateDict"/> (or <see cref="OptimizerState.Load"/>): options, step counts
    /// and buffers. The snapshot must come from the same optimizer with the same groups of the same shapes; anything
    /// else throws an error saying what differs, and nothing changes. On the CPU a restored optimizer continues
    /// bit-identically. The <see cref="Schedule"/> and <see cref="Scheduler"/> are not part of the state: set them
    /// again (the step count they are evaluated at is restored; a scheduler's momentum is in the restored options).
    /// </summary>
    public void LoadStateDict(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string op = $"{Name}.LoadStateDict";
        if (state.Optimizer != Name)
            throw new ArgumentException($"{op}: the state was saved by {state.Optimizer}, not {Name}");
        if (state.GroupSizes.Count != _groups.Count || !state.GroupSizes.SequenceEqual(_groups.Select(g => g.Parameters.Count)))
            throw new ArgumentException($"{op}: the state has groups of [{string.Join(", ", state.GroupSizes)}] parameters, this optimizer [{string.Join(", ", _groups.Select(g => g.Parameters.Count))}]");
        for (int g = 0; g < _groups.Count; g++)
            if (state.Groups[g].GetType() != _groups[g].Options.GetType())
                throw new ArgumentException($"{op}: group {g} has options of type {state.Groups[g].GetType().Name}, expected {_groups[g].Options.GetType().Name}");

        // Build the new state aside and check it against the snapshot; only then swap it in.
        var fresh = new List<(Tensor P, ParamState S)>();
        try
        {
            int i = 0;
            var used = new HashSet<string>();
            for (int g = 0; g < _groups.Count; g++)
            {
                var options = state.Groups[g];
                options.Validate(Name);
                var probe = new ParamGroup(Name, _groups[g].Parameters, options, _groups[g].Name, Complete);
                foreach (var p in _groups[g].Parameters)
                {
                    var s = new ParamState();
                    fresh.Add((p, s));
                    using (Autograd.NoGrad()) InitState(probe, p, s);
                    foreach (var (name, expected) in s.Buffers.ToArray())
                    {
                        string key = $"{i}.{name}";
                        if (!state.Tensors.TryGetValue(key, out var saved))
                            throw new ArgumentException($"{op}: the state has no '{key}' (parameter {i} of shape [{string.Join(", ", p.Shape)}] needs it)");
                        if (!saved.Shape.SequenceEqual(expected.Shape) || saved.DType != expected.DType)
                            throw new ArgumentException($"{op}: '{key}' is {saved.DType} [{string.Join(", ", saved.Shape)}], expected {expected.DType} [{string.Join(", ", expected.Shape)}] for parameter {i} of shape [{string.Join(", ", p.Shape)}]");
                        s.Set(name, saved.To(p.Device).Clone());
                        used.Add(key);
                    }
                    s.Step = state.ParamSteps[i];
                    i++;
                }
            }
            var extra = state.Tensors.Keys.Where(k => !used.Contains(k)).ToArray();
            if (extra.Length > 0)
                throw new ArgumentException($"{op}: the state has buffers this optimizer does not use: {string.Join(", ", extra.Take(8))}{(extra.Length > 8 ? ", ..." : "")}");
        }
        catch
        {
            foreach (var (_, s) in fresh) s.Dispose();
            throw;
        }

        foreach (var (p, s) in fresh)
        {
            _state[p].Dispose();
            _state[p] = s;
        }
        for (int g = 0; g < _groups.Count; g++) _groups[g].Options = state.Groups[g];
        StepCount = state.StepCount;
    }

    /// <summary>Releases every buffer.</summary>
    public void Dispose()
    {
        foreach (var s in _state.Values) s.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// What an update needs to know about the step: its 0-based index, the group's learning rate for it, and the schedule
/// factor (under a <see cref="Optimizer.Scheduler"/>, the group's lr over its base lr).
/// </summary>
public readonly record struct StepContext(int Step, double Lr, double ScheduleFactor);

/// <summary>
/// An optimizer whose groups carry options of type <typeparamref name="TOptions"/>. The constructor makes the first
/// group from <see cref="Defaults"/>; <see cref="AddParamGroup"/> adds more, for example a head with its own decay.
/// </summary>
public abstract class Optimizer<TOptions> : Optimizer where TOptions : OptimizerOptions
{
    /// <summary>Makes the optimizer with one group of <paramref name="parameters"/> under <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, TOptions defaults, string? groupName = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        // Unset fields take this optimizer's defaults, as PyTorch's keyword defaults hold whatever else is given.
        defaults = (TOptions)defaults.Completed(lr: null, DefaultWeightDecay);
        defaults.Validate(Name);
        Defaults = defaults;
        var group = AddGroup(parameters, defaults, groupName);
        if (group.Parameters.Count == 0)
            throw new ArgumentException($"{Name}: got an empty parameter list");
    }

    /// <summary>
    /// The options the first group was made with, its lr and weight decay written out; <c>Defaults with { ... }</c>
    /// makes another group's.
    /// </summary>
    public TOptions Defaults { get; }

    /// <summary>
    /// The weight decay of options that leave it unset: 0, or the optimizer's own PyTorch default where it has another
    /// (AdamW's 0.01). Read in the constructor, so an override must return a constant.
    /// </summary>
    protected virtual double DefaultWeightDecay => 0;

    /// <summary>An unset lr or weight decay comes from <see cref="Defaults"/> (PyTorch fills a group's missing keys from the optimizer's defaults).</summary>
    protected override OptimizerOptions Complete(OptimizerOptions options) =>
        options.Completed(Defaults?.Lr, Defaults?.WeightDecay ?? DefaultWeightDecay);

    /// <summary>
    /// Adds a group of parameters with <paramref name="options"/> (the defaults when null). An lr or weight decay the
    /// options leave unset is the <see cref="Defaults"/>' one; every other field is what the options say (their
    /// record's default when not set): start from <c>Defaults with { ... }</c> to inherit those too.
    /// </summary>
    public ParamGroup AddParamGroup(IEnumerable<Tensor> parameters, TOptions? options = null, string? name = null) =>
        AddGroup(parameters, options ?? Defaults, name);

    /// <summary>The typed options of <paramref name="group"/>.</summary>
    protected static TOptions OptionsOf(ParamGroup group) => (TOptions)group.Options;
}
