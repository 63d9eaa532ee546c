// MLP-Mixer (Tolstikhin et al. 2021): no attention, only MLPs. Each block mixes across tokens (one MLP shared by all
// channels, applied to the transposed sequence), then across channels (one MLP shared by all tokens).
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// An MLP-Mixer for square NHWC images [B, ImageSize, ImageSize, Channels]: PatchSize x PatchSize patches,
/// <see cref="Width"/> channels per token, <see cref="Depth"/> blocks with token-mixing MLPs of hidden size
/// <see cref="TokenMlpHidden"/> (the paper's D_S) and channel-mixing MLPs of hidden size <see cref="ChannelMlpHidden"/>
/// (D_C), and <see cref="Classes"/> outputs. <see cref="NormEps"/> is flax's 1e-6, as in the paper's code.
/// </summary>
public sealed record MlpMixerConfig(
    int ImageSize,
    int PatchSize,
    int Channels,
    int Width,
    int Depth,
    int TokenMlpHidden,
    int ChannelMlpHidden,
    int Classes,
    double NormEps = 1e-6)
{
    /// <summary>The number of tokens N = (ImageSize / PatchSize)^2.</summary>
    public int Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>The length of a flattened patch, PatchSize^2 Channels.</summary>
    public int PatchDim => PatchSize * PatchSize * Channels;

    /// <summary>Throws an ArgumentException naming the first field that is out of range.</summary>
    public void Validate()
    {
        Patches.Count(nameof(MlpMixerConfig), ImageSize, PatchSize, Channels);
        Positive(Width, nameof(Width));
        Positive(Depth, nameof(Depth));
        Positive(TokenMlpHidden, nameof(TokenMlpHidden));
        Positive(ChannelMlpHidden, nameof(ChannelMlpHidden));
        Positive(Classes, nameof(Classes));
        if (!(NormEps > 0)) throw new ArgumentOutOfRangeException(nameof(NormEps), NormEps, "MlpMixerConfig: NormEps must be positive");

        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"MlpMixerConfig: {name} must be positive");
        }
    }

    // The paper's shapes (Table 1): width C, depth, D_S, D_C. Mixer-S/16 is S(16, classes).
    public static MlpMixerConfig S(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, 512, 8, 256, 2048, classes);
    public static MlpMixerConfig B(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, 768, 12, 384, 3072, classes);
    public static MlpMixerConfig L(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, 1024, 24, 512, 4096, classes);

    /// <summary>A small Mixer for 28 x 28 grey MNIST digits: 7 x 7 patches (16 tokens), width 64, 4 blocks.</summary>
    public static MlpMixerConfig Mnist(int patch = 7, int classes = 10) => new(28, patch, 1, 64, 4, 32, 256, classes);
}

/// <summary>
/// One Mixer block on [B, N, C]: <c>x += W2 gelu(W1 LN(x)^T)</c> across tokens (the MLP maps each channel's N values
/// to N values), then <c>x += W2 gelu(W1 LN(x))</c> across channels. GELU is the exact (erf) one.
/// </summary>
public sealed class MixerBlock : Module<Tensor, Tensor>
{
    public MixerBlock(int tokens, int width, int tokenHidden, int channelHidden, double eps = 1e-6, Generator? generator = null,
                      DType dtype = DType.Float32, Device? device = null)
    {
        Tokens = tokens;
        Width = width;
        Norm1 = AddModule("norm1", new LayerNorm(width, eps, dtype: dtype, device: device));
        TokenFc1 = AddModule("token_fc1", new Linear(tokens, tokenHidden, generator: generator, dtype: dtype, device: device));
        TokenFc2 = AddModule("token_fc2", new Linear(tokenHidden, tokens, generator: generator, dtype: dtype, device: device));
        Norm2 = AddModule("norm2", new LayerNorm(width, eps, dtype: dtype, device: device));
        ChannelFc1 = AddModule("channel_fc1", new Linear(width, channelHidden, generator: generator, dtype: dtype, device: device));
        ChannelFc2 = AddModule("channel_fc2", new Linear(channelHidden, width, generator: generator, dtype: dtype, device: device));
    }

