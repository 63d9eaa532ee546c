// The Vision Transformer (Dosovitskiy et al. 2021) as big_vision writes it: NHWC patches, learned or sincos2d
// positions added before the cls token, transformer blocks, a final norm, a tok/gap/map head and a zero classifier.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>How a ViT tells its tokens' positions apart.</summary>
public enum VitPositions
{
    /// <summary>A learned [1, N, Width] table, initialised N(0, 1/Width) (std 1/sqrt(Width), as big_vision).</summary>
    Learned,
    /// <summary>Fixed 2-D sine-cosine features (big_vision's <c>posemb_sincos_2d</c>, MoCo v3); Width must be a multiple of 4.</summary>
    SinCos2d,
}

/// <summary>How a ViT turns its tokens into one vector per image (big_vision's <c>pool_type</c>).</summary>
public enum VitHead
{
    /// <summary>A learned cls token (zero-initialised) is prepended; its final state is the image's vector.</summary>
    Tok,
    /// <summary>Global average pooling: the mean of the tokens after the final norm.</summary>
    Gap,
    /// <summary>Multi-head attention pooling: a learned probe attends over the tokens, then <c>x + MLP(LN(x))</c>.</summary>
    Map,
}

/// <summary>
/// A ViT for square NHWC images [B, ImageSize, ImageSize, Channels] cut into PatchSize x PatchSize patches, with
/// <see cref="Depth"/> blocks of width <see cref="Width"/>, MLP hidden size <see cref="MlpHidden"/> and
/// <see cref="Heads"/> attention heads, and <see cref="Classes"/> outputs.
/// <para><see cref="BlockOptions"/> carries every other switch of the blocks (norm placement and kind, parallel,
/// residual, MLP kind, activation, bias, QK-norm, attention scale, norm eps); its Width, Heads, MlpHidden and Depth are
/// replaced by this config's. Without it the blocks are big_vision's: pre-norm LayerNorm with eps 1e-6, tanh-GELU,
/// biases. The final norm follows the blocks' norm kind, eps and bias; the MAP head (always a LayerNorm) their eps,
/// activation and bias.</para>
/// <para><see cref="Dualized"/> makes the blocks those of the modula ViT port: scaled GELU <c>gelu(x)/1.1289</c>,
/// attention logits scaled by 1/d_head and the attention output by 1/3, and the scaled residual
/// <c>(1 - s) x + s F(x)</c> with s = 1/(2 Depth). That port also uses <see cref="VitPositions.SinCos2d"/> and
/// <see cref="VitHead.Gap"/> (see <see cref="ModulaMnist"/>).</para>
/// </summary>
public sealed record VitConfig(
    int ImageSize,
    int PatchSize,
    int Channels,
    int Classes,
    int Width,
    int Depth,
    int MlpHidden,
    int Heads,
    VitPositions Positions = VitPositions.Learned,
    VitHead Head = VitHead.Tok,
    bool Dualized = false,
    BlockConfig? BlockOptions = null)
{
    /// <summary>The number of patches N = (ImageSize / PatchSize)^2 (the cls token, if any, comes on top).</summary>
    public int PatchCount => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>The length of a flattened patch, PatchSize^2 Channels.</summary>
    public int PatchDim => PatchSize * PatchSize * Channels;

    /// <summary>The configuration every block is built from (see the record's summary).</summary>
    public BlockConfig Block
    {
        get
        {
            var block = (BlockOptions ?? new BlockConfig(Width, Heads, MlpHidden, Activation: Activation.GeluTanh, NormEps: 1e-6))
                with { Width = Width, Heads = Heads, MlpHidden = MlpHidden, Depth = Depth };
            return Dualized
                ? block with { Activation = Activation.ScaledGelu, Scale = AttentionScale.Inverse, AttentionOutputScale = 1.0 / 3, Residual = ResidualKind.Scaled }
                : block;
        }
    }

    // Named shapes (width / depth / MLP / heads) from "Scaling Vision Transformers" and "Getting ViT in Shape".
    // ViT-B/16 at 224 pixels is B(16, classes): 196 patches.
    public static VitConfig Ti(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 192, 12, 768, 3);
    public static VitConfig S(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 384, 12, 1536, 6);
    public static VitConfig B(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 768, 12, 3072, 12);
    public static VitConfig L(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1024, 24, 4096, 16);
    /// <summary>The shape-optimised So400m (SigLIP's image tower): 1152 / 27 / 4304 / 16, head dim 72.</summary>
    public static VitConfig So400m(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1152, 27, 4304, 16);
    /// <summary>So400m with hardware-friendly sizes: MLP 4352 (a multiple of 128) and 18 heads of 64; the same shape as <see cref="So400mHead64Mlp4352"/>.</summary>
    public static VitConfig So400mAlt(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1152, 27, 4352, 18);

    // So400m's hardware-friendly variants, (a) to (d) in the order they are usually listed: the MLP rounded up to
    // 4352 = 34 x 128 or down to 4224 = 33 x 128, with the 16 heads of 72 kept or replaced by 18 heads of 64.
    /// <summary>So400m variant (a): MLP 4352 (34 x 128, up from 4304), 16 heads of 72 kept: 1152 / 27 / 4352 / 16.</summary>
    public static VitConfig So400mMlp4352(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1152, 27, 4352, 16);
    /// <summary>So400m variant (b): MLP 4352 and 18 heads of 64: 1152 / 27 / 4352 / 18 (as <see cref="So400mAlt"/>).</summary>
    public static VitConfig So400mHead64Mlp4352(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1152, 27, 4352, 18);
    /// <summary>So400m variant (c): MLP 4224 (33 x 128, down from 4304), 16 heads of 72 kept: 1152 / 27 / 4224 / 16.</summary>
    public static VitConfig So400mMlp4224(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1152, 27, 4224, 16);
    /// <summary>So400m variant (d): MLP 4224 and 18 heads of 64: 1152 / 27 / 4224 / 18.</summary>
    public static VitConfig So400mHead64Mlp4224(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 1152, 27, 4224, 18);

    /// <summary>
    /// The 150M shape predicted by the scaling laws of "Getting ViT in Shape" as the paper gives it: 880 / 18 / 2320 / 16,
    /// head dim 55 (about 129M parameters in the blocks).
    /// </summary>
    public static VitConfig So150m(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 880, 18, 2320, 16);
    /// <summary>The 150M shape rounded to hardware-friendly sizes: width 896 (7 x 128), 14 heads of 64, MLP 2304 (18 x 128): 896 / 18 / 2304 / 14.</summary>
    public static VitConfig So150mAlt(int patch, int classes, int imageSize = 224, int channels = 3) => new(imageSize, patch, channels, classes, 896, 18, 2304, 14);

    /// <summary>A tiny ViT for 28 x 28 grey MNIST digits: 7 x 7 patches (16 tokens), width 64, 4 blocks of 4 heads, MLP 128.</summary>
    public static VitConfig Mnist(int patch = 7, int classes = 10, VitHead head = VitHead.Tok) => new(28, patch, 1, classes, 64, 4, 128, 4, Head: head);

    /// <summary>The modula port's MNIST ViT: width 32, 4 blocks of 4 heads, MLP 128, sincos2d positions, GAP head, dualized.</summary>
    public static VitConfig ModulaMnist(int classes = 10) =>
        new(28, 7, 1, classes, 32, 4, 128, 4, VitPositions.SinCos2d, VitHead.Gap, Dualized: true);

    /// <summary>Throws an ArgumentException naming the first field that is out of range.</summary>
    public void Validate()
    {
        Models.Patches.Count(nameof(VitConfig), ImageSize, PatchSize, Channels);
        Positive(Classes, nameof(Classes));
        Positive(Width, nameof(Width));
        Positive(Depth, nameof(Depth));
        Positive(MlpHidden, nameof(MlpHidden));
        Positive(Heads, nameof(Heads));
        if (Width % Heads != 0)
            throw new ArgumentException($"VitConfig: Heads ({Heads}) must divide Width ({Width}): each head gets Width / Heads dims; " +
                                        $"pick Heads among the divisors of {Width}", nameof(Heads));
        if (Positions == VitPositions.SinCos2d && (Width % 4 != 0 || Width < 8))
            throw new ArgumentException($"VitConfig: SinCos2d positions need Width to be a multiple of 4 and at least 8 " +
                                        $"(sin and cos of x and y, Width / 4 frequencies each), got Width = {Width}", nameof(Width));
        if (!Enum.IsDefined(Positions)) throw new ArgumentException($"VitConfig: unknown Positions {Positions}", nameof(Positions));
        if (!Enum.IsDefined(Head)) throw new ArgumentException($"VitConfig: unknown Head {Head}", nameof(Head));

        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"VitConfig: {name} must be positive");
        }
    }
}

