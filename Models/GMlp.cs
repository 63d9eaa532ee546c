// gMLP (Liu et al. 2021, "Pay Attention to MLPs"): an MLP block whose hidden units are gated by a learned linear map
// across the sequence, the spatial gating unit. With the map masked to the lower triangle it is a language model.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// A gMLP with one of two front-ends, chosen by which fields are set (the static factories set them):
/// <list type="bullet">
/// <item>language model (<see cref="VocabSize"/>, <see cref="ContextLength"/>): tokens [B, T] (Int32, T &lt;= ContextLength)
/// -> embedding -> blocks -> LayerNorm -> logits [B, T, VocabSize]; <see cref="LanguageModel"/> makes it causal;</item>
/// <item>image classifier (<see cref="ImageSize"/>, <see cref="PatchSize"/>, <see cref="Channels"/>, <see cref="Classes"/>):
/// NHWC images -> patches -> Linear stem -> blocks -> LayerNorm -> mean over tokens -> zero-initialised head -> logits [B, Classes].</item>
/// </list>
/// Each block has a hidden width <see cref="FfnHidden"/> (the paper's d_ffn, even: the gate splits it in halves).
/// <see cref="Causal"/> masks the gate's n x n weight to its lower triangle so token t sees only tokens &lt;= t.
/// The gate weight starts uniform on ±<see cref="GateInitRange"/> / n (as lucidrains' g-mlp-pytorch, 1e-3 / n) and
/// its bias at 1, so every gate starts as (almost exactly) the identity.
/// </summary>
public sealed record GMlpConfig(
    int Width,
    int Depth,
    int FfnHidden,
    int VocabSize = 0,
    int ContextLength = 0,
    int ImageSize = 0,
    int PatchSize = 0,
    int Channels = 0,
    int Classes = 0,
    bool Causal = false,
    double GateInitRange = 1e-3,
    double NormEps = 1e-5)
{
    /// <summary>True for the token front-end (VocabSize set), false for the image classifier.</summary>
    public bool IsLanguageModel => VocabSize > 0;

    /// <summary>The sequence length n the spatial gate is built for: ContextLength, or the number of patches.</summary>
    public int SeqLen => IsLanguageModel ? ContextLength : (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>A causal gMLP language model over <paramref name="vocabSize"/> tokens with contexts of up to <paramref name="contextLength"/>.</summary>
    public static GMlpConfig LanguageModel(int vocabSize, int contextLength, int width, int depth, int ffnHidden, bool causal = true) =>
        new(width, depth, ffnHidden, VocabSize: vocabSize, ContextLength: contextLength, Causal: causal);

    /// <summary>A gMLP image classifier for square NHWC images.</summary>
    public static GMlpConfig ImageClassifier(int imageSize, int patchSize, int channels, int classes, int width, int depth, int ffnHidden) =>
        new(width, depth, ffnHidden, ImageSize: imageSize, PatchSize: patchSize, Channels: channels, Classes: classes);

    /// <summary>A small classifier for 28 x 28 MNIST digits: 7 x 7 patches (16 tokens), width 64, 4 blocks, d_ffn 256.</summary>
    public static GMlpConfig Mnist(int patch = 7, int classes = 10) => ImageClassifier(28, patch, 1, classes, 64, 4, 256);

    /// <summary>Throws an ArgumentException naming the first field that is out of range.</summary>
    public void Validate()
    {
        Positive(Width, nameof(Width));
        Positive(Depth, nameof(Depth));
        Positive(FfnHidden, nameof(FfnHidden));
        if (FfnHidden % 2 != 0)
            throw new ArgumentException($"GMlpConfig: FfnHidden ({FfnHidden}) must be even: the spatial gating unit splits it into two halves", nameof(FfnHidden));
        bool lm = VocabSize != 0 || ContextLength != 0;
        bool image = ImageSize != 0 || PatchSize != 0 || Channels != 0 || Classes != 0;
        if (lm == image)
            throw new ArgumentException("GMlpConfig: set either VocabSize and ContextLength (a language model) or ImageSize, PatchSize, " +
                                        "Channels and Classes (an image classifier), not both and not neither; " +
                                        "GMlpConfig.LanguageModel and GMlpConfig.ImageClassifier do this", lm ? nameof(ImageSize) : nameof(VocabSize));
        if (lm)
        {
            Positive(VocabSize, nameof(VocabSize));
            Positive(ContextLength, nameof(ContextLength));
        }
        else
        {
            Patches.Count(nameof(GMlpConfig), ImageSize, PatchSize, Channels);
            Positive(Classes, nameof(Classes));
        }
        if (!(GateInitRange >= 0)) throw new ArgumentOutOfRangeException(nameof(GateInitRange), GateInitRange, "GMlpConfig: GateInitRange must be >= 0");
        if (!(NormEps > 0)) throw new ArgumentOutOfRangeException(nameof(NormEps), NormEps, "GMlpConfig: NormEps must be positive");

        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"GMlpConfig: {name} must be positive");
        }
    }
}

