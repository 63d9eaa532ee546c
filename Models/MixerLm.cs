// A character-level (or any token-level) language model whose token mixer is a switch: attention, MLP-Mixer, gMLP,
// Synthesizers or CONTAINER, each compared at an equal parameter count (MixerLmConfig.MatchParameters).
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// A <see cref="MixerLm"/>: <see cref="VocabSize"/> tokens, contexts up to <see cref="ContextLength"/>, residual
/// width <see cref="Width"/>, <see cref="Depth"/> blocks whose token mixer is <see cref="Mixer"/> with
/// <see cref="Heads"/> heads. <see cref="MlpHidden"/> is the channel MLP's hidden width, or gMLP's d_ffn (even) for the
/// gMLP kinds. <see cref="ReZero"/>: no norms, each branch joins as <c>x + alpha f(x)</c> with alpha starting at 0.
/// <see cref="Positions"/>: learned position embeddings; null means the mixer's default
/// (<see cref="TokenMixers.NeedsPositions"/>).
/// </summary>
public sealed record MixerLmConfig(
    int VocabSize,
    int ContextLength,
    int Width,
    int Depth,
    TokenMixerKind Mixer = TokenMixerKind.Attention,
    int Heads = 1,
    int MlpHidden = 0,
    bool ReZero = false,
    bool? Positions = null,
    double NormEps = 1e-5)
{
    /// <summary>Whether the model adds learned position embeddings.</summary>
    public bool LearnedPositions => Positions ?? TokenMixers.NeedsPositions(Mixer);

    /// <summary>MlpHidden, or its default: 4 Width for the channel MLP, 6 Width for gMLP's d_ffn (the gMLP paper's ratio).</summary>
    public int Hidden => MlpHidden > 0 ? MlpHidden : TokenMixers.IsGated(Mixer) ? 6 * Width : 4 * Width;

    /// <summary>Throws an ArgumentException naming the first field that is out of range.</summary>
    public void Validate()
    {
        Positive(VocabSize, nameof(VocabSize));
        Positive(ContextLength, nameof(ContextLength));
        Positive(Width, nameof(Width));
        Positive(Depth, nameof(Depth));
        Positive(Heads, nameof(Heads));
        if (MlpHidden < 0) throw new ArgumentOutOfRangeException(nameof(MlpHidden), MlpHidden, "MixerLmConfig: MlpHidden must be positive (or 0 for the default)");
        if (!Enum.IsDefined(Mixer)) throw new ArgumentOutOfRangeException(nameof(Mixer), Mixer, "MixerLmConfig: unknown TokenMixerKind");
        if (TokenMixers.IsGated(Mixer))
        {
            if (Hidden % 2 != 0)
                throw new ArgumentException($"MixerLmConfig: MlpHidden ({Hidden}) must be even for {Mixer}: the spatial gating unit splits it in halves", nameof(MlpHidden));
        }
        else if (Width % Heads != 0)
            throw new ArgumentException($"MixerLmConfig: Heads ({Heads}) must divide Width ({Width}): each head gets Width / Heads channels", nameof(Heads));
        if (!(NormEps > 0)) throw new ArgumentOutOfRangeException(nameof(NormEps), NormEps, "MixerLmConfig: NormEps must be positive");

        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"MixerLmConfig: {name} must be positive");
        }
    }

    /// <summary>The model's parameter count, from the architecture (equal to <c>new MixerLm(this).ParameterCount()</c>).</summary>
    public long ParameterCount()
    {
        long C = Width, V = VocabSize, n = ContextLength, F = Hidden;
        bool gated = TokenMixers.IsGated(Mixer);
        long norm = ReZero ? 0 : 2 * C;                                                     // one LayerNorm(C)
        long mixer = TokenMixers.ParameterCount(Mixer, Width, ContextLength, Heads, gated ? Hidden : 0);
        long block = norm + mixer + (ReZero ? 1 : 0);                                      // ln_1, mixer (, alpha_1)
        if (!gated) block += norm + (C * F + F) + (F * C + C) + (ReZero ? 1 : 0);         // ln_2, mlp fc and proj (, alpha_2)
        return V * C + (LearnedPositions ? n * C : 0) + Depth * block + (ReZero ? 0 : 2 * C) + (C * V + V); // wte, wpe, blocks, ln_f, head
    }

    /// <summary>
    /// The config nearest <paramref name="target"/> parameters (within <paramref name="tolerance"/>, 5% by default)
    /// that keeps everything of <paramref name="template"/> but Width and MlpHidden: Width is a multiple of
    /// <paramref name="widthMultiple"/> (and of Heads), MlpHidden is solved from the count (it is linear in it), and of
    /// the widths that land, the one whose MlpHidden / Width ratio is nearest the template's ratio wins, so every mixer
    /// keeps the same shape of block while the parameter counts match. Throws when no width lands.
    /// </summary>
    public static MixerLmConfig MatchParameters(long target, MixerLmConfig template, int widthMultiple = 2, double tolerance = 0.05)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (target <= 0) throw new ArgumentOutOfRangeException(nameof(target), target, "MixerLmConfig.MatchParameters: target must be positive");
        if (widthMultiple <= 0) throw new ArgumentOutOfRangeException(nameof(widthMultiple), widthMultiple, "MixerLmConfig.MatchParameters: widthMultiple must be positive");
        bool gated = TokenMixers.IsGated(template.Mixer);
        double ratio = (double)template.Hidden / template.Width;
        int step = gated ? widthMultiple : Lcm(widthMultiple, template.Heads);
        int hiddenStep = gated ? 2 : 1;
        MixerLmConfig? best = null;
        double bestScore = double.PositiveInfinity;
        for (int width = step; width <= 1 << 16; width += step)
        {
            var probe = template with { Width = width, MlpHidden = hiddenStep };
            long p1 = probe.ParameterCount(), p2 = (probe with { MlpHidden = 2 * hiddenStep }).ParameterCount();
            if (p1 > target * (1 + tolerance)) break;                                      // wider only grows
            double perUnit = (p2 - p1) / (double)hiddenStep;                               // parameters per hidden unit
            long hidden = (long)Math.Round((target - (p1 - perUnit * hiddenStep)) / perUnit / hiddenStep) * hiddenStep;
            hidden = Math.Max(hiddenStep, hidden);
            if (hidden > int.MaxValue) continue;
            var candidate = template with { Width = width, MlpHidden = (int)hidden };
            double error = Math.Abs(candidate.ParameterCount() - target) / (double)target;
            if (error > tolerance) continue;
            double score = Math.Abs(Math.Log(hidden / (double)width / ratio));
            if (score < bestScore) (best, bestScore) = (candidate, score);
        }
        return best ?? throw new ArgumentException(
            $"MixerLmConfig.MatchParameters: no width (multiple of {step}) brings {template.Mixer} within {tolerance:P0} of {target:N0} parameters; " +
            "the embeddings, head or the context-sized weights alone may exceed it: raise the target or shrink VocabSize or ContextLength", nameof(target));

        static int Lcm(int a, int b)
        {
            int x = a, y = b;
            while (y != 0) (x, y) = (y, x % y);
            return a / x * b;
        }
    }
}

