// The image classifiers of `dotgrad train` as model kinds: ViT, MLP-Mixer and gMLP on an image task (MNIST). Each
// starts from the library's MNIST shape, takes the image size, channels and classes from the task and the shape
// switches from the user; the ViT also takes the transformer-block switches the GPT has.
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Models;

namespace DotGrad.Cli.Training;

internal static class VisionModels
{
    public static readonly VitKind Vit = new();
    public static readonly MixerKind Mixer = new();
    public static readonly GMlpKind GMlp = new();

    /// <summary>The classifier's weight and bias: zero at the start, so AGC, which clips relative to the weights' norm, would pin them.</summary>
    public static readonly IReadOnlyCollection<string> Head = ["head.weight", "head.bias"];

    public static IImageTask Images(ITrainingTask task, string kind) =>
        task as IImageTask ?? throw new InvalidOperationException($"{kind} trains on an image task, not on '{task.Name}'");

    /// <summary>The patch size, given or <paramref name="fallback"/>; it must cut the images into whole patches.</summary>
    public static int Patch(int? given, int fallback, IImageTask task)
    {
        int patch = ModelSwitches.Positive(given, fallback, "--patch"), size = task.ImageSize;
        if (size % patch != 0)
            throw new UserError($"--patch {patch} does not divide the {size}-pixel images into whole patches; " +
                                $"use one of {string.Join(", ", Enumerable.Range(1, size).Where(d => size % d == 0))}");
        return patch;
    }

    public static string? Mismatch(int imageSize, int channels, int classes, ITrainingTask task) =>
        task is IImageTask t && t.ImageSize == imageSize && t.Channels == channels && t.Classes == classes
            ? null
            : $"the model takes {imageSize} x {imageSize} x {channels} images in {classes} classes, but the task is {task.Description}";

    /// <summary>One blank image [1, size, size, channels], for <see cref="ModelKind.Probe"/>.</summary>
    public static Tensor Blank(int imageSize, int channels, Device device) => Tensor.Zeros([1, imageSize, imageSize, channels], DType.Float32, device);

    public static string Patches(int imageSize, int patch) => $"patch {patch} ({imageSize / patch * (imageSize / patch)} tokens)";
}

/// <summary>
/// The Vision Transformer (<see cref="VitConfig.Mnist"/>: width 64, depth 4, 4 heads, MLP 128, patch 7, cls-token head).
/// --dualized builds the modula port's blocks (<see cref="VitConfig.Dualized"/>) with its sincos2d positions and GAP
/// head unless --positions or --head say otherwise; the shape switches apply as usual.
/// </summary>
internal sealed class VitKind : ModelKind<VitConfig>
{
    private static readonly string[] BlockOptions =
        ["--kv-heads", "--norm", "--norm-kind", "--parallel", "--residual", "--mlp", "--activation", "--qk-norm", "--no-bias"];
    private static readonly (string Word, VitHead Value)[] Heads = [("tok", VitHead.Tok), ("gap", VitHead.Gap), ("map", VitHead.Map)];
    private static readonly (string Word, VitPositions Value)[] Positions = [("learned", VitPositions.Learned), ("sincos2d", VitPositions.SinCos2d)];

    public override string Name => "vit";
    public override TrainingData Data => TrainingData.Images;
    public override IReadOnlyCollection<string> Switches { get; } =
        ["--width", "--depth", "--heads", "--mlp-hidden", "--patch", "--head", "--positions", "--dualized", .. BlockOptions];
    public override IReadOnlyCollection<string> OutputLayer => VisionModels.Head;

    protected override VitConfig Resolve(ModelSwitches s, ITrainingTask task)
    {
        var images = VisionModels.Images(task, Name);
        var d = VitConfig.Mnist();
        var port = VitConfig.ModulaMnist();
        // The dualized blocks fix the activation and the residual; a switch that asks for others would be silently overridden.
        if (s.Dualized && s.Given().FirstOrDefault(g => g is "--activation" or "--residual") is { } fixedByPort)
            throw new UserError($"{fixedByPort} does not combine with --dualized, whose blocks use gelu/1.1289 and the scaled residual (1-s) x + s f(x); " +
                                $"drop {fixedByPort}, or drop --dualized and give --activation scaled-gelu --residual scaled");
        int width = ModelSwitches.Positive(s.Width, d.Width, "--width"), depth = ModelSwitches.Positive(s.Depth, d.Depth, "--depth");
        int heads = ModelSwitches.Positive(s.Heads, d.Heads, "--heads"), mlp = ModelSwitches.Positive(s.MlpHidden, d.MlpHidden, "--mlp-hidden");
        // Without block switches the config keeps BlockOptions null: big_vision's blocks (tanh-GELU, eps 1e-6), as the library defines them.
        BlockConfig? block = s.Given().Any(BlockOptions.Contains)
            ? new BlockConfig(width, heads, mlp,
                Norm: BlockSwitches.Norm(s, NormPlacement.Pre),
                NormKind: BlockSwitches.NormKind(s, NormKind.LayerNorm),
                Parallel: s.Parallel,
                Residual: BlockSwitches.Residual(s, ResidualKind.Standard),
                Depth: depth,
                Mlp: BlockSwitches.Mlp(s, MlpKind.Plain),
                Activation: BlockSwitches.Activation(s, Activation.GeluTanh),
                Bias: !s.NoBias,
                KvHeads: s.KvHeads is { } kv ? ModelSwitches.Positive(kv, kv, "--kv-heads") : null,
                QkNorm: s.QkNorm,
                NormEps: 1e-6)
            : null;
        return new VitConfig(images.ImageSize, VisionModels.Patch(s.Patch, d.PatchSize, images), images.Channels, images.Classes, width, depth, mlp, heads,
                             Choice.Parse(s.Positions, "--positions", s.Dualized ? port.Positions : d.Positions, Positions),
                             Choice.Parse(s.Head, "--head", s.Dualized ? port.Head : d.Head, Heads), Dualized: s.Dualized, BlockOptions: block);
    }

