// A GPT in one file, in the manner of nanoGPT: a config record, token and position embeddings, a stack of
// transformer blocks, a final norm, a language-model head and GPT-2 initialisation (sampling: GptSampling.cs).
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>How a <see cref="Gpt"/> tells positions apart.</summary>
public enum GptPositions
{
    /// <summary>A learned [ContextLength, Width] table added to the token embeddings (GPT-2).</summary>
    Learned,
    /// <summary>Rotary embeddings on the queries and keys of every attention layer (GPT-NeoX, Llama); no table.</summary>
    Rope,
}

/// <summary>
/// A GPT's shape and switches. The first five fields are its size; <see cref="MlpHidden"/> defaults to 4 Width. The
/// block switches are those of <see cref="BlockConfig"/> (see <see cref="TransformerBlock"/> for their equations);
/// attention is always causal. The defaults give GPT-2 as nanoGPT writes it (with exact GELU):
/// <c>new GptConfig(50257, 1024, 768, 12, 12)</c> is GPT-2 small with 124M parameters (tied head).
/// <see cref="LogitCap"/> soft-caps the output logits, <c>cap * tanh(logits / cap)</c> (Gemma 2 uses 30), and
/// <see cref="AttentionLogitCap"/> the attention logits of every block (Gemma 2: 50); null leaves them uncapped.
/// <para>Dropout, where GPT-2 (<c>embd_pdrop</c>, <c>attn_pdrop</c>, <c>resid_pdrop</c>) and nanoGPT put it:
/// <see cref="EmbeddingDropout"/> on the sum of token and position embeddings, <see cref="AttentionDropout"/> on the
/// attention probabilities, <see cref="ResidualDropout"/> on the output of every attention and MLP branch before it
/// joins the residual stream. All default to 0; <see cref="WithDropout"/> sets all three to one rate (nanoGPT's single
/// <c>dropout</c>). Dropout acts only in training mode (<see cref="Module.Train"/>); call <see cref="Module.Eval"/>
/// before evaluating or sampling, as in PyTorch.</para>
/// <para>GPT-2 exactly (Hugging Face <c>gpt2</c>: tanh GELU, "gelu_new") is
/// <c>new GptConfig(50257, 1024, 768, 12, 12, Activation: Activation.GeluTanh)</c>; see <see cref="Gpt2Checkpoints"/>.</para>
/// </summary>
public sealed record GptConfig(
    int VocabSize,
    int ContextLength,
    int Width,
    int Depth,
    int Heads,
    int? MlpHidden = null,
    GptPositions Positions = GptPositions.Learned,
    bool TiedHead = true,
    NormPlacement Norm = NormPlacement.Pre,
    NormKind NormKind = NormKind.LayerNorm,
    bool Parallel = false,
    ResidualKind Residual = ResidualKind.Standard,
    MlpKind Mlp = MlpKind.Plain,
    Activation Activation = Activation.Gelu,
    bool Bias = true,
    int? KvHeads = null,
    bool QkNorm = false,
    AttentionScale Scale = AttentionScale.InverseSqrt,
    double AttentionOutputScale = 1.0,
    double NormEps = 1e-5,
    double RopeBase = 10_000,
    double? LogitCap = null,
    double? AttentionLogitCap = null,
    double EmbeddingDropout = 0,
    double AttentionDropout = 0,
    double ResidualDropout = 0)
{
    /// <summary>The configuration every block of the model gets.</summary>
    public BlockConfig Block => new(Width, Heads, MlpHidden ?? 4 * Width, Norm, NormKind, Parallel, Residual, Depth, Mlp,
                                    Activation, Bias, Causal: true, KvHeads, Rope: Positions == GptPositions.Rope, QkNorm,
                                    Scale, AttentionOutputScale, NormEps, RopeBase, AttentionLogitCap, AttentionDropout, ResidualDropout);

    /// <summary>This config with one dropout rate <paramref name="p"/> on the embeddings, attention and residual paths (nanoGPT's <c>dropout</c>).</summary>
    public GptConfig WithDropout(double p) => this with { EmbeddingDropout = p, AttentionDropout = p, ResidualDropout = p };

    /// <summary>Whether any dropout rate is above 0.</summary>
    public bool HasDropout => EmbeddingDropout > 0 || AttentionDropout > 0 || ResidualDropout > 0;
}