/// <summary>
/// One block of a <see cref="MixerLm"/>, [B, T, C] -> [B, T, C]:
/// <code>
/// mixer + MLP   x = x + M(LN1 x);   x = x + MLP(LN2 x)        MLP = fc, GELU, proj (hidden MlpHidden)
/// gMLP          x = x + G(LN1 x)                              G = proj up, GELU, spatial gate, proj down
/// ReZero        LN = identity and each join is x + alpha f (alpha [1], starting at 0), as TransformerBlock's ReZero
/// </code>
/// Names: <c>ln_1</c>, <c>mixer</c>, <c>ln_2</c>, <c>mlp</c>, <c>alpha_1</c>, <c>alpha_2</c>.
/// </summary>
public sealed class MixerLmBlock : Module<Tensor, Tensor>
{
    public MixerLmBlock(MixerLmConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        int C = config.Width;
        bool gated = TokenMixers.IsGated(config.Mixer);
        if (!config.ReZero) Norm1 = AddModule("ln_1", new LayerNorm(C, config.NormEps, dtype: dtype, device: device));
        Mixer = AddModule("mixer", TokenMixers.Create(config.Mixer, C, config.ContextLength, config.Heads, gated ? config.Hidden : 0, generator, dtype, device));
        if (config.ReZero) Alpha1 = AddParameter("alpha_1", Tensor.Zeros([1], dtype, device));
        if (!gated)
        {
            if (!config.ReZero) Norm2 = AddModule("ln_2", new LayerNorm(C, config.NormEps, dtype: dtype, device: device));
            Mlp = AddModule("mlp", new Mlp(C, config.Hidden, generator: generator, dtype: dtype, device: device));
            if (config.ReZero) Alpha2 = AddParameter("alpha_2", Tensor.Zeros([1], dtype, device));
        }
    }

