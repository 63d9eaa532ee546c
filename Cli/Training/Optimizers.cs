// The one place that maps an --optimizer name to an optimizer over a model's parameters, with the learning rate and
// weight decay each gets when none is given, and the dualized optimizer's switches.
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Cli.Training;

/// <summary>
/// The words of --dualized-targets (per-layer, uniform), --dualized-vectors (dualized, adamw) and --dualized-fan (raw,
/// clipped): each switches one difference between modula's dualized optimizer and Muon (see <see cref="Dualized"/>).
/// </summary>
internal sealed record DualizedSwitches(string Targets, string Vectors, string Fan);

internal static class Optimizers
{
    /// <summary>Every name --optimizer accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["sgd", "adam", "adamw", "adafactor", "adafactor-bv", "lion", "sm3", "muon", "dualized"];

    /// <summary>The words of --sm3-momentum, each an SM3 <see cref="MomentumKind"/>.</summary>
    public static readonly IReadOnlyList<string> Sm3MomentumNames = ["ema", "heavy-ball", "nesterov", "none"];

    /// <summary>The words of --dualized-targets, --dualized-vectors and --dualized-fan, the first of each modula's way.</summary>
    public static readonly IReadOnlyList<string> DualizedTargetNames = ["per-layer", "uniform"];
    public static readonly IReadOnlyList<string> DualizedVectorNames = ["dualized", "adamw"];
    public static readonly IReadOnlyList<string> DualizedFanNames = ["raw", "clipped"];

    /// <summary>
    /// <paramref name="settings"/> with the dualized optimizer's switches written out: those given, else per-layer
    /// targets on a dualized ViT (the network the modular norm's targets are made for, as in modula's ViT port) and
    /// uniform ones elsewhere (on a standard block, whose residual has sensitivity 2, the targets of the first layers
    /// shrink by 2 per branch), dualized vectors and the raw fan factor. Per-layer targets are fractions of 1 (1/20 to
    /// 3/16 on the dualized ViT), so without --lr (<paramref name="lrGiven"/> false) they get modula's lr 0.1 in place
    /// of <see cref="DefaultLr"/>'s 0.02, which suits uniform targets on a standard GPT. Other optimizers' settings are
    /// returned as they are.
    /// </summary>
    public static TrainSettings ResolveDualized(TrainSettings settings, Module model, bool lrGiven)
    {
        if (settings.Optimizer != "dualized") return settings;
        string targets = settings.DualizedTargets ?? (model is VisionTransformer { Config.Dualized: true } ? "per-layer" : "uniform");
        return settings with
        {
            Lr = !lrGiven && targets == "per-layer" ? PerLayerLr : settings.Lr,
            DualizedTargets = targets,
            DualizedVectors = settings.DualizedVectors ?? "dualized",
            DualizedFan = settings.DualizedFan ?? "raw",
        };
    }

    /// <summary>The dualized optimizer's default lr with per-layer targets: modula's examples' 0.1 (the ViT port trained with 0.05 to 0.1).</summary>
    public const double PerLayerLr = 0.1;

    /// <summary>Checks <paramref name="name"/> before any work starts: an unknown name is a <see cref="UserError"/>.</summary>
    public static string Validate(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        if (!Names.Contains(n))
            throw new UserError($"--optimizer '{name}' is not an optimizer; choose one of {string.Join(", ", Names)}");
        return n;
    }

    /// <summary>
    /// The learning rate an optimizer gets when --lr is not given: the task's own (tuned for Adam and AdamW), or
    /// what suits the optimizer's scale (SGD with momentum needs a much larger step).
    /// </summary>
    public static double DefaultLr(string name, double taskLr) => name switch
    {
        "sgd" => 0.1,
        "lion" => taskLr / 3,          // sign updates have unit size per element: 3-10x below AdamW's lr
        "adafactor" => taskLr / 3,     // its second moment starts at the first g^2 (beta2 = 0 at t = 1): steadier lower
        "sm3" => 0.1,
        "muon" => 0.02,                // for the hidden matrices; the AdamW group keeps the task's lr
        "dualized" => 0.02,            // uniform targets on a standard GPT; per-layer targets get PerLayerLr (see ResolveDualized)
        _ => taskLr,
    };

    /// <summary>The weight decay an optimizer gets when --weight-decay is not given.</summary>
    public static double DefaultWeightDecay(string name) => name switch
    {
        "adamw" => 0.01,
        "lion" => 0.1,                 // 10x AdamW's, as the Lion paper advises with its smaller lr
        "adafactor-bv" => 1e-4,        // big_vision's form: wd * schedule(t) * p, not multiplied by the lr
        _ => 0,
    };