/// <summary>
/// A decoder-only transformer language model: Int32 tokens [B, T] -> logits [B, T, VocabSize].
/// <code>
/// x = wte[tokens] (+ wpe[0 .. T-1])        [B, T, C]   (Rope: no table; attention rotates q and k)
/// x = h.0(x) ... h.{Depth-1}(x)           [B, T, C]
/// x = ln_f(x)                              only for the Pre and Double placements (Post blocks end normalised; ReZero has no norms)
/// logits = x wte^T  or  lm_head(x)         [B, T, V]   (TiedHead: the token embedding is the output matrix too)
/// logits = cap * tanh(logits / cap)        [B, T, V]   only with LogitCap
/// </code>
/// <para>GPT-2 initialisation: every Linear weight and embedding N(0, 0.02), biases 0, norms 1; the projections that
/// write into the residual stream (attention <c>out</c>, MLP <c>proj</c>/<c>down</c>) N(0, 0.02 / sqrt(2 Depth)), so
/// that the 2 Depth additions to the residual stream keep its variance near that of one.</para>
/// <para>Text generation (temperature, top-k, a <see cref="KvCache"/>) is <see cref="GptSampling.Generate"/>, called as
/// <c>gpt.Generate(...)</c>. GPT-2 checkpoints in the Hugging Face layout: <see cref="Gpt2Checkpoints"/>.</para>
/// </summary>
public sealed class Gpt : Module<Tensor, Tensor>
{
    public Gpt(GptConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        Config = config;
        DropoutGenerator = generator;
        int V = config.VocabSize, C = config.Width;
        var block = config.Block;

        TokenEmbedding = AddModule("wte", new Embedding(V, C, generator, dtype, device));
        if (config.Positions == GptPositions.Learned)
            PositionEmbedding = AddModule("wpe", new Embedding(config.ContextLength, C, generator, dtype, device));
        var blocks = AddModule("h", new BlockList());
        Blocks = Enumerable.Range(0, config.Depth).Select(i => blocks.Add(new TransformerBlock(block, generator, dtype, device))).ToArray();
        if (config.Norm != NormPlacement.Post && config.Residual != ResidualKind.ReZero)
            FinalNorm = AddModule<Module<Tensor, Tensor>>("ln_f", config.NormKind == NormKind.LayerNorm
                ? new LayerNorm(C, config.NormEps, config.Bias, dtype, device)
                : new RmsNorm(C, config.NormEps, dtype, device));
        if (!config.TiedHead) Head = AddModule("lm_head", new Linear(C, V, bias: false, generator, dtype, device));
        InitGpt2(generator);
    }

    public GptConfig Config { get; }
    public Embedding TokenEmbedding { get; }
    public Embedding? PositionEmbedding { get; }
    public IReadOnlyList<TransformerBlock> Blocks { get; }
    public Module<Tensor, Tensor>? FinalNorm { get; }
    /// <summary>The untied output projection [V, C]; null when <see cref="GptConfig.TiedHead"/> (the head is wte).</summary>
    public Linear? Head { get; }
    /// <summary>Where dropout masks are drawn from (the construction generator; null: <see cref="Generator.Default"/>).</summary>
    public Generator? DropoutGenerator { get; }

    public override Tensor Forward(Tensor tokens)
    {
        CheckTokens(tokens, nameof(tokens));
        if (tokens.Size(1) > Config.ContextLength)
            throw new ArgumentException($"Gpt: the input has T = {tokens.Size(1)} tokens but GptConfig.ContextLength = {Config.ContextLength}; " +
                                        "pass at most ContextLength tokens (Generate crops to the last ContextLength itself)", nameof(tokens));
        var x = Hidden(tokens);                                                      // [B, T] -> [B, T, C]
        return Logits(x);                                                            // [B, T, C] -> [B, T, V]
    }

    /// <summary>
    /// The residual stream after the last block and the final norm, [B, T, C]. With a <paramref name="cache"/>, the
    /// tokens are the positions after the cached ones (positions cache.Length .. cache.Length + T - 1), and every
    /// block appends their keys and values to it.
    /// </summary>
    internal Tensor Hidden(Tensor tokens, KvCache? cache = null)
    {
        int T = tokens.Size(1), offset = cache?.Length ?? 0;
        if (offset + T > Config.ContextLength)
            throw new ArgumentException($"Gpt: {T} new tokens after {offset} cached exceed GptConfig.ContextLength = {Config.ContextLength}", nameof(tokens));
        var x = TokenEmbedding.Call(tokens);                                         // [B, T] -> [B, T, C]
        if (PositionEmbedding is not null)
        {
            var positions = Tensor.Arange(offset, offset + T, 1, DType.Int32, tokens.Device); // [T]
            x = x + PositionEmbedding.Call(positions);                               // [B, T, C] + [T, C] -> [B, T, C]
        }
        x = Dropout.Apply(x, Config.EmbeddingDropout, DropoutGenerator, Training);   // [B, T, C], embedding dropout (training only)
        for (int i = 0; i < Blocks.Count; i++)                                       // [B, T, C]
        {
            var (block, layer) = (Blocks[i], cache?[i]);
            // The cached step still runs through the block's hooks, as every call of a module does.
            x = layer is null ? block.Call(x) : block.CallWith(x, h => block.Forward(h, layer));
        }
        return FinalNorm is null ? x : FinalNorm.Call(x);                           // [B, T, C]
    }

