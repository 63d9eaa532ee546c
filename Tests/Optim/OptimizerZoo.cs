// Every optimizer, set up to train the tiny GPT of the cross-optimizer suite, with the state-memory formula each
// must match. One entry per optimizer and per storage variant (a BFloat16 momentum, a factored statistic).
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

/// <summary>
/// One optimizer under test. <see cref="Create"/> builds it for a model (decay on or off); <see cref="ExpectedBytes"/>
/// is its <c>StateBytes()</c> computed from the model's parameter shapes by the formula of the optimizer's docs.
/// </summary>
public sealed record ZooEntry(string Name, Func<Gpt, bool, Optimizer> Create, Func<Gpt, long> ExpectedBytes)
{
    public override string ToString() => Name;
}

public static class OptimizerZoo
{
    /// <summary>A one-block GPT small enough for hundreds of steps in a test, with matrices of 32 and more (so 32-factoring applies).</summary>
    public static readonly GptConfig Config = new(VocabSize: 12, ContextLength: 8, Width: 32, Depth: 1, Heads: 2, TiedHead: false);

    private static long Floats(Gpt m, Func<Tensor, long> perParameter) => m.Parameters().Sum(perParameter);
    private static long Count(Tensor p) => p.Count;

    public static IEnumerable<ZooEntry> Entries()
    {
        yield return new("sgd", (m, decay) => new Sgd(m.Parameters(), new SgdOptions { Lr = 0.3, WeightDecay = decay ? 1e-4 : 0 }),
            _ => 0);
        yield return new("sgd-momentum", (m, decay) => new Sgd(m.Parameters(), new SgdOptions { Lr = 0.1, Momentum = 0.9, WeightDecay = decay ? 1e-4 : 0 }),
            m => 4 * Floats(m, Count));
        yield return new("sgd-nesterov-bf16", (m, decay) => new Sgd(m.Parameters(),
                new SgdOptions { Lr = 0.1, Momentum = 0.9, Nesterov = true, MomentumDType = DType.BFloat16, WeightDecay = decay ? 1e-4 : 0 }),
            m => 2 * Floats(m, Count));
        yield return new("adam", (m, decay) => new Adam(m.Parameters(), new AdamOptions { Lr = 1e-2, WeightDecay = decay ? 1e-4 : 0 }),
            m => 2 * 4 * Floats(m, Count));
        yield return new("adamw", (m, decay) => new AdamW(m.Parameters(), new AdamOptions { Lr = 1e-2, WeightDecay = decay ? 0.1 : 0 }),
            m => 2 * 4 * Floats(m, Count));
        yield return new("lion", (m, decay) => new Lion(m.Parameters(), new LionOptions { Lr = 3e-3, WeightDecay = decay ? 0.1 : 0 }),
            m => 4 * Floats(m, Count));
        // SM3: one accumulator per axis of a matrix (n + m), a full Adagrad accumulator for a vector, plus the momentum.
        yield return new("sm3", (m, decay) => new Sm3(m.Parameters(), new Sm3Options { Lr = 0.1, WeightDecay = decay ? 1e-4 : 0 }),
            m => 4 * Floats(m, p => (p.Rank >= 2 ? p.Shape.Sum() : p.Count) + p.Count));
        // Adafactor: n + m for a matrix whose two largest dims reach MinDimToFactor, a full v otherwise.
        yield return new("adafactor", (m, decay) => new Adafactor(m.Parameters(), new AdafactorOptions { Lr = 1e-2, MinDimToFactor = 32, WeightDecay = decay ? 1e-4 : 0 }),
            m => 4 * Floats(m, p => Adafactor.FactoredAxes(p.Shape, 32) is { } a ? p.Shape[a.Row] + p.Shape[a.Col] : p.Count));
        // The Scaling-ViT preset adds a BFloat16 first momentum (2 bytes per element).
        yield return new("adafactor-bv", (m, decay) => new Adafactor(m.Parameters(), AdafactorOptions.ScalingVit(lr: 1e-2, weightDecay: decay ? 1e-4 : 0)),
            m => Floats(m, p => 4L * (Adafactor.FactoredAxes(p.Shape, 32) is { } a ? p.Shape[a.Row] + p.Shape[a.Col] : p.Count) + 2L * p.Count));
        // Muon: one momentum per hidden matrix; the AdamW fallback (embeddings, head, vectors) keeps Adam's two buffers.
        yield return new("muon", (m, decay) => Muon.ForModel(m, lr: 0.02, adamLr: 1e-2, weightDecay: decay ? 1e-4 : 0, adamWeightDecay: decay ? 1e-4 : 0),
            m =>
            {
                var (muon, adamw) = Muon.SplitParameters(m);
                return 4 * (muon.Sum(p => (long)p.Count) + 2 * adamw.Sum(p => (long)p.Count));
            });
        // PyTorch's RMSprop: the running square average; centered adds the running mean and momentum its buffer.
        yield return new("rmsprop", (m, decay) => new RmsProp(m.Parameters(), new RmsPropOptions { Lr = 1e-3, WeightDecay = decay ? 1e-4 : 0 }),
            m => 4 * Floats(m, Count));
        yield return new("rmsprop-centered-momentum", (m, decay) => new RmsProp(m.Parameters(),
                new RmsPropOptions { Lr = 3e-4, Momentum = 0.9, Centered = true, WeightDecay = decay ? 1e-4 : 0 }),
            m => 3 * 4 * Floats(m, Count));
        // Adagrad: one running sum of squares, started at the initial accumulator value.
        yield return new("adagrad", (m, decay) => new Adagrad(m.Parameters(),
                new AdagradOptions { Lr = 0.05, LrDecay = 1e-3, InitialAccumulatorValue = 0.1, WeightDecay = decay ? 1e-4 : 0 }),
            m => 4 * Floats(m, Count));
        // Adamax: the first moment and the infinity norm.
        yield return new("adamax", (m, decay) => new Adamax(m.Parameters(), new AdamaxOptions { Lr = 1e-2, WeightDecay = decay ? 1e-4 : 0 }),
            m => 2 * 4 * Floats(m, Count));
        // NAdam: Adam's two moments and a Float64 mu_product scalar per parameter.
        yield return new("nadam-decoupled", (m, decay) => new NAdam(m.Parameters(),
                new NAdamOptions { Lr = 1e-2, DecoupledWeightDecay = true, WeightDecay = decay ? 0.1 : 0 }),
            m => 2 * 4 * Floats(m, Count) + 8L * m.Parameters().Count());
        // RAdam: Adam's two moments; the first five steps are momentum SGD, so it starts slower than Adam.
        yield return new("radam", (m, decay) => new RAdam(m.Parameters(), new RAdamOptions { Lr = 1e-2, WeightDecay = decay ? 1e-4 : 0 }),
            m => 2 * 4 * Floats(m, Count));
        // Dualized: one momentum per parameter, whatever its rule.
        yield return new("dualized", (m, decay) => new Dualized(m, new DualizedOptions { Lr = 0.05, WeightDecay = decay ? 1e-4 : 0 }),
            m => 4 * Floats(m, Count));
    }
}

/// <summary>The zoo is written by hand (each entry has its own settings and memory formula), so it is checked to hold every optimizer.</summary>
public class OptimizerZooCoverageTests
{
    [Test]
    public void TheZoo_HasAnEntryForEveryOptimizerInTheLibrary()
    {
        using var model = new Gpt(OptimizerZoo.Config, new Generator(1));
        var inZoo = OptimizerZoo.Entries().Select(e =>
        {
            using var opt = e.Create(model, false);
            return opt.GetType();
        }).ToHashSet();
        var all = typeof(Optimizer).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Optimizer)) && !t.IsAbstract).ToList();
        Assert.That(all, Is.Not.Empty, "reflection found no optimizer");
        var missing = all.Where(t => !inZoo.Contains(t)).Select(t => t.Name).ToList();
        Assert.That(missing, Is.Empty, "add a ZooEntry for each of these optimizers: " + string.Join(", ", missing));
    }
}