    /// <summary>
    /// The optimizer over <paramref name="model"/>'s parameters. Weight decay applies to matrices and embeddings only
    /// (the usual GPT recipe): vectors (biases, norm gains, ReZero's alpha) form a second group without decay. Muon
    /// splits the model itself (hidden matrices to Muon, embeddings, the head and vectors to AdamW at
    /// <paramref name="fallbackLr"/>); the dualized updates take each parameter's rule from the module that owns it.
    /// Adafactor factors matrices whose two largest dims reach 32, so the small models here factor too. The dualized
    /// optimizer takes <paramref name="dualized"/>'s switches (null: uniform, dualized, raw); its AdamW group, when the
    /// vectors go to AdamW, gets <paramref name="fallbackLr"/> as Muon's does.
    /// </summary>
    public static Optimizer Create(string name, Module model, double lr, double weightDecay, double? fallbackLr = null, string? sm3Momentum = null,
                                   DualizedSwitches? dualized = null)
    {
        var decay = model.Parameters().Where(p => p.Rank >= 2).ToArray();
        var noDecay = model.Parameters().Where(p => p.Rank < 2).ToArray();
        string n = Validate(name);
        switch (n)
        {
            case "sgd":
                return WithNoDecayGroup(new Sgd(decay, new SgdOptions { Lr = lr, Momentum = 0.9, WeightDecay = weightDecay }), noDecay);
            case "adam":
                return WithNoDecayGroup(new Adam(decay, new AdamOptions { Lr = lr, WeightDecay = weightDecay }), noDecay);
            case "adamw":
                return WithNoDecayGroup(new AdamW(decay, new AdamOptions { Lr = lr, WeightDecay = weightDecay }), noDecay);
            case "adafactor":
                return WithNoDecayGroup(new Adafactor(decay, new AdafactorOptions { Lr = lr, WeightDecay = weightDecay, MinDimToFactor = 32 }), noDecay);
            case "adafactor-bv":
                return WithNoDecayGroup(new Adafactor(decay, AdafactorOptions.ScalingVit(lr, weightDecay)), noDecay);
            case "lion":
                return WithNoDecayGroup(new Lion(decay, new LionOptions { Lr = lr, WeightDecay = weightDecay }), noDecay);
            case "sm3":
                return WithNoDecayGroup(new Sm3(decay, new Sm3Options { Lr = lr, WeightDecay = weightDecay, MomentumKind = Sm3Momentum(sm3Momentum) }), noDecay);
            case "muon":
                return Muon.ForModel(model, lr: lr, adamLr: fallbackLr ?? 3e-3, weightDecay: weightDecay);
            case "dualized":
                return CreateDualized(model, lr, weightDecay, fallbackLr ?? 3e-3, dualized ?? new DualizedSwitches("uniform", "dualized", "raw"));
            default:
                throw new UserError($"--optimizer {n} is not an optimizer; choose one of {string.Join(", ", Names)}");
        }
    }

    private static Dualized CreateDualized(Module model, double lr, double weightDecay, double adamLr, DualizedSwitches s)
    {
        var options = new DualizedOptions
        {
            Lr = lr,
            WeightDecay = weightDecay,
            Fan = Word(s.Fan, "--dualized-fan", DualizedFanNames, DualizedFan.Raw, DualizedFan.Clipped),
        };
        var targets = Word(s.Targets, "--dualized-targets", DualizedTargetNames, DualizedTargets.PerLayer, DualizedTargets.Uniform);
        var vectors = Word(s.Vectors, "--dualized-vectors", DualizedVectorNames, DualizedVectors.Dualized, DualizedVectors.AdamW);
        return new Dualized(model, options, targets: targets, vectors: vectors, adamLr: adamLr);
    }

    /// <summary>The value of <paramref name="word"/>: <paramref name="first"/> for words[0], <paramref name="second"/> for words[1].</summary>
    private static T Word<T>(string word, string option, IReadOnlyList<string> words, T first, T second) =>
        word == words[0] ? first
        : word == words[1] ? second
        : throw new UserError($"{option} '{word}' is not one of {string.Join(", ", words)}");

    private static MomentumKind Sm3Momentum(string? word) => word switch
    {
        null or "ema" => MomentumKind.Ema,
        "heavy-ball" => MomentumKind.HeavyBall,
        "nesterov" => MomentumKind.Nesterov,
        "none" => MomentumKind.None,
        _ => throw new UserError($"--sm3-momentum '{word}' is not one of {string.Join(", ", Sm3MomentumNames)}"),
    };

    private static Optimizer WithNoDecayGroup<TOptions>(Optimizer<TOptions> optimizer, Tensor[] noDecay) where TOptions : OptimizerOptions
    {
        if (noDecay.Length > 0) optimizer.AddParamGroup(noDecay, optimizer.Defaults with { WeightDecay = 0 }, "no_decay");
        return optimizer;
    }
}
