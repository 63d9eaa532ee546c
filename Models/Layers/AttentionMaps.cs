// Recording attention maps: while a recorder is active, every MultiHeadAttention on this thread hands it a copy of its
// attention probabilities, so a learner (or `dotgrad attention`) can draw what each head looks at.
using DotGrad.Autodiff;

namespace DotGrad.Models;

/// <summary>One attention layer's probabilities, [B, nh, Tq, Tk] on the CPU, each row summing to 1.</summary>
public sealed record AttentionMap(MultiHeadAttention Layer, Tensor Probabilities);

/// <summary>
/// <c>using var maps = AttentionMaps.Record(); model.Call(tokens);</c> then <see cref="Maps"/> holds one map per attention
/// call, in call order (for a GPT: layer 0 first). The copies are detached, on the CPU and outside any dispose scope;
/// disposing the recorder disposes them. Recorders nest; the innermost one records.
/// </summary>
public sealed class AttentionMaps : IDisposable
{
    [ThreadStatic] private static AttentionMaps? _current;

    private readonly AttentionMaps? _outer;
    private readonly List<AttentionMap> _maps = [];
    private bool _disposed;

    private AttentionMaps()
    {
        _outer = _current;
        _current = this;
    }

    /// <summary>Starts recording on this thread.</summary>
    public static AttentionMaps Record() => new();

    internal static AttentionMaps? Current => _current;

    /// <summary>The maps recorded so far.</summary>
    public IReadOnlyList<AttentionMap> Maps => _maps;

    internal void Add(MultiHeadAttention layer, Tensor probabilities)
    {
        Tensor copy;
        using (Autograd.NoGrad())
        using (var onCpu = probabilities.To(Backends.Device.Cpu))             // a view when already there
            copy = onCpu.Clone();
        _maps.Add(new AttentionMap(layer, copy.DetachFromDisposeScope()));
    }

    /// <summary>Stops recording and disposes the copies.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (ReferenceEquals(_current, this)) _current = _outer;
        foreach (var m in _maps) m.Probabilities.Dispose();
    }
}
