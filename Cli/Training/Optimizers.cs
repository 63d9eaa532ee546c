// The one place that maps an --optimizer name to an optimizer over a model's parameters, with the learning rate and
// weight decay each gets when none is given, the output layer's own decay (--head-weight-decay) in a group of its own,
// and the dualized optimizer's switches.
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
    public static readonly IReadOnlyList<string> Names = ["sgd", "adam", "adamw", "adafactor", "adafactor-paper", "adafactor-bv", "lion", "sm3", "muon", "dualized",
                                                          "rmsprop", "adagrad", "adamax", "nadam", "radam"];

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
        "rmsprop" => taskLr / 3,       // no bias correction: its first steps are about 10 lr, later ones about Adam's
        "adagrad" => 10 * taskLr,      // its steps shrink as 1/sqrt(t) as the squared gradients add up
        _ => taskLr,                   // adam, adamw, adamax, nadam, radam: Adam-scaled steps
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
    /// With <paramref name="head"/>, the output layer's weights leave their group for one named "head" of their own
    /// with <see cref="HeadGroup.WeightDecay"/>, applied as the optimizer applies any decay (decoupled for adamw,
    /// lion, adafactor, muon and dualized; added to the gradient for sgd, adam, sm3, rmsprop, adagrad, adamax, nadam and
    /// radam, as PyTorch's weight_decay with its defaults).
    /// The dualized optimizer takes <paramref name="dualized"/>'s switches (null: uniform, dualized, raw); its AdamW
    /// group, when the vectors go to AdamW, gets <paramref name="fallbackLr"/> as Muon's does.
    /// </summary>
    public static Optimizer Create(string name, Module model, double lr, double weightDecay, double? fallbackLr = null, string? sm3Momentum = null,
                                   HeadGroup? head = null, DualizedSwitches? dualized = null)
    {
        var headWeights = new HashSet<Tensor>(head?.Weights ?? [], ReferenceEqualityComparer.Instance);
        var decay = model.Parameters().Where(p => p.Rank >= 2 && !headWeights.Contains(p)).ToArray();
        var noDecay = model.Parameters().Where(p => p.Rank < 2).ToArray();
        string n = Validate(name);
        switch (n)
        {
            case "sgd":
                return WithGroups(new Sgd(decay, new SgdOptions { Lr = lr, Momentum = 0.9, WeightDecay = weightDecay }), noDecay, head);
            case "adam":
                return WithGroups(new Adam(decay, new AdamOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "adamw":
                return WithGroups(new AdamW(decay, new AdamOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "adafactor":
                return WithGroups(new Adafactor(decay, new AdafactorOptions { Lr = lr, WeightDecay = weightDecay, MinDimToFactor = 32 }), noDecay, head);
            case "adafactor-paper":
                // The paper's recipe: relative step min(1e-2, 1/sqrt(t)) times RMS(p); --lr and the schedule do not drive it.
                return WithGroups(new Adafactor(decay, AdafactorOptions.Paper with { WeightDecay = weightDecay }), noDecay, head);
            case "adafactor-bv":
                return WithGroups(new Adafactor(decay, AdafactorOptions.ScalingVit(lr, weightDecay)), noDecay, head);
            case "lion":
                return WithGroups(new Lion(decay, new LionOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "rmsprop":
                return WithGroups(new RmsProp(decay, new RmsPropOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "adagrad":
                return WithGroups(new Adagrad(decay, new AdagradOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "adamax":
                return WithGroups(new Adamax(decay, new AdamaxOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "nadam":
                return WithGroups(new NAdam(decay, new NAdamOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "radam":
                return WithGroups(new RAdam(decay, new RAdamOptions { Lr = lr, WeightDecay = weightDecay }), noDecay, head);
            case "sm3":
                return WithGroups(new Sm3(decay, new Sm3Options { Lr = lr, WeightDecay = weightDecay, MomentumKind = Sm3Momentum(sm3Momentum) }), noDecay, head);
            case "muon":
                return head is null
                    ? Muon.ForModel(model, lr: lr, adamLr: fallbackLr ?? 3e-3, weightDecay: weightDecay)
                    : MuonWithHead(model, lr, fallbackLr ?? 3e-3, weightDecay, head);
            case "dualized":
                return CreateDualized(model, lr, weightDecay, fallbackLr ?? 3e-3, dualized ?? new DualizedSwitches("uniform", "dualized", "raw"), head);
            default:
                throw new UserError($"--optimizer {n} is not an optimizer; choose one of {string.Join(", ", Names)}");
        }
    }

    /// <summary>
    /// The weights of <paramref name="kind"/>'s output layer in <paramref name="model"/> (its matrices: a bias has no
    /// decay), for --head-weight-decay; a model whose output layer is not a parameter of its own is a <see cref="UserError"/>.
    /// </summary>
    public static IReadOnlyList<Tensor> HeadWeights(Module model, ModelKind kind)
    {
        var weights = model.NamedParameters().Where(p => kind.OutputLayer.Contains(p.Name) && p.Parameter.Rank >= 2).Select(p => p.Parameter).ToArray();
        if (weights.Length > 0) return weights;
        throw new UserError(kind.Name == GptModel.Kind
            ? "--head-weight-decay: this gpt's output layer is tied to the token embedding (wte.weight), which is part of the body; " +
              "train with --head untied to give the head a decay of its own"
            : $"--head-weight-decay: the {kind.Name} has no output layer of its own ({string.Join(", ", kind.OutputLayer)}) to decay apart from the body");
    }

    private static Optimizer WithGroups<TOptions>(Optimizer<TOptions> optimizer, Tensor[] noDecay, HeadGroup? head) where TOptions : OptimizerOptions
    {
        if (noDecay.Length > 0) optimizer.AddParamGroup(noDecay, optimizer.Defaults with { WeightDecay = 0 }, "no_decay");
        if (head is not null) optimizer.AddParamGroup(head.Weights, optimizer.Defaults with { WeightDecay = head.WeightDecay }, "head");
        return optimizer;
    }

    /// <summary>
    /// <see cref="Muon.ForModel"/>'s groups ("muon" for the hidden matrices, "adamw" for the rest), with the head's
    /// weights taken out of "adamw" into an AdamW-mode group "head" at the same lr and the head's decay.
    /// </summary>
    private static Muon MuonWithHead(Module model, double lr, double adamLr, double weightDecay, HeadGroup head)
    {
        var (hidden, rest) = Muon.SplitParameters(model);
        var isHead = new HashSet<Tensor>(head.Weights, ReferenceEqualityComparer.Instance);
        var adam = new MuonOptions { UseMuon = false, Lr = adamLr, WeightDecay = 0 };
        var groups = new List<(string Name, MuonOptions Options, IReadOnlyList<Tensor> Parameters)>
        {
            ("muon", new MuonOptions { UseMuon = true, Lr = lr, WeightDecay = weightDecay }, hidden.Where(p => !isHead.Contains(p)).ToArray()),
            ("adamw", adam, rest.Where(p => !isHead.Contains(p)).ToArray()),
            ("head", adam with { WeightDecay = head.WeightDecay }, head.Weights),
        };
        groups.RemoveAll(g => g.Parameters.Count == 0);
        var muon = new Muon(groups[0].Parameters, groups[0].Options, groups[0].Name);
        foreach (var (groupName, options, parameters) in groups.Skip(1)) muon.AddParamGroup(parameters, options, groupName);
        return muon;
    }

    /// <summary>
    /// The dualized groups of <see cref="Dualized(Module, DualizedOptions?, IReadOnlyDictionary{string, DualizedRule}?, IReadOnlyDictionary{string, double}?)"/>
    /// (one per rule, in order of first appearance), with the head's weights in a group "head" of their own: the
    /// same rule (its Linear layer's), the head's decay.
    /// </summary>
    private static Dualized DualizedWithHead(Module model, DualizedOptions options, HeadGroup head)
    {
        var isHead = new HashSet<Tensor>(head.Weights, ReferenceEqualityComparer.Instance);
        var rules = Dualized.Rules(model);
        var body = rules.Where(r => !isHead.Contains(r.Parameter)).GroupBy(r => r.Rule)
                        .Select(g => (Name: g.Key.ToString().ToLowerInvariant(), Options: options with { Rule = g.Key }, Parameters: g.Select(r => r.Parameter).ToArray()))
                        .ToList();
        var headRule = rules.First(r => isHead.Contains(r.Parameter)).Rule;
        if (rules.Where(r => isHead.Contains(r.Parameter)).Any(r => r.Rule != headRule))
            throw new InvalidOperationException("Optimizers.DualizedWithHead: the head's weights have different dualized rules");
        body.Add(("head", options with { Rule = headRule, WeightDecay = head.WeightDecay }, head.Weights.ToArray()));
        var dualized = new Dualized(body[0].Parameters, body[0].Options, body[0].Name);
        foreach (var (groupName, groupOptions, parameters) in body.Skip(1)) dualized.AddParamGroup(parameters, groupOptions, groupName);
        return dualized;
    }

    private static Dualized CreateDualized(Module model, double lr, double weightDecay, double adamLr, DualizedSwitches s, HeadGroup? head)
    {
        var options = new DualizedOptions
        {
            Lr = lr,
            WeightDecay = weightDecay,
            Fan = Word(s.Fan, "--dualized-fan", DualizedFanNames, DualizedFan.Raw, DualizedFan.Clipped),
        };
        var targets = Word(s.Targets, "--dualized-targets", DualizedTargetNames, DualizedTargets.PerLayer, DualizedTargets.Uniform);
        var vectors = Word(s.Vectors, "--dualized-vectors", DualizedVectorNames, DualizedVectors.Dualized, DualizedVectors.AdamW);
        if (head is null) return new Dualized(model, options, targets: targets, vectors: vectors, adamLr: adamLr);
        // The head's own group is built on the one-group-per-rule plan, which knows neither per-layer targets nor an AdamW group.
        if (targets != DualizedTargets.Uniform || vectors != DualizedVectors.Dualized)
            throw new UserError("--head-weight-decay with --optimizer dualized needs --dualized-targets uniform and --dualized-vectors dualized " +
                                "(the head's group of its own is not combined with per-layer targets or an AdamW group)");
        return DualizedWithHead(model, options, head);
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
}

/// <summary>The output layer's weights and the decay they get in a group of their own (--head-weight-decay).</summary>
internal sealed record HeadGroup(IReadOnlyList<Tensor> Weights, double WeightDecay);
