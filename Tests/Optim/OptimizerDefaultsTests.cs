// Defaults that hold whichever options are given: options that set only the learning rate leave every other
// hyperparameter at the optimizer's documented default (PyTorch's where PyTorch has the optimizer), AdamW's weight
// decay 0.01 among them, and a later group's unset lr and decay come from the optimizer's defaults as in PyTorch.
using System.Reflection;
using DotGrad;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

/// <summary>
/// One optimizer's documented defaults: <see cref="Make"/> builds it with options that set only the lr (null: no
/// options at all), <see cref="Documented"/> is every other public option by name, from the class's doc comment.
/// </summary>
public sealed record DefaultsCase(string Name, double DocumentedLr, Func<Tensor, double?, Optimizer> Make, IReadOnlyDictionary<string, object?> Documented)
{
    public override string ToString() => Name;
}

public class OptimizerDefaultsTests
{
    private static Dictionary<string, object?> D(params (string Key, object? Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private static readonly (string, object?)[] AdamBetas = [("Beta1", 0.9), ("Beta2", 0.999), ("Eps", 1e-8)];

    public static IEnumerable<DefaultsCase> Cases()
    {
        // PyTorch: SGD(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False).
        yield return new("Sgd", 1e-3, (p, lr) => new Sgd([p], lr is { } l ? new SgdOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("Momentum", 0.0), ("Dampening", 0.0), ("Nesterov", false), ("MomentumDType", null)));
        // PyTorch: Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False).
        yield return new("Adam", 1e-3, (p, lr) => new Adam([p], lr is { } l ? new AdamOptions { Lr = l } : null),
            D([("WeightDecay", 0.0), .. AdamBetas, ("Amsgrad", false)]));
        // PyTorch: AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False): the case of the issue.
        yield return new("AdamW", 1e-3, (p, lr) => new AdamW([p], lr is { } l ? new AdamOptions { Lr = l } : null),
            D([("WeightDecay", 0.01), .. AdamBetas, ("Amsgrad", false)]));
        // DotGrad's Adafactor (its doc comment: lr-driven, clipping at 1, no momentum, factoring from 128).
        yield return new("Adafactor", 1e-3, (p, lr) => new Adafactor([p], lr is { } l ? new AdafactorOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("Beta2Decay", -0.8), ("Beta2Cap", null), ("Eps1", 1e-30), ("Eps2", 1e-3), ("ClipThreshold", 1.0),
              ("RelativeStep", false), ("ScaleParameter", false), ("Beta1", null), ("MomentumDType", null), ("MinDimToFactor", 128),
              ("WeightDecayMode", AdafactorWeightDecay.TimesLr)));
        // Lion: lion-pytorch's lr 1e-4, betas (0.9, 0.99), weight decay 0.
        yield return new("Lion", 1e-4, (p, lr) => new Lion([p], lr is { } l ? new LionOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("Beta1", 0.9), ("Beta2", 0.99)));
        // SM3: lr 0.1, EMA momentum 0.9, decay after preconditioning (trax's place).
        yield return new("Sm3", 0.1, (p, lr) => new Sm3([p], lr is { } l ? new Sm3Options { Lr = l } : null),
            D(("WeightDecay", 0.0), ("Momentum", 0.9), ("MomentumKind", MomentumKind.Ema), ("WeightDecayKind", Sm3WeightDecay.Preconditioned)));
        // Muon: the reference's lr 0.02, Nesterov momentum 0.95, 5 Newton-Schulz steps, its AdamW fallback's (0.9, 0.95), 1e-8.
        yield return new("Muon", 0.02, (p, lr) => new Muon([p], lr is { } l ? new MuonOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("UseMuon", true), ("Momentum", 0.95), ("Nesterov", true), ("NsSteps", 5),
              ("AdamBeta1", 0.9), ("AdamBeta2", 0.95), ("AdamEps", 1e-8)));
        // Dualized: modula's lr 0.1 and momentum 0.95, unit targets, the raw fan factor.
        yield return new("Dualized", 0.1, (p, lr) => new Dualized([p], lr is { } l ? new DualizedOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("Momentum", 0.95), ("Rule", null), ("LinearTarget", 1.0), ("EmbeddingTarget", 1.0), ("BiasTarget", 1.0),
              ("ScaleTarget", 1.0), ("NsSteps", 5), ("Fan", DualizedFan.Raw), ("UseAdamW", false), ("AdamBeta1", 0.9), ("AdamBeta2", 0.95), ("AdamEps", 1e-8)));
        // PyTorch: RMSprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False).
        yield return new("RmsProp", 1e-2, (p, lr) => new RmsProp([p], lr is { } l ? new RmsPropOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("Alpha", 0.99), ("Eps", 1e-8), ("Momentum", 0.0), ("Centered", false)));
        // PyTorch: Adagrad(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10).
        yield return new("Adagrad", 1e-2, (p, lr) => new Adagrad([p], lr is { } l ? new AdagradOptions { Lr = l } : null),
            D(("WeightDecay", 0.0), ("LrDecay", 0.0), ("InitialAccumulatorValue", 0.0), ("Eps", 1e-10)));
        // PyTorch: Adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0).
        yield return new("Adamax", 2e-3, (p, lr) => new Adamax([p], lr is { } l ? new AdamaxOptions { Lr = l } : null),
            D([("WeightDecay", 0.0), .. AdamBetas]));
        // PyTorch: NAdam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False).
        yield return new("NAdam", 2e-3, (p, lr) => new NAdam([p], lr is { } l ? new NAdamOptions { Lr = l } : null),
            D([("WeightDecay", 0.0), .. AdamBetas, ("MomentumDecay", 4e-3), ("DecoupledWeightDecay", false)]));
        // PyTorch: RAdam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False).
        yield return new("RAdam", 1e-3, (p, lr) => new RAdam([p], lr is { } l ? new RAdamOptions { Lr = l } : null),
            D([("WeightDecay", 0.0), .. AdamBetas, ("DecoupledWeightDecay", false)]));
    }

    // A 2-D parameter, so that Muon (matrices only) takes it like every other optimizer.
    private static Tensor Matrix() => Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).DetachFromDisposeScope().RequireGrad();

    private static void AssertDocumented(DefaultsCase c, OptimizerOptions options, double expectedLr, string how)
    {
        Assert.That(options.Lr, Is.EqualTo(expectedLr), $"{c.Name} {how}: Lr");
        var properties = options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                                .Where(p => p.Name != nameof(OptimizerOptions.Lr)).ToDictionary(p => p.Name);
        // Every public option is in the documented list (a new option must be listed with its default here).
        Assert.That(properties.Keys.Order(), Is.EqualTo(c.Documented.Keys.Order()), $"{c.Name}: the options and the documented list");
        foreach (var (name, expected) in c.Documented)
            Assert.That(properties[name].GetValue(options), Is.EqualTo(expected), $"{c.Name} {how}: {name}");
    }

    [TestCaseSource(nameof(Cases))]
    public void OptionsThatSetOnlyLr_LeaveEveryOtherHyperparameterAtItsDefault(DefaultsCase c)
    {
        using var p = Matrix();
        using var opt = c.Make(p, 0.0123);
        AssertDocumented(c, opt.ParamGroups[0].Options, 0.0123, "with only Lr set");
        using var q = Matrix();
        using var plain = c.Make(q, null);
        AssertDocumented(c, plain.ParamGroups[0].Options, c.DocumentedLr, "with no options");
    }

    [Test]
    public void AdamW_WithOnlyLrSet_DecaysBy0_01_InItsFirstStep()
    {
        // The case: AdamW(lr=0.1) in PyTorch decays by lr * 0.01 before the Adam step.
        // p = 2 (1 - 0.1 * 0.01) - 0.1 * g / (|g| + 1e-8) with g = 0.5 (m_hat = g, sqrt(v_hat) = |g| at t = 1)
        //   = 1.998 - 0.1 * 0.5 / 0.50000001
        using var p = Param(2.0);
        using var adamw = new AdamW([p], new AdamOptions { Lr = 0.1 });
        Grad(p, 0.5);
        adamw.Step();
        AssertClose(p, [1.998 - 0.1 * 0.5 / 0.50000001]);
        // Decay set to 0 explicitly is kept: no decay.
        using var q = Param(2.0);
        using var plain = new AdamW([q], new AdamOptions { Lr = 0.1, WeightDecay = 0 });
        Grad(q, 0.5);
        plain.Step();
        AssertClose(q, [2.0 - 0.1 * 0.5 / 0.50000001]);
    }

    [Test]
    public void AddParamGroup_FillsAnUnsetLrAndDecay_FromTheOptimizersDefaults()
    {
        using var body = Param(1.0);
        using var head = Param(1.0);
        using var bias = Param(1.0);
        using var adamw = new AdamW([body], new AdamOptions { Lr = 0.05, WeightDecay = 0.2, Beta1 = 0.8 });
        // Like PyTorch's add_param_group({"params": head, "lr": 0.5}): the missing weight_decay is the optimizer's 0.2.
        var headGroup = adamw.AddParamGroup([head], new AdamOptions { Lr = 0.5 });
        Assert.That(headGroup.Lr, Is.EqualTo(0.5));
        Assert.That(headGroup.WeightDecay, Is.EqualTo(0.2));
        // The missing lr is the optimizer's 0.05; fields other than lr and decay are the record's own (beta1 0.9).
        var biasGroup = adamw.AddParamGroup([bias], new AdamOptions { WeightDecay = 0 });
        Assert.That(biasGroup.Lr, Is.EqualTo(0.05));
        Assert.That(biasGroup.WeightDecay, Is.Zero);
        Assert.That(((AdamOptions)biasGroup.Options).Beta1, Is.EqualTo(0.9));
        // Options assigned to a group later are filled the same way.
        headGroup.Options = new AdamOptions { Beta2 = 0.99 };
        Assert.That(headGroup.Lr, Is.EqualTo(0.05));
        Assert.That(headGroup.WeightDecay, Is.EqualTo(0.2));
        Assert.That(((AdamOptions)headGroup.Options).Beta2, Is.EqualTo(0.99));
    }

    [Test]
    public void AnUnsetDecay_InAnAdamWGroupAddedToADefaultAdamW_Is0_01()
    {
        using var a = Param(1.0);
        using var b = Param(1.0);
        using var adamw = new AdamW([a]);
        var group = adamw.AddParamGroup([b], new AdamOptions { Lr = 0.3 });
        Assert.That(group.WeightDecay, Is.EqualTo(0.01));
        using var c = Param(1.0);
        using var adam = new Adam([c]);
        Assert.That(adam.AddParamGroup([Param(1.0)], new AdamOptions { Lr = 0.3 }).WeightDecay, Is.Zero);
    }

    [Test]
    public void OptionsEquality_ComparesValues_NotWhetherTheyWereSet()
    {
        // An unset lr reads as the record's default, and equals the same value set explicitly.
        Assert.That(new LionOptions(), Is.EqualTo(new LionOptions { Lr = 1e-4, WeightDecay = 0 }));
        Assert.That(new LionOptions().GetHashCode(), Is.EqualTo(new LionOptions { Lr = 1e-4, WeightDecay = 0 }.GetHashCode()));
        Assert.That(new LionOptions { Lr = 2e-4 }, Is.Not.EqualTo(new LionOptions()));
        Assert.That(new AdamOptions { WeightDecay = 0.01 }, Is.Not.EqualTo(new AdamOptions()));
    }
}