    /// <summary>[..., C] -> [..., V].</summary>
    internal Tensor Logits(Tensor x)
    {
        var logits = Head is null
            ? x.MatMul(TokenEmbedding.Weight.MT)                                     // [..., C] @ [C, V] -> [..., V]
            : Head.Call(x);                                                          // [..., C] -> [..., V]
        return Config.LogitCap is { } cap ? Functional.SoftCap(logits, cap) : logits; // [..., V], each in (-cap, cap)
    }

    /// <summary>GPT-2's initialisation (see the class summary), drawn from <paramref name="generator"/>.</summary>
    private void InitGpt2(Generator? generator)
    {
        const double std = 0.02;
        double residualStd = std / Math.Sqrt(2 * Config.Depth);
        var residualProjections = Blocks.SelectMany(b => new[] { b.Attention.Out.Weight, b.Mlp.Output.Weight })
                                        .ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in NamedModules())
        {
            switch (module)
            {
                case Linear linear:
                    Init.Normal(linear.Weight, residualProjections.Contains(linear.Weight) ? residualStd : std, generator: generator);
                    if (linear.Bias is { } bias) Init.Zeros(bias);
                    break;
                case Embedding embedding:
                    Init.Normal(embedding.Weight, std, generator: generator);
                    break;
            }
        }
    }

    internal static void CheckTokens(Tensor tokens, string name)
    {
        ArgumentNullException.ThrowIfNull(tokens, name);
        if (!tokens.DType.IsIndex())
            throw new ArgumentException($"Gpt: expected Int32 or Int64 token ids [B, T], got {tokens.DType}; convert with .To(DType.Int64)", name);
        if (tokens.Rank != 2 || tokens.Size(1) == 0)
            throw new ArgumentException($"Gpt: expected token ids [B, T] with T >= 1, got shape {Format(tokens.Shape)}", name);
    }

    private static void Validate(GptConfig c)
    {
        if (c.VocabSize <= 0) throw new ArgumentException($"GptConfig.VocabSize must be positive, got {c.VocabSize}", nameof(c));
        if (c.ContextLength <= 0) throw new ArgumentException($"GptConfig.ContextLength must be positive, got {c.ContextLength}", nameof(c));
        if (c.Width <= 0) throw new ArgumentException($"GptConfig.Width must be positive, got {c.Width}", nameof(c));
        if (c.Depth <= 0) throw new ArgumentException($"GptConfig.Depth must be positive, got {c.Depth}", nameof(c));
        if (c.Heads <= 0) throw new ArgumentException($"GptConfig.Heads must be positive, got {c.Heads}", nameof(c));
        if (c.Width % c.Heads != 0)
            throw new ArgumentException($"GptConfig.Heads = {c.Heads} must divide Width = {c.Width} (each head gets Width / Heads dims)", nameof(c));
        if (c.MlpHidden is <= 0) throw new ArgumentException($"GptConfig.MlpHidden must be positive, got {c.MlpHidden}", nameof(c));
        if (c.LogitCap is { } cap && !(cap > 0 && double.IsFinite(cap)))
            throw new ArgumentException($"GptConfig.LogitCap must be a positive number (30 is typical), got {cap}", nameof(c));
        foreach (var (name, p) in new[] { ("EmbeddingDropout", c.EmbeddingDropout), ("AttentionDropout", c.AttentionDropout), ("ResidualDropout", c.ResidualDropout) })
            if (p is not (>= 0 and <= 1)) throw new ArgumentException($"GptConfig.{name} must be a probability in [0, 1], got {p}", nameof(c));
        if (!Enum.IsDefined(c.Positions)) throw new ArgumentException($"GptConfig.Positions: unknown value {c.Positions}", nameof(c));
    }

    /// <summary>The blocks, registered as h.0, h.1, ... (nanoGPT's <c>transformer.h</c>).</summary>
    private sealed class BlockList : Module
    {
        private int _count;

        public TransformerBlock Add(TransformerBlock block) => AddModule((_count++).ToString(System.Globalization.CultureInfo.InvariantCulture), block);
    }
}
