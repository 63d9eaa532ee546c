// What an optimizer keeps for one parameter: named buffers (momentum, second moments, factored statistics) and a step count.
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>
/// The state of one parameter: its own step count (the t of bias corrections, counted only on steps where the
/// parameter had a gradient) and named buffers. Buffers belong to no dispose scope; replacing one disposes the old.
/// </summary>
public sealed class ParamState : IDisposable
{
    private readonly Dictionary<string, Tensor> _buffers = [];

    /// <summary>Updates taken for this parameter so far (1 during its first update).</summary>
    public int Step { get; internal set; }

    /// <summary>The buffers by name, in the order they were added.</summary>
    public IReadOnlyDictionary<string, Tensor> Buffers => _buffers;

    /// <summary>The buffer named <paramref name="name"/>.</summary>
    public Tensor this[string name] =>
        _buffers.TryGetValue(name, out var t) ? t
            : throw new KeyNotFoundException($"ParamState: no buffer '{name}' (has {string.Join(", ", _buffers.Keys.DefaultIfEmpty("none"))})");

    /// <summary>Whether a buffer named <paramref name="name"/> exists.</summary>
    public bool Has(string name) => _buffers.ContainsKey(name);

    /// <summary>
    /// Stores <paramref name="value"/> as the buffer <paramref name="name"/>, taking it out of any dispose scope (so a
    /// tensor computed inside a step outlives the step) and disposing the buffer it replaces.
    /// </summary>
    public void Set(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.DetachFromDisposeScope();
        if (_buffers.TryGetValue(name, out var old) && !ReferenceEquals(old, value)) old.Dispose();
        _buffers[name] = value;
    }

    /// <summary>The buffer <paramref name="name"/>, created by <paramref name="create"/> the first time it is asked for.</summary>
    public Tensor GetOrAdd(string name, Func<Tensor> create)
    {
        if (!_buffers.TryGetValue(name, out var t)) Set(name, t = create());
        return t;
    }

    /// <summary>Bytes held by the buffers.</summary>
    public long Bytes => _buffers.Values.Sum(t => (long)t.Count * t.DType.ElementSize());

    public void Dispose()
    {
        foreach (var t in _buffers.Values) t.Dispose();
        _buffers.Clear();
    }
}