/// <summary>
/// The Vision Transformer. Forward: NHWC images [B, H, W, C] -> patches [B, N, P*P*C] ((ph, pw, c) order, see
/// <see cref="Patches.Extract(Tensor, int)"/>) -> a patch Linear [B, N, Width] -> + positions -> (Tok) prepend the
/// cls token [B, 1+N, Width] -> blocks -> final norm (none after post-norm blocks, which end in one) -> pool
/// (tok: the cls token; gap: the mean; map: attention pooling) [B, Width] -> a zero-initialised classifier [B, Classes].
/// Parameter names follow timm: <c>patch_embed</c>, <c>pos_embed</c>, <c>cls_token</c>, <c>blocks.i</c>, <c>norm</c>,
/// <c>attn_pool</c>, <c>head</c>. The patch Linear keeps PyTorch's default initialisation.
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>, IImageFeatures
{
    public VisionTransformer(VitConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var block = config.Block;
        int C = config.Width, side = config.ImageSize / config.PatchSize;

        if (config.Positions == VitPositions.Learned)
            PosEmbed = AddParameter("pos_embed", Tensor.Normal([1, config.PatchCount, C], 0, 1 / Math.Sqrt(C), generator, dtype, device));
        else
            PosEmbed = AddBuffer("pos_embed", SinCos2d(side, side, C, dtype: dtype, device: device), persistent: false);
        if (config.Head == VitHead.Tok)
            ClsToken = AddParameter("cls_token", Tensor.Zeros([1, 1, C], dtype, device));
        PatchEmbed = AddModule("patch_embed", new Linear(config.PatchDim, C, generator: generator, dtype: dtype, device: device));
        Blocks = AddModule("blocks", new ModuleList<TransformerBlock>(
            Enumerable.Range(0, config.Depth).Select(_ => new TransformerBlock(block, generator, dtype, device))));
        if (block.Norm != NormPlacement.Post)
            Norm = AddModule<Module<Tensor, Tensor>>("norm", block.NormKind == NormKind.LayerNorm
                ? new LayerNorm(C, block.NormEps, block.Bias, dtype, device)
                : new RmsNorm(C, block.NormEps, dtype, device));
        if (config.Head == VitHead.Map)
            AttnPool = AddModule("attn_pool", new MultiHeadAttentionPooling(C, config.Heads, config.MlpHidden, block.NormEps, block.Activation,
                                                                           block.Bias, generator, dtype, device));
        Head = AddModule("head", new Linear(C, config.Classes, generator: generator, dtype: dtype, device: device));
        Init.Zeros(Head.Weight);
        Init.Zeros(Head.Bias!);
    }

    public VitConfig Config { get; }
    public Linear PatchEmbed { get; }
    /// <summary>[1, N, Width]: a parameter (Learned) or a non-persistent buffer (SinCos2d).</summary>
    public Tensor PosEmbed { get; }
    /// <summary>[1, 1, Width], only with the Tok head.</summary>
    public Tensor? ClsToken { get; }
    public ModuleList<TransformerBlock> Blocks { get; }
    /// <summary>The final norm; null after post-norm blocks.</summary>
    public Module<Tensor, Tensor>? Norm { get; }
    /// <summary>The MAP head's attention pooling, only with the Map head.</summary>
    public MultiHeadAttentionPooling? AttnPool { get; }
    public Linear Head { get; }

    /// <summary>The token sequence the blocks see: patch embeddings plus positions, after the cls token when there is one; [B, N (+1), Width].</summary>
    public Tensor Embed(Tensor images)
    {
        Patches.CheckImages(nameof(VisionTransformer), images, Config.ImageSize, Config.Channels);
        int B = images.Size(0), C = Config.Width;
        var x = PatchEmbed.Call(Patches.Extract(images, Config.PatchSize));  // (B, N, P*P*Channels) -> (B, N, C)
        x = x + PosEmbed;                                                    // (B, N, C): positions before the cls token
        if (ClsToken is not null)
            x = Tensor.Cat([ClsToken.Expand(B, 1, C), x], dim: 1);           // (B, 1+N, C): the cls token has no position
        return x;
    }

    public int FeatureWidth => Config.Width;

    /// <summary>
    /// NHWC images [B, ImageSize, ImageSize, Channels] to the pooled vector the head reads, [B, Width]: blocks, final
    /// norm, then the tok/gap/map pooling. This is timm's <c>forward_head(forward_features(x), pre_logits=True)</c>
    /// (timm's <c>forward_features</c> alone stops before the pooling).
    /// </summary>
    public Tensor Features(Tensor images)
    {
        var x = Embed(images);                                  // (B, T, C)
        foreach (var block in Blocks) x = block.Call(x);        // (B, T, C)
        if (Norm is not null) x = Norm.Call(x);
        return Config.Head switch                               // (B, C)
        {
            VitHead.Tok => x[.., 0],
            VitHead.Gap => x.Mean(1),
            _ => AttnPool!.Call(x),
        };
    }

    /// <summary>NHWC images [B, ImageSize, ImageSize, Channels] to logits [B, Classes]: <c>Head(Features(images))</c>.</summary>
    public override Tensor Forward(Tensor images) => Head.Call(Features(images)); // (B, C) -> (B, Classes)

    /// <summary>
    /// big_vision's <c>posemb_sincos_2d</c>: for the token at grid row y and column x (row-major), with
    /// <c>omega_d = temperature^(-d / (Width/4 - 1))</c>, d = 0 .. Width/4 - 1, the features are
    /// <c>[sin(x omega), cos(x omega), sin(y omega), cos(y omega)]</c>, Width/4 each. Returns [1, h*w, Width].
    /// </summary>
    public static Tensor SinCos2d(int gridHeight, int gridWidth, int width, double temperature = 10_000, DType dtype = DType.Float32, Device? device = null)
    {
        if (gridHeight <= 0 || gridWidth <= 0) throw new ArgumentOutOfRangeException(nameof(gridHeight), $"SinCos2d: the grid must be non-empty, got {gridHeight} x {gridWidth}");
        if (width % 4 != 0 || width < 8) throw new ArgumentException($"SinCos2d: width must be a multiple of 4 and at least 8, got {width}", nameof(width));
        int q = width / 4;
        var omega = new double[q];
        for (int d = 0; d < q; d++) omega[d] = 1 / Math.Pow(temperature, d / (double)(q - 1));
        var pe = new double[gridHeight * gridWidth * width];
        for (int y = 0; y < gridHeight; y++)
            for (int x = 0; x < gridWidth; x++)
            {
                int row = (y * gridWidth + x) * width;
                for (int d = 0; d < q; d++)
                {
                    pe[row + d] = Math.Sin(x * omega[d]);
                    pe[row + q + d] = Math.Cos(x * omega[d]);
                    pe[row + 2 * q + d] = Math.Sin(y * omega[d]);
                    pe[row + 3 * q + d] = Math.Cos(y * omega[d]);
                }
            }
        using var host = Tensor.FromArray(pe, [1, gridHeight * gridWidth, width]);
        using var typed = host.To(dtype);
        return typed.To(device ?? Tensor.DefaultDevice);
    }
}
