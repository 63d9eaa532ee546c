// Language-modelling examples from one long token sequence: every window of T tokens with its next-token targets.
using DotGrad.Backends;

namespace DotGrad.Data;

/// <summary>
/// The windows of a token sequence for next-token prediction, as nanoGPT's <c>get_batch</c> cuts them: item <c>i</c> is
/// <c>(ids[i .. i+T), ids[i+1 .. i+T])</c>, two Int32 tensors [T], for every <c>i</c> from 0 to <c>ids.Length - T - 1</c>
/// (so <see cref="Count"/> is <c>ids.Length - T</c>). Random windows with replacement, as nanoGPT draws them, are
/// <see cref="ReplacementSampler"/>; every window once per epoch is a shuffled loader. The default collate gives
/// (inputs [B, T], targets [B, T]).
/// </summary>
public sealed class TokenWindows : IDataset<(Tensor Input, Tensor Target)>
{
    private readonly int[] _ids;

    public TokenWindows(int[] ids, int context)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), $"TokenWindows: the context must be at least 1, got {context}");
        if (ids.Length < context + 1)
            throw new ArgumentException($"TokenWindows: a window of {context} tokens and its target need {context + 1} tokens, got {ids.Length}", nameof(ids));
        _ids = ids;
        Context = context;
    }

    /// <summary>T, the tokens in each window.</summary>
    public int Context { get; }

    public int Count => _ids.Length - Context;

    public (Tensor Input, Tensor Target) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), $"TokenWindows: window {index} is outside the {Count} windows");
            return (Tensor.FromArray(_ids[index..(index + Context)], [Context], Device.Cpu), Tensor.FromArray(_ids[(index + 1)..(index + Context + 1)], [Context], Device.Cpu));
        }
    }
}
