// The GPT as a model kind: its switches resolved against a language task's vocabulary, context and default shape into
// a GptConfig, the model built from it with every library complaint turned into a usage error, and its run.json form.
using System.Text.Json.Nodes;
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Models;

namespace DotGrad.Cli.Training;

/// <summary>Building a GPT for the CLI, and its config in run.json.</summary>
internal static class GptModel
{
    public const string Kind = "gpt";

    /// <summary>The GPT as one of <see cref="ModelKinds.All"/>.</summary>
    public static readonly GptKind Instance = new();

    /// <summary>
    /// The GPT for <paramref name="config"/>, initialised from <paramref name="seed"/> on <paramref name="device"/>, after
    /// one forward pass of a dummy batch: a config the library rejects (Heads not dividing Width, RoPE with an odd
    /// head size, ...) is a <see cref="UserError"/> here, before anything is written.
    /// </summary>
    public static Gpt Build(GptConfig config, ulong seed, Device device) =>
        ModelKind.Probe(() => new Gpt(config, new Generator(seed), DType.Float32, device),
                        () => Tensor.Zeros([1, config.ContextLength], DType.Int32, device));

    /// <summary>The GptConfig for <paramref name="task"/> with the user's <paramref name="switches"/> (the task's shape where none is given).</summary>
    public static GptConfig Resolve(ModelSwitches switches, ILanguageTask task)
    {
        var (width, depth, heads) = task.DefaultShape;
        return new GptConfig(
            VocabSize: task.Vocab.Size,
            ContextLength: task.ContextLength,
            Width: ModelSwitches.Positive(switches.Width, width, "--width"),
            Depth: ModelSwitches.Positive(switches.Depth, depth, "--depth"),
            Heads: ModelSwitches.Positive(switches.Heads, heads, "--heads"),
            MlpHidden: switches.MlpHidden is { } h ? ModelSwitches.Positive(h, h, "--mlp-hidden") : null,
            Positions: Choice.Parse(switches.Positions, "--positions", GptPositions.Learned, ("learned", GptPositions.Learned), ("rope", GptPositions.Rope)),
            TiedHead: Choice.Parse(switches.Head, "--head", true, ("tied", true), ("untied", false)),
            Norm: BlockSwitches.Norm(switches, NormPlacement.Pre),
            NormKind: BlockSwitches.NormKind(switches, Models.NormKind.LayerNorm),
            Parallel: switches.Parallel,
            Residual: BlockSwitches.Residual(switches, ResidualKind.Standard),
            Mlp: BlockSwitches.Mlp(switches, MlpKind.Plain),
            Activation: BlockSwitches.Activation(switches, Models.Activation.Gelu),
            Bias: !switches.NoBias,
            KvHeads: switches.KvHeads is { } kv ? ModelSwitches.Positive(kv, kv, "--kv-heads") : null,
            QkNorm: switches.QkNorm,
            LogitCap: ModelSwitches.PositiveCap(switches.LogitCap, "--logit-cap"),
            AttentionLogitCap: ModelSwitches.PositiveCap(switches.AttentionLogitCap, "--attn-logit-cap"));
    }

    /// <summary>The config's own fields as JSON (not the block config it derives).</summary>
    public static JsonObject ToJson(GptConfig config) => Instance.ToJson(config);

    /// <summary>The config a checkpoint's run.json holds; a damaged one is a <see cref="UserError"/>.</summary>
    public static GptConfig FromJson(JsonObject json, string dir) => Instance.FromJson(json, dir);
}

/// <summary>The GPT: trained on a language task (the built-in sort task or --text), the only kind `sample` takes.</summary>
internal sealed class GptKind : ModelKind<GptConfig>
{
    public override string Name => GptModel.Kind;
    public override TrainingData Data => TrainingData.Language;

    public override IReadOnlyCollection<string> Switches { get; } =
    [
        "--width", "--depth", "--heads", "--kv-heads", "--mlp-hidden", "--norm", "--norm-kind", "--parallel", "--residual", "--mlp",
        "--activation", "--positions", "--head", "--qk-norm", "--no-bias", "--logit-cap", "--attn-logit-cap",
    ];

    public override IReadOnlyCollection<string> OutputLayer { get; } = ["lm_head.weight"];  // absent when tied: the embedding is clipped

    protected override GptConfig Resolve(ModelSwitches switches, ITrainingTask task) => GptModel.Resolve(switches, Language(task));

    public override Module<Tensor, Tensor> Build(GptConfig config, ulong seed, Device device) => GptModel.Build(config, seed, device);

    protected override string? Mismatch(GptConfig config, ITrainingTask task) =>
        LanguageMismatch(config.VocabSize, config.ContextLength, task);

    public override string Describe(GptConfig c, Module model) =>
        $"gpt: width {c.Width}, depth {c.Depth}, heads {c.Heads}, context {c.ContextLength}, vocabulary {c.VocabSize}, " +
        $"{model.ParameterCount():N0} parameters ({BlockSwitches.Describe(c.Block)}, {c.Positions.ToString().ToLowerInvariant()} positions, " +
        $"{(c.TiedHead ? "tied" : "untied")} head{(c.LogitCap is { } lc ? $", logits capped at {lc:G3}" : "")}" +
        $"{(c.AttentionLogitCap is { } ac ? $", attention logits capped at {ac:G3}" : "")})";

    private static ILanguageTask Language(ITrainingTask task) =>
        task as ILanguageTask ?? throw new InvalidOperationException($"gpt trains on a language task, not on '{task.Name}'");
}