    public MixerLmConfig Config { get; }
    public LayerNorm? Norm1 { get; }
    public Module<Tensor, Tensor> Mixer { get; }
    public LayerNorm? Norm2 { get; }
    /// <summary>The channel MLP; absent for the gMLP kinds (their mixer is the whole block body).</summary>
    public Mlp? Mlp { get; }
    public Tensor? Alpha1 { get; }
    public Tensor? Alpha2 { get; }

    public override Tensor Forward(Tensor x)
    {
        x = Join(x, Mixer.Call(Norm1 is null ? x : Norm1.Call(x)), Alpha1);             // [B, T, C]
        if (Mlp is null) return x;
        return Join(x, Mlp.Call(Norm2 is null ? x : Norm2.Call(x)), Alpha2);            // [B, T, C]
    }

    private static Tensor Join(Tensor x, Tensor f, Tensor? alpha) => alpha is null ? x + f : x + alpha * f;
}

/// <summary>
/// A causal language model with a switchable token mixer: tokens [B, T] (Int32, T &lt;= ContextLength) -> token
/// embedding (+ learned positions when <see cref="MixerLmConfig.LearnedPositions"/>) -> Depth <see cref="MixerLmBlock"/>s
/// -> final LayerNorm (none under ReZero) -> Linear head -> logits [B, T, VocabSize]. Embeddings start N(0, 0.02^2);
/// the head starts at zero, so the first loss is exactly ln VocabSize; the mixers keep their own initialisation.
/// Names: <c>wte</c>, <c>wpe</c>, <c>h.i</c>, <c>ln_f</c>, <c>lm_head</c>.
/// </summary>
public sealed class MixerLm : Module<Tensor, Tensor>
{
    public MixerLm(MixerLmConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int V = config.VocabSize, C = config.Width;
        TokenEmbedding = AddModule("wte", new Embedding(V, C, generator, dtype, device));
        Init.Normal(TokenEmbedding.Weight, 0.02, generator: generator);
        if (config.LearnedPositions)
        {
            PositionEmbedding = AddModule("wpe", new Embedding(config.ContextLength, C, generator, dtype, device));
            Init.Normal(PositionEmbedding.Weight, 0.02, generator: generator);
        }
        Blocks = AddModule("h", new ModuleList<MixerLmBlock>(Enumerable.Range(0, config.Depth).Select(_ => new MixerLmBlock(config, generator, dtype, device))));
        if (!config.ReZero) FinalNorm = AddModule("ln_f", new LayerNorm(C, config.NormEps, dtype: dtype, device: device));
        Head = AddModule("lm_head", new Linear(C, V, generator: generator, dtype: dtype, device: device));
        Init.Zeros(Head.Weight);
        Init.Zeros(Head.Bias!);
    }

    public MixerLmConfig Config { get; }
    public Embedding TokenEmbedding { get; }
    public Embedding? PositionEmbedding { get; }
    public ModuleList<MixerLmBlock> Blocks { get; }
    public LayerNorm? FinalNorm { get; }
    public Linear Head { get; }

    /// <summary>Tokens [B, T] (Int32, T &lt;= ContextLength) to logits [B, T, VocabSize].</summary>
    public override Tensor Forward(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank != 2 || !tokens.DType.IsIndex())
            throw new ArgumentException($"MixerLm: expected Int32 or Int64 tokens [B, T], got {tokens.DType} of shape {Format(tokens.Shape)}", nameof(tokens));
        int T = tokens.Size(1);
        if (T > Config.ContextLength)
            throw new ArgumentException($"MixerLm: the input has T = {T} tokens but ContextLength = {Config.ContextLength}; pass at most ContextLength tokens", nameof(tokens));
        var x = TokenEmbedding.Call(tokens);                                         // [B, T] -> [B, T, C]
        if (PositionEmbedding is not null)
        {
            var positions = Tensor.Arange(0, T, 1, DType.Int32, tokens.Device);     // [T]
            x = x + PositionEmbedding.Call(positions);                               // [B, T, C] + [T, C] -> [B, T, C]
        }
        foreach (var block in Blocks) x = block.Call(x);                            // [B, T, C]
        if (FinalNorm is not null) x = FinalNorm.Call(x);                           // [B, T, C]
        return Head.Call(x);                                                         // [B, T, V]
    }
}