/// <summary>
/// The spatial gating unit on Z [B, T, F]: split Z into halves Z1, Z2 [B, T, F/2]; <c>Z2' = W LN(Z2) + b</c> mixes
/// across the sequence axis (W [n, n], b [n], one gate value per position shared by all channels); the output is
/// <c>Z1 * Z2'</c> [B, T, F/2]. At W = 0 and b = 1 it is exactly Z1, so a fresh gMLP block is an ordinary MLP.
/// Causal: W is masked to its lower triangle (position i reads positions j &lt;= i), and a shorter sequence T &lt; n
/// uses the top-left T x T corner, which is exactly what a causal model over the first T tokens computes.
/// </summary>
public sealed class SpatialGatingUnit : Module<Tensor, Tensor>
{
    public SpatialGatingUnit(int hidden, int seqLen, bool causal = false, double initRange = 1e-3, double eps = 1e-5,
                             Generator? generator = null, DType dtype = DType.Float32, Device? device = null, bool tanh = false)
    {
        if (hidden <= 0 || hidden % 2 != 0)
            throw new ArgumentException($"SpatialGatingUnit: hidden must be positive and even (it is split in halves), got {hidden}", nameof(hidden));
        if (seqLen <= 0) throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, "SpatialGatingUnit: seqLen must be positive");
        Hidden = hidden;
        SeqLen = seqLen;
        Causal = causal;
        Tanh = tanh;
        Norm = AddModule("norm", new LayerNorm(hidden / 2, eps, dtype: dtype, device: device));
        double r = initRange / seqLen;
        Weight = AddParameter("weight", Tensor.Uniform([seqLen, seqLen], -r, r, generator, dtype, device)); // (n, n)
        Bias = AddParameter("bias", Tensor.Ones([seqLen], dtype, device));                                  // (n)
    }

    public int Hidden { get; }
    public int SeqLen { get; }
    public bool Causal { get; }
    /// <summary>The tanh-constrained gate: <c>Z2' = tanh(W LN(Z2) + b)</c>, bounded in (-1, 1).</summary>
    public bool Tanh { get; }
    public LayerNorm Norm { get; }
    public Tensor Weight { get; }   // [n, n]: row i says how much position i reads from each position j
    public Tensor Bias { get; }     // [n]

    public override Tensor Forward(Tensor z)
    {
        if (z.Rank != 3 || z.Size(2) != Hidden)
            throw new ArgumentException($"SpatialGatingUnit: expected [B, T, {Hidden}], got shape {Format(z.Shape)}", nameof(z));
        int T = z.Size(1);
        if (T > SeqLen || (!Causal && T != SeqLen))
            throw new ArgumentException($"SpatialGatingUnit: the sequence has {T} positions but the gate was built for {SeqLen} " +
                                        (Causal ? "(at most that many)" : "(exactly that many; only a causal gate takes shorter sequences)"), nameof(z));
        var halves = z.Chunk(2, dim: -1);
        Tensor z1 = halves[0], z2 = Norm.Call(halves[1]);    // (B, T, F/2) each
        var w = T == SeqLen ? Weight : Weight[..T, ..T];     // (T, T)
        var b = T == SeqLen ? Bias : Bias[..T];              // (T)
        if (Causal) w = w.Tril();                            // position i mixes positions j <= i only
        var gate = w.MatMul(z2) + b.Unsqueeze(-1);           // (T, T) @ (B, T, F/2) -> (B, T, F/2); b as (T, 1)
        if (Tanh) gate = gate.Tanh();                        // (B, T, F/2), the tanh-constrained variant
        return z1 * gate;                                    // (B, T, F/2)
    }
}

/// <summary>One gMLP block on [B, T, C]: <c>Z = gelu(LN(X) U)</c>, <c>X += SGU(Z) V</c> (U: C -> F, V: F/2 -> C; exact GELU).</summary>
public sealed class GMlpBlock : Module<Tensor, Tensor>
{
    public GMlpBlock(int width, int hidden, int seqLen, bool causal = false, double gateInitRange = 1e-3, double eps = 1e-5,
                     Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        Norm = AddModule("norm", new LayerNorm(width, eps, dtype: dtype, device: device));
        ProjIn = AddModule("proj_in", new Linear(width, hidden, generator: generator, dtype: dtype, device: device));
        Sgu = AddModule("sgu", new SpatialGatingUnit(hidden, seqLen, causal, gateInitRange, eps, generator, dtype, device));
        ProjOut = AddModule("proj_out", new Linear(hidden / 2, width, generator: generator, dtype: dtype, device: device));
    }

