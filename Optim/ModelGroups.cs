// Where Optim reads Models: how Muon and the dualized optimizer group a model's parameters by the layers that own
// them. The one file of Optim/ that may use Models/ (the architecture tests hold every other file to it).
using DotGrad.Models;

namespace DotGrad.Optim;

public sealed partial class Muon
{
    /// <summary>Top-level modules whose parameters never go to Muon: the output heads and the image models' input projections.</summary>
    public static readonly IReadOnlyList<string> AdamWModules = ["head", "lm_head", "patch_embed", "stem"];

    /// <summary>
    /// Splits a model's parameters (each once, in <see cref="Module.NamedParameters"/> order) into those Muon should
    /// train and those the AdamW fallback should. AdamW gets:
    /// <list type="bullet">
    /// <item>every parameter whose rank is not 2 (gains, biases, scalars, ViT's [1, N, C] position table, cls token and probe);</item>
    /// <item>every <see cref="Embedding"/> weight (token and position tables; a tied GPT head is the token embedding);</item>
    /// <item>everything under the top-level modules of <see cref="AdamWModules"/>: the output head (<c>head</c> of
    /// <see cref="VisionTransformer"/>, <see cref="MlpMixer"/> and <see cref="GMlp"/>, <c>lm_head</c> of an untied
    /// <see cref="Gpt"/>) and the input projection of the image models (<c>patch_embed</c>, <c>stem</c>), which plays
    /// the part of an input embedding;</item>
    /// <item>every parameter named in <paramref name="exclude"/>: a full dotted parameter name
    /// (<c>h.0.attn.out.weight</c>) or a module prefix (<c>h.0</c>); a name that matches nothing is an error.</item>
    /// </list>
    /// Muon gets the rest: the 2-D hidden matrices (attention and MLP weights, gMLP's spatial gate).
    /// </summary>
    public static (IReadOnlyList<Tensor> Muon, IReadOnlyList<Tensor> AdamW) SplitParameters(Module model, IEnumerable<string>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var excluded = (exclude ?? []).ToArray();
        var embeddings = model.NamedModules().Select(m => m.Module).OfType<Embedding>().Select(e => e.Weight)
                              .ToHashSet(ReferenceEqualityComparer.Instance);
        var matched = new HashSet<string>();
        bool Under(string name, string prefix) => name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal);

        var muon = new List<Tensor>();
        var adamw = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!seen.Add(p)) continue;                               // a parameter shared by two modules counts once
            bool isExcluded = false;
            foreach (var prefix in excluded)
                if (Under(name, prefix))
                {
                    matched.Add(prefix);
                    isExcluded = true;
                }
            bool toAdamW = isExcluded || p.Rank != 2 || embeddings.Contains(p) || AdamWModules.Any(m => Under(name, m));
            (toAdamW ? adamw : muon).Add(p);
        }
        var unknown = excluded.Where(e => !matched.Contains(e)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Muon.SplitParameters: exclude names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which match no parameter " +
                                        $"of the {model.GetType().Name}; give dotted parameter names or module prefixes such as " +
                                        $"'{model.NamedParameters().Select(p => p.Name).FirstOrDefault()}'", nameof(exclude));
        return (muon, adamw);
    }

    /// <summary>
    /// A Muon for a whole model: a group "muon" (lr <paramref name="lr"/>, decay <paramref name="weightDecay"/>) of the
    /// hidden matrices and a group "adamw" (<see cref="MuonOptions.UseMuon"/> false, lr <paramref name="adamLr"/>,
    /// decay <paramref name="adamWeightDecay"/>, 0 by default since it holds gains, biases and embeddings) of the rest,
    /// split by <see cref="SplitParameters"/>. Other fields come from <paramref name="options"/> (the defaults when
    /// null). A model with no hidden matrix gets the "adamw" group only; one with nothing for AdamW, the "muon" group only.
    /// </summary>
    public static Muon ForModel(Module model, double lr = 0.02, double adamLr = 3e-4, double weightDecay = 0, double adamWeightDecay = 0,
                                IEnumerable<string>? exclude = null, MuonOptions? options = null)
    {
        var (muonParams, adamParams) = SplitParameters(model, exclude);
        var baseOptions = options ?? new MuonOptions();
        var muonOptions = baseOptions with { UseMuon = true, Lr = lr, WeightDecay = weightDecay };
        var adamOptions = baseOptions with { UseMuon = false, Lr = adamLr, WeightDecay = adamWeightDecay };
        if (muonParams.Count == 0) return new Muon(adamParams, adamOptions, "adamw");
        var muon = new Muon(muonParams, muonOptions, "muon");
        if (adamParams.Count > 0) muon.AddParamGroup(adamParams, adamOptions, "adamw");
        return muon;
    }
}

