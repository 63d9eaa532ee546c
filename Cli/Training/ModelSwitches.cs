// The model options of `dotgrad train` as the user gave them (null or false: not given). Every model kind reads the
// ones that mean something for it and refuses the rest by name, so a switch is never silently ignored.
using DotGrad.Models;

namespace DotGrad.Cli.Training;

internal sealed record ModelSwitches(
    int? Width = null, int? Depth = null, int? Heads = null, int? KvHeads = null, int? MlpHidden = null,
    string? Norm = null, string? NormKind = null, bool Parallel = false, string? Residual = null, string? Mlp = null,
    string? Activation = null, string? Positions = null, string? Head = null, bool QkNorm = false, bool NoBias = false,
    int? Patch = null, int? TokenMlpHidden = null, double? LogitCap = null, double? AttentionLogitCap = null,
    string? Mixer = null, int? MixerHeads = null, bool ReZero = false, bool Dualized = false)
{
    /// <summary>True when any switch was given (they cannot be changed when resuming).</summary>
    public bool AnyGiven => Given().Any();

    /// <summary>The option names of the switches that were given, as the user typed them.</summary>
    public IEnumerable<string> Given()
    {
        (string Name, bool Given)[] all =
        [
            ("--width", Width is not null), ("--depth", Depth is not null), ("--heads", Heads is not null), ("--kv-heads", KvHeads is not null),
            ("--mlp-hidden", MlpHidden is not null), ("--norm", Norm is not null), ("--norm-kind", NormKind is not null), ("--parallel", Parallel),
            ("--residual", Residual is not null), ("--mlp", Mlp is not null), ("--activation", Activation is not null),
            ("--positions", Positions is not null), ("--head", Head is not null), ("--qk-norm", QkNorm), ("--no-bias", NoBias),
            ("--patch", Patch is not null), ("--token-mlp-hidden", TokenMlpHidden is not null),
            ("--logit-cap", LogitCap is not null), ("--attn-logit-cap", AttentionLogitCap is not null),
            ("--mixer", Mixer is not null), ("--mixer-heads", MixerHeads is not null), ("--rezero", ReZero), ("--dualized", Dualized),
        ];
        return all.Where(s => s.Given).Select(s => s.Name);
    }

    /// <summary>A <see cref="UserError"/> for the first given switch that <paramref name="kind"/> does not take.</summary>
    public void CheckApplies(string kind, IReadOnlyCollection<string> accepted)
    {
        if (Given().FirstOrDefault(s => !accepted.Contains(s)) is { } foreign)
        {
            var takers = ModelKinds.All.Where(k => k.Switches.Contains(foreign)).Select(k => k.Name).ToList();
            throw new UserError($"{foreign} does not apply to {kind}" + (takers.Count > 0 ? $" (it applies to {string.Join(", ", takers)})" : "") +
                                $"; {kind} takes {string.Join(" ", accepted)}");
        }
    }

    /// <summary>A soft-cap option's value when given (a positive number, else a <see cref="UserError"/>), else null.</summary>
    public static double? PositiveCap(double? given, string option) =>
        given is { } v && !(v > 0 && double.IsFinite(v)) ? throw new UserError($"{option} must be a positive number (30 is typical), got {v}") : given;

    /// <summary>A size option's value when given (at least 1, else a <see cref="UserError"/>), else <paramref name="fallback"/>.</summary>
    public static int Positive(int? given, int fallback, string option) =>
        given is { } v && v < 1 ? throw new UserError($"{option} must be at least 1, got {v}") : given ?? fallback;
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

/// <summary>The transformer-block switches the GPT and the ViT share: their words on the command line, both ways.</summary>
internal static class BlockSwitches
{
    private static readonly (string Word, NormPlacement Value)[] Norms =
        [("pre", NormPlacement.Pre), ("post", NormPlacement.Post), ("double", NormPlacement.Double)];
    private static readonly (string Word, Models.NormKind Value)[] NormKinds =
        [("layernorm", Models.NormKind.LayerNorm), ("rmsnorm", Models.NormKind.RmsNorm)];
    private static readonly (string Word, ResidualKind Value)[] Residuals =
        [("standard", ResidualKind.Standard), ("rezero", ResidualKind.ReZero), ("scaled", ResidualKind.Scaled)];
    private static readonly (string Word, MlpKind Value)[] Mlps =
        [("plain", MlpKind.Plain), ("swiglu", MlpKind.SwiGlu), ("geglu", MlpKind.GeGlu)];
    private static readonly (string Word, Models.Activation Value)[] Activations =
    [
        ("gelu", Models.Activation.Gelu), ("gelu-tanh", Models.Activation.GeluTanh), ("scaled-gelu", Models.Activation.ScaledGelu),
        ("relu", Models.Activation.Relu), ("silu", Models.Activation.Silu),
    ];

    public static NormPlacement Norm(ModelSwitches s, NormPlacement fallback) => Choice.Parse(s.Norm, "--norm", fallback, Norms);
    public static Models.NormKind NormKind(ModelSwitches s, Models.NormKind fallback) => Choice.Parse(s.NormKind, "--norm-kind", fallback, NormKinds);
    public static ResidualKind Residual(ModelSwitches s, ResidualKind fallback) => Choice.Parse(s.Residual, "--residual", fallback, Residuals);
    public static MlpKind Mlp(ModelSwitches s, MlpKind fallback) => Choice.Parse(s.Mlp, "--mlp", fallback, Mlps);
    public static Models.Activation Activation(ModelSwitches s, Models.Activation fallback) => Choice.Parse(s.Activation, "--activation", fallback, Activations);

    /// <summary>A block's switches in the words the options take: "pre-norm layernorm, serial, standard residual, plain mlp, gelu".</summary>
    public static string Describe(BlockConfig b) =>
        $"{Word(Norms, b.Norm)}-norm {Word(NormKinds, b.NormKind)}, {(b.Parallel ? "parallel" : "serial")}, {Word(Residuals, b.Residual)} residual, " +
        $"{Word(Mlps, b.Mlp)} mlp, {Word(Activations, b.Activation)}{(b.QkNorm ? ", qk-norm" : "")}" +
        $"{(b.KvHeads is { } kv ? $", {kv} kv heads" : "")}{(b.Bias ? "" : ", no bias")}";

    private static string Word<T>((string Word, T Value)[] words, T value) =>
        words.FirstOrDefault(w => EqualityComparer<T>.Default.Equals(w.Value, value)).Word ?? value!.ToString()!.ToLowerInvariant();
}
