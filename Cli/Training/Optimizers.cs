// The one place that maps an --optimizer name to an optimizer over a model's parameters, with the learning rate and
// weight decay each gets when none is given.
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Cli.Training;

internal static class Optimizers
{
    /// <summary>Every name --optimizer accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["sgd", "adam", "adamw", "adafactor", "adafactor-bv", "lion", "sm3", "muon", "dualized"];

    /// <summary>The words of --sm3-momentum, each an SM3 <see cref="MomentumKind"/>.</summary>
    public static readonly IReadOnlyList<string> Sm3MomentumNames = ["ema", "heavy-ball", "nesterov", "none"];

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
        "dualized" => 0.02,            // modula's 0.1 suits its dualized architectures; a standard GPT wants less
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
    /// Adafactor factors matrices whose two largest dims reach 32, so the small models here factor too.
    /// </summary>
    public static Optimizer Create(string name, Module model, double lr, double weightDecay, double? fallbackLr = null, string? sm3Momentum = null)
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
                return new Dualized(model, new DualizedOptions { Lr = lr, WeightDecay = weightDecay });
            default:
                throw new UserError($"--optimizer {n} is not an optimizer; choose one of {string.Join(", ", Names)}");
        }
    }

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
