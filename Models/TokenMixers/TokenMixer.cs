// The token-mixer zoo for causal language models: which mixer, and one factory that builds any of them.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// The causal token mixers of <see cref="MixerLm"/>. Each maps [B, T, C] -> [B, T, C] for T &lt;= the context length n,
/// and position t never reads positions &gt; t. Equations are in each mixer's doc comment.
/// </summary>
public enum TokenMixerKind
{
    /// <summary>Causal multi-head softmax attention (<see cref="MultiHeadAttention"/> with Causal: true), the baseline.</summary>
    Attention,
    /// <summary>Multi-head causal MLP-Mixer token mixing (<see cref="CausalMixerTokenMlp"/>); one head is the plain Mixer.</summary>
    Mixer,
    /// <summary>gMLP: proj up, GELU, causal spatial gating unit, proj down (<see cref="SpatialGatingMixer"/>).</summary>
    GMlp,
    /// <summary>gMLP with the gate's pre-activation through tanh.</summary>
    GMlpTanh,
    /// <summary>Dense Synthesizer: each token's MLP writes its row of mixing logits (<see cref="DenseSynthesizer"/>).</summary>
    SynthesizerDense,
    /// <summary>Random Synthesizer: learned mixing logits shared by the batch (<see cref="RandomSynthesizer"/>).</summary>
    SynthesizerRandom,
    /// <summary>CONTAINER: alpha * causal attention + beta * a learned static causal matrix, over shared values (<see cref="ContainerMixer"/>).</summary>
    Container,
}

/// <summary>Builds token mixers by kind, and says what each needs around it.</summary>
public static class TokenMixers
{
    /// <summary>The gMLP spatial gate's initial weight range, 0.02 / n: the "small initialization" the gMLP-for-LM runs settled on.</summary>
    public const double GateInitRange = 0.02;

    /// <summary>
    /// A causal token mixer of <paramref name="kind"/>, [B, T, C] -> [B, T, C] with C = <paramref name="width"/> and
    /// T &lt;= <paramref name="contextLength"/>. <paramref name="heads"/> must divide the width (Attention, Mixer, the
    /// Synthesizers, CONTAINER); <paramref name="gateHidden"/> is gMLP's d_ffn (even; the gate splits it in halves).
    /// </summary>
    public static Module<Tensor, Tensor> Create(TokenMixerKind kind, int width, int contextLength, int heads = 1, int gateHidden = 0,
                                                Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "TokenMixers.Create: width must be positive");
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "TokenMixers.Create: contextLength must be positive");
        if (IsGated(kind))
        {
            if (gateHidden <= 0 || gateHidden % 2 != 0)
                throw new ArgumentException($"TokenMixers.Create: {kind} needs an even, positive gateHidden (gMLP's d_ffn, split in halves by the gate), got {gateHidden}", nameof(gateHidden));
            return new SpatialGatingMixer(width, gateHidden, contextLength, tanh: kind == TokenMixerKind.GMlpTanh, generator, dtype, device);
        }
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"TokenMixers.Create: heads = {heads} must be positive and divide width = {width} (each head gets width / heads channels)", nameof(heads));
        return kind switch
        {
            TokenMixerKind.Attention => new MultiHeadAttention(new AttentionConfig(width, heads, Causal: true), generator, dtype, device),
            TokenMixerKind.Mixer => new CausalMixerTokenMlp(width, contextLength, heads, generator, dtype, device),
            TokenMixerKind.SynthesizerDense => new DenseSynthesizer(width, contextLength, heads, generator, dtype, device),
            TokenMixerKind.SynthesizerRandom => new RandomSynthesizer(width, contextLength, heads, generator, dtype, device),
            TokenMixerKind.Container => new ContainerMixer(width, contextLength, heads, generator, dtype, device),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "TokenMixers.Create: unknown TokenMixerKind"),
        };
    }

    /// <summary>True for the gMLP kinds: their mixer is a whole gMLP block body, so <see cref="MixerLm"/> adds no channel MLP.</summary>
    public static bool IsGated(TokenMixerKind kind) => kind is TokenMixerKind.GMlp or TokenMixerKind.GMlpTanh;

    /// <summary>
    /// True when the mixer cannot tell positions apart by itself and the model adds learned position embeddings:
    /// attention and CONTAINER's dynamic part are permutation-equivariant, and the Dense Synthesizer's logits come
    /// from a token's content alone. The Mixer, gMLP and the Random Synthesizer index weights by position.
    /// </summary>
    public static bool NeedsPositions(TokenMixerKind kind) =>
        kind is TokenMixerKind.Attention or TokenMixerKind.Container or TokenMixerKind.SynthesizerDense;

    /// <summary>
    /// The number of parameters of <see cref="Create"/>'s mixer, from the architecture (C width, n context, h heads,
    /// F gateHidden): the formula <see cref="MixerLmConfig.MatchParameters"/> solves.
    /// </summary>
    public static long ParameterCount(TokenMixerKind kind, int width, int contextLength, int heads = 1, int gateHidden = 0)
    {
        long C = width, n = contextLength, h = heads, F = gateHidden;
        return kind switch
        {
            TokenMixerKind.Attention => 4 * (C * C + C),                                   // query, key, value, out
            TokenMixerKind.Mixer => h * (2 * n * n + 2 * n),                               // per head W1, b1, W2, b2 (n x n, n)
            TokenMixerKind.GMlp or TokenMixerKind.GMlpTanh =>
                (C * F + F) + (2 * (F / 2) + n * n + n) + (F / 2 * C + C),                 // proj_in; SGU norm, W, b; proj_out
            TokenMixerKind.SynthesizerDense => (C * C + C) + (C * h * n + h * n) + (C * C + C), // fc1, fc2 (h n logits), value
            TokenMixerKind.SynthesizerRandom => h * n * n + (C * C + C),                   // logits [h, n, n], value
            TokenMixerKind.Container => 3 * (C * C + C) + n * n + 2,                       // query, key, value; static [n, n]; alpha, beta
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "TokenMixers.ParameterCount: unknown TokenMixerKind"),
        };
    }

    /// <summary>A [T, T] boolean mask, true above the diagonal (the positions j &gt; i that row i must not read).</summary>
    internal static Tensor Future(int T, Device device)
    {
        var rows = Tensor.Arange(0, T, 1, DType.Int32, device).Unsqueeze(1); // [T, 1]
        var cols = Tensor.Arange(0, T, 1, DType.Int32, device);               // [T]
        return cols.Gt(rows);                                                  // [T, T]
    }

    /// <summary>Checks a mixer's input is [B, T, width] with T &lt;= contextLength; returns T.</summary>
    internal static int CheckInput(string mixer, Tensor x, int width, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Size(2) != width)
            throw new ArgumentException($"{mixer}: expected [B, T, C] with C = {width}, got shape [{string.Join(", ", x.Shape)}]", nameof(x));
        int T = x.Size(1);
        if (T > contextLength)
            throw new ArgumentException($"{mixer}: the sequence has {T} positions but the mixer was built for a context of {contextLength}; pass at most that many", nameof(x));
        return T;
    }
}
