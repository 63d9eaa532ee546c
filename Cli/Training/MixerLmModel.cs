// The token-mixer language model as a model kind (`dotgrad train lm --mixer ...`): its switches resolved against a
// language task into a MixerLmConfig, the model built with every library complaint a usage error, and its run.json form.
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Models;

namespace DotGrad.Cli.Training;

/// <summary>The <see cref="MixerLm"/> kind: a language model whose token mixer is a switch.</summary>
internal sealed class MixerLmModel : ModelKind<MixerLmConfig>
{
    public const string Kind = "lm";

    public static readonly MixerLmModel Instance = new();

    /// <summary>The words of --mixer.</summary>
    public static readonly (string Word, TokenMixerKind Value)[] Mixers =
    [
        ("attention", TokenMixerKind.Attention), ("mixer", TokenMixerKind.Mixer), ("gmlp", TokenMixerKind.GMlp), ("gmlp-tanh", TokenMixerKind.GMlpTanh),
        ("synthesizer-dense", TokenMixerKind.SynthesizerDense), ("synthesizer-random", TokenMixerKind.SynthesizerRandom), ("container", TokenMixerKind.Container),
    ];

    public override string Name => Kind;
    public override TrainingData Data => TrainingData.Language;
    public override IReadOnlyCollection<string> Switches { get; } = ["--width", "--depth", "--mlp-hidden", "--mixer", "--mixer-heads", "--rezero"];
    public override IReadOnlyCollection<string> OutputLayer { get; } = ["lm_head.weight", "lm_head.bias"];

    protected override MixerLmConfig Resolve(ModelSwitches s, ITrainingTask task)
    {
        var language = task as ILanguageTask ?? throw new InvalidOperationException($"lm trains on a language task, not on '{task.Name}'");
        var (width, depth, heads) = language.DefaultShape;
        return new MixerLmConfig(
            VocabSize: language.Vocab.Size,
            ContextLength: language.ContextLength,
            Width: ModelSwitches.Positive(s.Width, width, "--width"),
            Depth: ModelSwitches.Positive(s.Depth, depth, "--depth"),
            Mixer: Choice.Parse(s.Mixer, "--mixer", TokenMixerKind.Attention, Mixers),
            Heads: ModelSwitches.Positive(s.MixerHeads, heads, "--mixer-heads"),
            MlpHidden: s.MlpHidden is { } h ? ModelSwitches.Positive(h, h, "--mlp-hidden") : 0,
            ReZero: s.ReZero);
    }

    public override Module<Tensor, Tensor> Build(MixerLmConfig config, ulong seed, Device device) =>
        Probe(() => new MixerLm(config, new Generator(seed), DType.Float32, device),
              () => Tensor.Zeros([1, config.ContextLength], DType.Int32, device));

    protected override string? Mismatch(MixerLmConfig config, ITrainingTask task) =>
        LanguageMismatch(config.VocabSize, config.ContextLength, task);

    public override string Describe(MixerLmConfig c, Module model) =>
        $"lm: {Mixers.First(m => m.Value == c.Mixer).Word} mixer, width {c.Width}, depth {c.Depth}, mixer heads {c.Heads}, hidden {c.Hidden}, " +
        $"context {c.ContextLength}, vocabulary {c.VocabSize}, {model.ParameterCount():N0} parameters" +
        $"{(c.LearnedPositions ? ", learned positions" : "")}{(c.ReZero ? ", rezero" : "")}";
}
