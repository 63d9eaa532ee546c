// The GPT's shape and architecture switches as the user gave them (null: not given), resolved against a task's
// defaults into a GptConfig; the model built from it with every library complaint turned into a usage error; the
// config's JSON form in run.json.
using System.Text.Json;
using System.Text.Json.Nodes;
using DotGrad.Cli.Tasks;
using DotGrad.Models;

namespace DotGrad.Cli.Training;

internal sealed record GptSwitches(
    int? Width = null, int? Depth = null, int? Heads = null, int? KvHeads = null, int? MlpHidden = null,
    string? Norm = null, string? NormKind = null, bool Parallel = false, string? Residual = null, string? Mlp = null,
    string? Activation = null, string? Positions = null, string? Head = null, bool QkNorm = false, bool NoBias = false)
{
    /// <summary>True when any switch was given (they cannot be changed when resuming).</summary>
    public bool AnyGiven => this != new GptSwitches();

    public GptConfig Resolve(ILanguageTask task)
    {
        var (width, depth, heads) = task.DefaultShape;
        return new GptConfig(
            VocabSize: task.Vocab.Size,
            ContextLength: task.ContextLength,
            Width: Positive(Width, width, "--width"),
            Depth: Positive(Depth, depth, "--depth"),
            Heads: Positive(Heads, heads, "--heads"),
            MlpHidden: MlpHidden is { } h ? Positive(h, h, "--mlp-hidden") : null,
            Positions: Choice.Parse(Positions, "--positions", GptPositions.Learned, ("learned", GptPositions.Learned), ("rope", GptPositions.Rope)),
            TiedHead: Choice.Parse(Head, "--head", true, ("tied", true), ("untied", false)),
            Norm: Choice.Parse(Norm, "--norm", NormPlacement.Pre, ("pre", NormPlacement.Pre), ("post", NormPlacement.Post), ("double", NormPlacement.Double)),
            NormKind: Choice.Parse(NormKind, "--norm-kind", Models.NormKind.LayerNorm, ("layernorm", Models.NormKind.LayerNorm), ("rmsnorm", Models.NormKind.RmsNorm)),
            Parallel: Parallel,
            Residual: Choice.Parse(Residual, "--residual", ResidualKind.Standard, ("standard", ResidualKind.Standard), ("rezero", ResidualKind.ReZero), ("scaled", ResidualKind.Scaled)),
            Mlp: Choice.Parse(Mlp, "--mlp", MlpKind.Plain, ("plain", MlpKind.Plain), ("swiglu", MlpKind.SwiGlu), ("geglu", MlpKind.GeGlu)),
            Activation: Choice.Parse(Activation, "--activation", Models.Activation.Gelu, ("gelu", Models.Activation.Gelu), ("gelu-tanh", Models.Activation.GeluTanh),
                                     ("scaled-gelu", Models.Activation.ScaledGelu), ("relu", Models.Activation.Relu), ("silu", Models.Activation.Silu)),
            Bias: !NoBias,
            KvHeads: KvHeads is { } kv ? Positive(kv, kv, "--kv-heads") : null,
            QkNorm: QkNorm);
    }

    private static int Positive(int? given, int fallback, string option) =>
        given is { } v && v < 1 ? throw new UserError($"{option} must be at least 1, got {v}") : given ?? fallback;
}

/// <summary>Building a GPT for the CLI, and its config in run.json.</summary>
internal static class GptModel
{
    public const string Kind = "gpt";

    /// <summary>
    /// The GPT for <paramref name="config"/>, initialised from <paramref name="seed"/> on <paramref name="device"/>, after
    /// one forward pass of a dummy batch: a config the library rejects (Heads not dividing Width, RoPE with an odd
    /// head size, ...) is a <see cref="UserError"/> here, before anything is written.
    /// </summary>
    public static Gpt Build(GptConfig config, ulong seed, Device device)
    {
        Gpt? model = null;
        try
        {
            model = new Gpt(config, new Generator(seed), DType.Float32, device);
            using var noGrad = Autograd.NoGrad();
            using var scope = Tensor.NewDisposeScope();
            model.Call(Tensor.Zeros([1, config.ContextLength], DType.Int32, device));
            return model;
        }
        catch (ArgumentException e)
        {
            model?.Dispose();
            throw new UserError($"impossible model configuration: {UserError.MessageOf(e)}. Change the model options (see 'dotgrad train --help')", e);
        }
    }

    /// <summary>The config's own fields as JSON (not the block config it derives).</summary>
    public static JsonObject ToJson(GptConfig config)
    {
        var json = JsonSerializer.SerializeToNode(config, Checkpoint.Json)!.AsObject();
        json.Remove(nameof(GptConfig.Block));
        return json;
    }

    /// <summary>The config a checkpoint's run.json holds; a damaged one is a <see cref="UserError"/>.</summary>
    public static GptConfig FromJson(JsonObject json, string dir)
    {
        try
        {
            return json.Deserialize<GptConfig>(Checkpoint.Json) ?? throw new JsonException("the config is null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new UserError($"'{dir}' is not a usable dotgrad checkpoint: its GPT config cannot be read ({e.Message})", e);
        }
    }
}

/// <summary>Options whose value is one of a few words.</summary>
internal static class Choice
{
    public static T Parse<T>(string? value, string option, T fallback, params (string Word, T Value)[] choices)
    {
        if (value is null) return fallback;
        foreach (var (word, v) in choices)
            if (string.Equals(word, value.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
        throw new UserError($"{option} '{value}' is not one of {string.Join(", ", choices.Select(c => c.Word))}");
    }
}
