// The one place that maps an --optimizer name to an optimizer over a model's parameters. Adafactor, Lion, SM3, Muon
// and the dualized updates are being written in Optim/; each is one case here when it lands.
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Cli.Training;

internal static class Optimizers
{
    /// <summary>Every name --optimizer accepts, available or not yet.</summary>
    public static readonly IReadOnlyList<string> Names = ["sgd", "adam", "adamw", "adafactor", "adafactor-bv", "lion", "sm3", "muon", "dualized"];

    /// <summary>The names that can be used in this build.</summary>
    public static readonly IReadOnlyList<string> Available = ["sgd", "adam", "adamw"];

    /// <summary>Checks <paramref name="name"/> before any work starts: unknown or not yet available names are a <see cref="UserError"/>.</summary>
    public static string Validate(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        if (!Names.Contains(n))
            throw new UserError($"--optimizer '{name}' is not an optimizer; choose one of {string.Join(", ", Names)}");
        if (!Available.Contains(n))
            throw new UserError($"--optimizer {n} is not available yet in this version of DotGrad (it is being written); use one of {string.Join(", ", Available)}");
        return n;
    }

    /// <summary>
    /// The learning rate an optimizer gets when --lr is not given: the task's own (tuned for Adam and AdamW), or
    /// what suits the optimizer's scale (SGD with momentum needs a much larger step).
    /// </summary>
    public static double DefaultLr(string name, double taskLr) => name switch
    {
        "sgd" => 0.1,
        _ => taskLr,
    };

    /// <summary>The weight decay an optimizer gets when --weight-decay is not given.</summary>
    public static double DefaultWeightDecay(string name) => name switch
    {
        "adamw" => 0.01,
        _ => 0,
    };

    /// <summary>
    /// The optimizer over <paramref name="model"/>'s parameters. Weight decay applies to matrices and embeddings only
    /// (the usual GPT recipe): vectors (biases, norm gains, ReZero's alpha) form a second group without decay.
    /// </summary>
    public static Optimizer Create(string name, Module model, double lr, double weightDecay)
    {
        var decay = model.Parameters().Where(p => p.Rank >= 2).ToArray();
        var noDecay = model.Parameters().Where(p => p.Rank < 2).ToArray();
        string n = Validate(name);
        switch (n)
        {
            case "sgd":
            {
                var o = new SgdOptions { Lr = lr, Momentum = 0.9, WeightDecay = weightDecay };
                var opt = new Sgd(decay, o);
                if (noDecay.Length > 0) opt.AddParamGroup(noDecay, o with { WeightDecay = 0 }, "no_decay");
                return opt;
            }
            case "adam":
            case "adamw":
            {
                var o = new AdamOptions { Lr = lr, WeightDecay = weightDecay };
                Optimizer<AdamOptions> opt = n == "adam" ? new Adam(decay, o) : new AdamW(decay, o);
                if (noDecay.Length > 0) opt.AddParamGroup(noDecay, o with { WeightDecay = 0 }, "no_decay");
                return opt;
            }
            default:
                throw new UserError($"--optimizer {n} is not available yet in this version of DotGrad");
        }
    }
}