    public int Tokens { get; }
    public int Width { get; }
    public LayerNorm Norm1 { get; }
    public Linear TokenFc1 { get; }    // N -> D_S
    public Linear TokenFc2 { get; }    // D_S -> N
    public LayerNorm Norm2 { get; }
    public Linear ChannelFc1 { get; }  // C -> D_C
    public Linear ChannelFc2 { get; }  // D_C -> C

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 3 || x.Size(1) != Tokens || x.Size(2) != Width)
            throw new ArgumentException($"MixerBlock: expected [B, {Tokens}, {Width}] (tokens, width), got shape {Format(x.Shape)}", nameof(x));
        // token mixing: the same MLP runs over the token axis of every channel
        var y = Norm1.Call(x).Transpose(1, 2);              // (B, C, N)
        y = TokenFc2.Call(TokenFc1.Call(y).Gelu());         // (B, C, D_S) -> (B, C, N)
        x = x + y.Transpose(1, 2);                          // (B, N, C)
        // channel mixing: the same MLP runs over the channels of every token
        var h = ChannelFc1.Call(Norm2.Call(x)).Gelu();      // (B, N, D_C)
        return x + ChannelFc2.Call(h);                      // (B, N, C)
    }
}

/// <summary>
/// MLP-Mixer: images [B, H, W, C] -> patches [B, N, P*P*C] ((ph, pw, c) order, see <see cref="Patches.Extract(Tensor, int)"/>)
/// -> a per-patch Linear stem [B, N, Width] -> blocks -> LayerNorm -> mean over tokens -> a zero-initialised Linear
/// head -> logits [B, Classes]. There are no position embeddings: the token-mixing MLP sees positions directly.
/// Linear layers keep PyTorch's default initialisation; the head starts at zero, so the first logits are all 0.
/// </summary>
public sealed class MlpMixer : Module<Tensor, Tensor>, IImageFeatures
{
    public MlpMixer(MlpMixerConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Stem = AddModule("stem", new Linear(config.PatchDim, config.Width, generator: generator, dtype: dtype, device: device));
        Blocks = AddModule("blocks", new ModuleList<MixerBlock>(Enumerable.Range(0, config.Depth).Select(_ =>
            new MixerBlock(config.Tokens, config.Width, config.TokenMlpHidden, config.ChannelMlpHidden, config.NormEps, generator, dtype, device))));
        Norm = AddModule("norm", new LayerNorm(config.Width, config.NormEps, dtype: dtype, device: device));
        Head = AddModule("head", new Linear(config.Width, config.Classes, generator: generator, dtype: dtype, device: device));
        Init.Zeros(Head.Weight);
        Init.Zeros(Head.Bias!);
    }

    public MlpMixerConfig Config { get; }
    public Linear Stem { get; }
    public ModuleList<MixerBlock> Blocks { get; }
    public LayerNorm Norm { get; }
    public Linear Head { get; }

    public int FeatureWidth => Config.Width;

    /// <summary>
    /// NHWC images [B, ImageSize, ImageSize, Channels] to the vector the head reads, [B, Width]: blocks, LayerNorm,
    /// mean over tokens (timm's <c>forward_head(forward_features(x), pre_logits=True)</c>).
    /// </summary>
    public Tensor Features(Tensor images)
    {
        Patches.CheckImages(nameof(MlpMixer), images, Config.ImageSize, Config.Channels);
        var x = Stem.Call(Patches.Extract(images, Config.PatchSize)); // (B, N, P*P*C) -> (B, N, C)
        foreach (var block in Blocks) x = block.Call(x);               // (B, N, C)
        return Norm.Call(x).Mean(1);                                   // (B, C)
    }

    /// <summary>NHWC images [B, ImageSize, ImageSize, Channels] to logits [B, Classes]: <c>Head(Features(images))</c>.</summary>
    public override Tensor Forward(Tensor images) => Head.Call(Features(images)); // (B, C) -> (B, Classes)
}
