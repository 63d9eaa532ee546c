// The keys and values a decoder has already computed, kept per attention layer so that generating one more token
// projects only that token instead of the whole sequence again.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// A key/value cache for a <see cref="Gpt"/>: for every block, the keys and values of the tokens seen so far,
/// [B, KvHeads, Capacity, hs] each, filled from position 0. <see cref="GptSampling.Generate"/> makes one per call:
/// the prompt goes through the model once (the prefill), then each step feeds only the newest token, whose query
/// attends to the cached keys and values of every earlier one.
/// <code>
/// step n (n tokens so far):  x = wte[token n-1] + wpe[n-1]                      [B, 1, C]
///                            per block: k, v of the new token -> cache[:, :, n-1]
///                                       y = softmax(q K[:, :, :n]^T * scale) V[:, :, :n]   (no mask: all keys are earlier)
/// </code>
/// <para>The cache holds at most <see cref="Capacity"/> (the model's context) positions. A learned position table
/// numbers positions from the start of the window, so once the sequence is longer than the context every cached key
/// belongs to a different position in the next window; <see cref="GptSampling.Generate"/> then recomputes the window
/// of the last ContextLength tokens each step, as it does without a cache.</para>
/// <para>Buffers belong to no dispose scope; <see cref="Dispose"/> releases them.</para>
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Layer[] _layers;

    /// <summary>
    /// An empty cache for <paramref name="gpt"/>, for up to <paramref name="capacity"/> positions (default and at most
    /// its ContextLength; Generate asks for no more than the sequence it will make, so a short generation does not
    /// allocate the whole context).
    /// </summary>
    public KvCache(Gpt gpt, int? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        if (capacity is { } c && (c <= 0 || c > gpt.Config.ContextLength))
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"KvCache: capacity must be in 1 .. ContextLength = {gpt.Config.ContextLength}");
        Capacity = capacity ?? gpt.Config.ContextLength;
        _layers = gpt.Blocks.Select(_ => new Layer(Capacity)).ToArray();
    }

    /// <summary>How many positions the cache can hold (at most the model's ContextLength).</summary>
    public int Capacity { get; }

    /// <summary>How many positions are cached: the position the next token gets.</summary>
    public int Length => _layers.Length == 0 ? 0 : _layers[0].Length;

    /// <summary>Bytes held by the cached keys and values (2 x Depth x B x KvHeads x Capacity x hs elements once filled).</summary>
    public long Bytes => _layers.Sum(l => l.Bytes);

    /// <summary>The cache of block <paramref name="index"/>.</summary>
    internal Layer this[int index] => _layers[index];

    /// <summary>Forgets every position (the buffers are kept for reuse).</summary>
    public void Clear()
    {
        foreach (var layer in _layers) layer.Length = 0;
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
    }

    /// <summary>One attention layer's keys and values, [B, nkv, Capacity, hs] each, valid up to <see cref="Length"/>.</summary>
    internal sealed class Layer(int capacity) : IDisposable
    {
        private Tensor? _keys, _values;

        public int Length { get; set; }

        public long Bytes => _keys is null ? 0 : 2L * _keys.Count * _keys.DType.ElementSize();

        /// <summary>
        /// Writes the keys and values of Tn new positions, <paramref name="k"/> and <paramref name="v"/> [B, nkv, Tn, hs],
        /// after the cached ones, and returns every cached position's keys and values, [B, nkv, Length, hs] each (views
        /// of the buffers). The buffers take k's shape, dtype and device on the first write.
        /// </summary>
        public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
        {
            int B = k.Size(0), nkv = k.Size(1), Tn = k.Size(2), hs = k.Size(3);
            if (Length + Tn > capacity)
                throw new InvalidOperationException($"KvCache: {Tn} new positions after {Length} cached exceed the capacity of {capacity}");
            if (_keys is null || _values is null)
            {
                _keys = Tensor.Zeros([B, nkv, capacity, hs], k.DType, k.Device).DetachFromDisposeScope();
                _values = Tensor.Zeros([B, nkv, capacity, hs], v.DType, v.Device).DetachFromDisposeScope();
            }
            else if (_keys.Size(0) != B || _keys.Size(1) != nkv || _keys.Size(3) != hs || _keys.DType != k.DType || _keys.Device != k.Device)
            {
                throw new InvalidOperationException($"KvCache: the cache holds keys [{_keys.Size(0)}, {_keys.Size(1)}, *, {_keys.Size(3)}] {_keys.DType} " +
                                                    $"on {_keys.Device}, but the new ones are {Module.Format(k.Shape)} {k.DType} on {k.Device}; use one cache per batch");
            }
            using (Autograd.NoGrad())
            {
                _keys[.., .., Length..(Length + Tn)] = k;                   // [B, nkv, Tn, hs] into positions Length .. Length + Tn - 1
                _values[.., .., Length..(Length + Tn)] = v;
            }
            Length += Tn;
            return (_keys[.., .., ..Length], _values[.., .., ..Length]);   // [B, nkv, Length, hs] each
        }

        public void Dispose()
        {
            _keys?.Dispose();
            _values?.Dispose();
            _keys = _values = null;
            Length = 0;
        }
    }
}
