// The switches of a transformer block: every variant the field argues about is one field a learner can flip.
namespace DotGrad.Models;

/// <summary>Where the norms sit around each sub-layer F (attention or MLP).</summary>
public enum NormPlacement
{
    /// <summary><c>x += F(Norm(x))</c>, with a final norm after the last block (GPT-2, ViT).</summary>
    Pre,
    /// <summary><c>x = Norm(x + F(x))</c> (the original Transformer, BERT).</summary>
    Post,
    /// <summary><c>x += PostNorm(F(PreNorm(x)))</c>: a norm on both sides of F.</summary>
    Double,
}

/// <summary>Which normalisation the block uses.</summary>
public enum NormKind
{
    LayerNorm,
    RmsNorm,
}

/// <summary>How a sub-layer's output joins the residual stream.</summary>
public enum ResidualKind
{
    /// <summary><c>x + F(x)</c>.</summary>
    Standard,
    /// <summary><c>x + alpha * F(x)</c> with a learned scalar alpha initialised to 0, and no norm (ReZero).</summary>
    ReZero,
    /// <summary><c>(1 - s) x + s F(x)</c> with s = 1 / (2 depth) (the dualized models).</summary>
    Scaled,
}

/// <summary>The feed-forward sub-layer.</summary>
public enum MlpKind
{
    /// <summary><c>W2 act(W1 x)</c> with the block's activation.</summary>
    Plain,
    /// <summary><c>Wd (silu(Wg x) * (Wu x))</c>.</summary>
    SwiGlu,
    /// <summary><c>Wd (gelu(Wg x) * (Wu x))</c>.</summary>
    GeGlu,
}

/// <summary>Elementwise activations, named as in PyTorch where they exist there.</summary>
public enum Activation
{
    /// <summary>GELU with erf (PyTorch's default <c>approximate='none'</c>).</summary>
    Gelu,
    /// <summary>GELU's tanh approximation (<c>approximate='tanh'</c>; flax's default).</summary>
    GeluTanh,
    /// <summary><c>gelu(x) / 1.1289</c>: slope at most 1 (the dualized models).</summary>
    ScaledGelu,
    Relu,
    Silu,
}

/// <summary>How attention logits are scaled.</summary>
public enum AttentionScale
{
    /// <summary>1 / sqrt(head dim), the standard.</summary>
    InverseSqrt,
    /// <summary>1 / head dim (muP, modula).</summary>
    Inverse,
}

/// <summary>
/// Multi-head attention: <see cref="Heads"/> query heads of size Width / Heads, <see cref="KvHeads"/> key/value heads
/// (null: as many as query heads; 1: multi-query; between: grouped-query), optional causal mask, RoPE (half-split,
/// base <see cref="RopeBase"/>), QK-norm (an RMS norm on each head's queries and keys), logit scale, a constant
/// multiplier on the output (<see cref="OutputScale"/>: 1/3 in the dualized ViT), biases on the projections, and
/// soft-capped logits (<see cref="LogitCap"/>: <c>cap * tanh(logits / cap)</c> before the mask, as Gemma 2; null: off),
/// and dropout on the attention probabilities (<see cref="Dropout"/>, GPT-2's <c>attn_pdrop</c>; 0: off; active only
/// in training mode).
/// </summary>
public sealed record AttentionConfig(
    int Width,
    int Heads,
    int? KvHeads = null,
    bool Causal = false,
    bool Rope = false,
    double RopeBase = 10_000,
    bool QkNorm = false,
    AttentionScale Scale = AttentionScale.InverseSqrt,
    double OutputScale = 1.0,
    bool Bias = true,
    double? LogitCap = null,
    double Dropout = 0);

/// <summary>
/// One transformer block. Input and output are [batch, tokens, Width]. <see cref="Depth"/> is the model's number of
/// blocks (used by the scaled residual, s = 1 / (2 Depth)). <see cref="MlpHidden"/> is the MLP's hidden width (for
/// gated MLPs the width of each of the two projections). <see cref="NormEps"/>: 1e-5 as PyTorch, 1e-6 as flax.
/// <see cref="RopeBase"/>: the RoPE frequency base when <see cref="Rope"/> (10,000; Llama 3 uses 500,000).
/// <see cref="AttentionDropout"/> drops attention probabilities and <see cref="ResidualDropout"/> each branch's output
/// before it joins the residual stream (GPT-2's <c>attn_pdrop</c> and <c>resid_pdrop</c>); both default to 0 and act
/// only in training mode.
/// </summary>
public sealed record BlockConfig(
    int Width,
    int Heads,
    int MlpHidden,
    NormPlacement Norm = NormPlacement.Pre,
    NormKind NormKind = NormKind.LayerNorm,
    bool Parallel = false,
    ResidualKind Residual = ResidualKind.Standard,
    int Depth = 1,
    MlpKind Mlp = MlpKind.Plain,
    Activation Activation = Activation.Gelu,
    bool Bias = true,
    bool Causal = false,
    int? KvHeads = null,
    bool Rope = false,
    bool QkNorm = false,
    AttentionScale Scale = AttentionScale.InverseSqrt,
    double AttentionOutputScale = 1.0,
    double NormEps = 1e-5,
    double RopeBase = 10_000,
    double? AttentionLogitCap = null,
    double AttentionDropout = 0,
    double ResidualDropout = 0)
{
    /// <summary>The attention part of this block's configuration.</summary>
    public AttentionConfig Attention => new(Width, Heads, KvHeads, Causal, Rope, RopeBase, QkNorm, Scale, AttentionOutputScale, Bias, AttentionLogitCap,
                                            AttentionDropout);
}