    public int Width { get; }
    public LayerNorm Norm { get; }
    public Linear ProjIn { get; }       // U: C -> F
    public SpatialGatingUnit Sgu { get; }
    public Linear ProjOut { get; }      // V: F/2 -> C

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 3 || x.Size(2) != Width)
            throw new ArgumentException($"GMlpBlock: expected [B, T, {Width}], got shape {Format(x.Shape)}", nameof(x));
        var z = ProjIn.Call(Norm.Call(x)).Gelu();   // (B, T, F)
        return x + ProjOut.Call(Sgu.Call(z));        // (B, T, F/2) -> (B, T, C)
    }
}

/// <summary>
/// gMLP, as a language model or an image classifier (see <see cref="GMlpConfig"/>). No position embeddings: the
/// spatial gates see positions directly. The token embedding is N(0, 1) (PyTorch's default), Linear layers keep
/// PyTorch's default initialisation, and the head (either front-end) starts at zero, so the first logits are all 0
/// (a language model's first loss is exactly ln VocabSize).
/// </summary>
public sealed class GMlp : Module<Tensor, Tensor>, IImageFeatures
{
    public GMlp(GMlpConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        if (config.IsLanguageModel)
            TokenEmbedding = AddModule("wte", new Embedding(config.VocabSize, config.Width, generator, dtype, device));
        else
            Stem = AddModule("stem", new Linear(config.PatchSize * config.PatchSize * config.Channels, config.Width, generator: generator, dtype: dtype, device: device));
        Blocks = AddModule("blocks", new ModuleList<GMlpBlock>(Enumerable.Range(0, config.Depth).Select(_ =>
            new GMlpBlock(config.Width, config.FfnHidden, config.SeqLen, config.Causal, config.GateInitRange, config.NormEps, generator, dtype, device))));
        Norm = AddModule("norm", new LayerNorm(config.Width, config.NormEps, dtype: dtype, device: device));
        int outputs = config.IsLanguageModel ? config.VocabSize : config.Classes;
        Head = AddModule("head", new Linear(config.Width, outputs, generator: generator, dtype: dtype, device: device));
        Init.Zeros(Head.Weight);
        Init.Zeros(Head.Bias!);
    }

    public GMlpConfig Config { get; }
    public Embedding? TokenEmbedding { get; }   // language model
    public Linear? Stem { get; }                // image classifier
    public ModuleList<GMlpBlock> Blocks { get; }
    public LayerNorm Norm { get; }
    public Linear Head { get; }

    public int FeatureWidth => Config.Width;

    /// <summary>
    /// An image classifier's NHWC images [B, H, W, C] to the vector the head reads, [B, Width]: blocks, LayerNorm, mean
    /// over tokens (timm's <c>forward_head(forward_features(x), pre_logits=True)</c>). A language model has no pooled
    /// vector: its head reads every position; this throws an InvalidOperationException for one.
    /// </summary>
    public Tensor Features(Tensor images)
    {
        if (Config.IsLanguageModel)
            throw new InvalidOperationException("GMlp.Features: this gMLP is a language model, whose head reads every position, so it has no pooled " +
                                                "image features; build it with GMlpConfig.ImageClassifier to get them");
        return Body(images).Mean(1);                                   // (B, N, C) -> (B, C)
    }

    /// <summary>Tokens [B, T] to logits [B, T, VocabSize], or NHWC images [B, H, W, C] to logits [B, Classes] (<c>Head(Features(images))</c>).</summary>
    public override Tensor Forward(Tensor input) =>
        Config.IsLanguageModel ? Head.Call(Body(input)) : Head.Call(Features(input)); // (B, T, C) -> (B, T, V); (B, C) -> (B, Classes)

    /// <summary>The blocks and the final LayerNorm over the embedded tokens or patches: [B, T, Width].</summary>
    private Tensor Body(Tensor input)
    {
        Tensor x;
        if (TokenEmbedding is not null)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Rank != 2 || !input.DType.IsIndex())
                throw new ArgumentException($"GMlp: a language model takes Int32 or Int64 tokens [B, T], got {input.DType} of shape {Format(input.Shape)}", nameof(input));
            int T = input.Size(1), n = Config.ContextLength;
            if (T > n || (!Config.Causal && T != n))
                throw new ArgumentException($"GMlp: the sequence has {T} tokens but ContextLength is {n} " +
                                            (Config.Causal ? "(a causal model takes at most ContextLength)" : "(a non-causal model takes exactly ContextLength)"), nameof(input));
            x = TokenEmbedding.Call(input);                            // (B, T, C)
        }
        else
        {
            Patches.CheckImages(nameof(GMlp), input, Config.ImageSize, Config.Channels);
            x = Stem!.Call(Patches.Extract(input, Config.PatchSize));  // (B, N, P*P*C) -> (B, N, C)
        }
        foreach (var block in Blocks) x = block.Call(x);               // (B, T, C)
        return Norm.Call(x);                                           // (B, T, C)
    }
}