    public override Module<Tensor, Tensor> Build(VitConfig config, ulong seed, Device device) =>
        Probe(() => new VisionTransformer(config, new Generator(seed), DType.Float32, device), () => VisionModels.Blank(config.ImageSize, config.Channels, device));

    protected override string? Mismatch(VitConfig c, ITrainingTask task) => VisionModels.Mismatch(c.ImageSize, c.Channels, c.Classes, task);

    public override string Describe(VitConfig c, Module model) =>
        $"vit: width {c.Width}, depth {c.Depth}, heads {c.Heads}, mlp {c.MlpHidden}, {VisionModels.Patches(c.ImageSize, c.PatchSize)}, " +
        $"{model.ParameterCount():N0} parameters ({Heads.First(h => h.Value == c.Head).Word} head, " +
        $"{Positions.First(p => p.Value == c.Positions).Word} positions, {(c.Dualized ? "dualized: 1/d attention x 1/3, " : "")}{BlockSwitches.Describe(c.Block)})";
}

/// <summary>MLP-Mixer (<see cref="MlpMixerConfig.Mnist"/>: width 64, depth 4, token MLP 32, channel MLP 256, patch 7).</summary>
internal sealed class MixerKind : ModelKind<MlpMixerConfig>
{
    public override string Name => "mixer";
    public override TrainingData Data => TrainingData.Images;
    public override IReadOnlyCollection<string> Switches { get; } = ["--width", "--depth", "--mlp-hidden", "--token-mlp-hidden", "--patch"];
    public override IReadOnlyCollection<string> OutputLayer => VisionModels.Head;

    protected override MlpMixerConfig Resolve(ModelSwitches s, ITrainingTask task)
    {
        var images = VisionModels.Images(task, Name);
        var d = MlpMixerConfig.Mnist();
        return new MlpMixerConfig(images.ImageSize, VisionModels.Patch(s.Patch, d.PatchSize, images), images.Channels,
            Width: ModelSwitches.Positive(s.Width, d.Width, "--width"),
            Depth: ModelSwitches.Positive(s.Depth, d.Depth, "--depth"),
            TokenMlpHidden: ModelSwitches.Positive(s.TokenMlpHidden, d.TokenMlpHidden, "--token-mlp-hidden"),
            ChannelMlpHidden: ModelSwitches.Positive(s.MlpHidden, d.ChannelMlpHidden, "--mlp-hidden"),
            Classes: images.Classes);
    }

    public override Module<Tensor, Tensor> Build(MlpMixerConfig config, ulong seed, Device device) =>
        Probe(() => new MlpMixer(config, new Generator(seed), DType.Float32, device), () => VisionModels.Blank(config.ImageSize, config.Channels, device));

    protected override string? Mismatch(MlpMixerConfig c, ITrainingTask task) => VisionModels.Mismatch(c.ImageSize, c.Channels, c.Classes, task);

    public override string Describe(MlpMixerConfig c, Module model) =>
        $"mixer: width {c.Width}, depth {c.Depth}, token mlp {c.TokenMlpHidden}, channel mlp {c.ChannelMlpHidden}, " +
        $"{VisionModels.Patches(c.ImageSize, c.PatchSize)}, {model.ParameterCount():N0} parameters";
}

/// <summary>gMLP as an image classifier (<see cref="GMlpConfig.Mnist"/>: width 64, depth 4, d_ffn 256, patch 7).</summary>
internal sealed class GMlpKind : ModelKind<GMlpConfig>
{
    public override string Name => "gmlp";
    public override TrainingData Data => TrainingData.Images;
    public override IReadOnlyCollection<string> Switches { get; } = ["--width", "--depth", "--mlp-hidden", "--patch"];
    public override IReadOnlyCollection<string> OutputLayer => VisionModels.Head;

    protected override GMlpConfig Resolve(ModelSwitches s, ITrainingTask task)
    {
        var images = VisionModels.Images(task, Name);
        var d = GMlpConfig.Mnist();
        return GMlpConfig.ImageClassifier(images.ImageSize, VisionModels.Patch(s.Patch, d.PatchSize, images), images.Channels, images.Classes,
            width: ModelSwitches.Positive(s.Width, d.Width, "--width"),
            depth: ModelSwitches.Positive(s.Depth, d.Depth, "--depth"),
            ffnHidden: ModelSwitches.Positive(s.MlpHidden, d.FfnHidden, "--mlp-hidden"));
    }

    public override Module<Tensor, Tensor> Build(GMlpConfig config, ulong seed, Device device) =>
        Probe(() => new GMlp(config, new Generator(seed), DType.Float32, device), () => VisionModels.Blank(config.ImageSize, config.Channels, device));

    protected override string? Mismatch(GMlpConfig c, ITrainingTask task) => VisionModels.Mismatch(c.ImageSize, c.Channels, c.Classes, task);

    public override string Describe(GMlpConfig c, Module model) =>
        $"gmlp: width {c.Width}, depth {c.Depth}, ffn {c.FfnHidden}, {VisionModels.Patches(c.ImageSize, c.PatchSize)}, {model.ParameterCount():N0} parameters";
}