public sealed partial class Dualized
{
    /// <summary>
    /// Dualized updates for a whole model: one group per rule (named "linear", "embedding", "bias", "scale", in the
    /// order they first appear in <see cref="Module.NamedParameters"/>), the rule in each group's options. Options come
    /// from <paramref name="options"/> (the defaults when null). <paramref name="rules"/> overrides the rule and
    /// <paramref name="targetNorms"/> the target norm of single parameters by their dotted names
    /// (<c>h.0.attn.query.weight</c>); a parameter with a target of its own gets a group of its own, named
    /// "{rule} {parameter name}". A name that is not a parameter of the model is an error. <see cref="Optimizer{T}.Defaults"/>
    /// are the first group's options.
    /// </summary>
    public Dualized(Module model, DualizedOptions? options = null, IReadOnlyDictionary<string, DualizedRule>? rules = null,
                    IReadOnlyDictionary<string, double>? targetNorms = null)
        : this(Plan(model, options ?? new DualizedOptions(), rules, targetNorms)) { }

    private Dualized(List<(string Name, DualizedOptions Options, List<Tensor> Parameters)> plan)
        : base(plan[0].Parameters, plan[0].Options, plan[0].Name)
    {
        foreach (var (name, options, parameters) in plan.Skip(1)) AddParamGroup(parameters, options, name);
    }

    /// <summary>The rule of each parameter of <paramref name="model"/> by its owning layer, or by shape when no layer claims it.</summary>
    public static IReadOnlyList<(string Name, Tensor Parameter, DualizedRule Rule)> Rules(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var owned = new Dictionary<Tensor, DualizedRule>(ReferenceEqualityComparer.Instance);
        void Claim(Tensor? p, DualizedRule rule)
        {
            if (p is not null) owned.TryAdd(p, rule);
        }
        foreach (var (_, module) in model.NamedModules())
            switch (module)
            {
                case Linear l: Claim(l.Weight, DualizedRule.Linear); Claim(l.Bias, DualizedRule.Bias); break;
                case Embedding e: Claim(e.Weight, DualizedRule.Embedding); break;
                case LayerNorm n: Claim(n.Weight, DualizedRule.Scale); Claim(n.Bias, DualizedRule.Bias); break;
                case RmsNorm n: Claim(n.Weight, DualizedRule.Scale); break;
            }
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        return model.NamedParameters().Where(np => seen.Add(np.Parameter))
                    .Select(np => (np.Name, np.Parameter, owned.TryGetValue(np.Parameter, out var r) ? r : DualizedRules.ByShape(np.Parameter)))
                    .ToArray();
    }

    private static List<(string Name, DualizedOptions Options, List<Tensor> Parameters)> Plan(
        Module model, DualizedOptions options, IReadOnlyDictionary<string, DualizedRule>? rules, IReadOnlyDictionary<string, double>? targetNorms)
    {
        var all = Rules(model);
        var names = all.Select(r => r.Name).ToHashSet();
        foreach (var (field, keys) in new[] { ("rules", rules?.Keys), ("targetNorms", targetNorms?.Keys) })
        {
            var unknown = (keys ?? Enumerable.Empty<string>()).Where(k => !names.Contains(k)).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"Dualized: {field} names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which " +
                                            $"{(unknown.Length == 1 ? "is not a parameter" : "are not parameters")} of the {model.GetType().Name}; " +
                                            $"its parameters are named like '{all.Select(r => r.Name).FirstOrDefault()}'", field);
        }

        var plan = new List<(string Name, DualizedOptions Options, List<Tensor> Parameters)>();
        foreach (var (name, p, ownRule) in all)
        {
            var rule = rules is not null && rules.TryGetValue(name, out var r) ? r : ownRule;
            var groupOptions = options with { Rule = rule };
            string groupName = rule.ToString().ToLowerInvariant();
            if (targetNorms is not null && targetNorms.TryGetValue(name, out var target))
            {
                groupOptions = groupOptions.WithTargetNorm(rule, target);
                groupName += " " + name;
            }
            int i = plan.FindIndex(g => g.Name == groupName);
            if (i < 0) plan.Add((groupName, groupOptions, [p]));
            else plan[i].Parameters.Add(p);
        }
        if (plan.Count == 0) throw new ArgumentException($"Dualized: the {model.GetType().Name} has no parameters", nameof(model));
        return plan;
    }
}
