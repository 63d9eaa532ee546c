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
    /// from <paramref name="options"/> (the defaults when null; their <see cref="DualizedOptions.Fan"/> serves every
    /// group). <paramref name="rules"/> overrides the rule and <paramref name="targetNorms"/> the target norm of single
    /// parameters by their dotted names (<c>h.0.attn.query.weight</c>); a parameter with a target of its own gets a
    /// group of its own, named "{rule} {parameter name}". A name that is not a parameter of the model is an error.
    /// <para><paramref name="targets"/> <see cref="DualizedTargets.PerLayer"/> gives every parameter the target of
    /// <see cref="ModularTargets"/> (with <paramref name="masses"/>), so each gets a group of its own; an entry of
    /// <paramref name="targetNorms"/> still wins. <paramref name="vectors"/> <see cref="DualizedVectors.AdamW"/> puts
    /// every parameter whose rank is not 2 (biases, gains, scalars, position tables, the cls token) in one group
    /// "adamw" (<see cref="DualizedOptions.UseAdamW"/>, lr <paramref name="adamLr"/>, no weight decay, as
    /// <see cref="Muon.ForModel"/>'s fallback); a rule or target for one of those is an error, as it would do nothing.</para>
    /// <see cref="Optimizer{T}.Defaults"/> are the first group's options.
    /// </summary>
    public Dualized(Module model, DualizedOptions? options = null, IReadOnlyDictionary<string, DualizedRule>? rules = null,
                    IReadOnlyDictionary<string, double>? targetNorms = null, DualizedTargets targets = DualizedTargets.Uniform,
                    DualizedVectors vectors = DualizedVectors.Dualized, double adamLr = 3e-3, ModularMasses? masses = null)
        : this(Plan(model, options ?? new DualizedOptions(), rules, targetNorms, targets, vectors, adamLr, masses)) { }

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

    /// <summary>
    /// The target norm modula's <c>dualize</c> would give each parameter of <paramref name="model"/> (a
    /// <see cref="VisionTransformer"/> or an untied <see cref="Gpt"/>), by dotted name: the targets of
    /// <see cref="ModularNetwork"/> under <see cref="ModularNorm.Targets"/>.
    /// <para>For the dualized ViT (pre-norm LayerNorm with biases, s = 1/(2 depth), 1/d attention with its output
    /// times 1/3, scaled GELU, GAP head, sincos2d positions) and the default masses (input 1, blocks 5, output
    /// natural) every sensitivity is 1 and the targets do not depend on the depth: the output's four atoms (final
    /// norm gain and bias, head weight and bias; total mass 10) get 1/10 each; the patch Linear's weight and bias
    /// share the input's 1/10, 1/20 each; in every block, ln_1 and ln_2's gain and bias and both MLP Linears' weight
    /// and bias 1/16, the query, key and value weights and biases 3/16, the attention output's weight and bias 1/16.
    /// (Blocks: 5/10 over depth N, 1/N each; a block's masses are attention step 10, MLP step 6; the scaled residual
    /// divides a branch's share by s = 1/(2N), which cancels the 1/N; inside attention the 1/3 before the output
    /// projection triples what the value and score paths get.)</para>
    /// </summary>
    public static IReadOnlyDictionary<string, double> ModularTargets(Module model, ModularMasses? masses = null)
    {
        var targets = ModularNorm.Targets(ModularNetwork(model, masses));
        var missing = model.NamedParameters().Select(np => np.Name).Where(n => !targets.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"Dualized.ModularTargets: the {model.GetType().Name} has parameters its modular network does not place " +
                                        $"({string.Join(", ", missing)}); give them targets by name or use uniform targets", nameof(model));
        return targets;
    }

    /// <summary>
    /// <paramref name="model"/> as modula would compose it from atoms and bonds (see <see cref="ModularNorm"/>), in
    /// the manner of modula's GPT (<c>out @ blocks @ embed</c>, <c>embed.tare()</c>, <c>blocks.tare(absolute=5)</c>):
    /// <code>
    /// network    Chain(Tare(input, masses.Input), Tare(blocks, masses.Blocks), output (tared only when masses.Output is set))
    /// input      ViT: Sum(patch Linear, learned positions atom, cls token atom)  (a constant position table is a bond: absent)
    ///            GPT: Sum(token embedding atom, position embedding atom)
    /// output     Chain(final norm, pooling bond 1 (ViT), head Linear)
    /// Linear     Chain(weight atom, bias atom)                       modula's Bias atom after its Linear: mass 1 each, sensitivity 1
    /// norm       Chain(bond 1, gain atom, bias atom)                 the normalisation a bond, diag(gain) an atom (sensitivity 1 at init)
    /// attention  Chain(Sum(V, Chain(Sum(Q, K), bond LogitScale*d)), bond OutputScale, out Linear)    modula's Attention; QK-norm inside Q, K
    /// MLP        Chain(fc, bond slope, proj)                         slope: max |act'|: relu, scaled-gelu 1; gelu 1.1289; silu 1.0998
    /// gated MLP  Chain(Sum(Chain(gate, bond slope), up), down)       the product gate * up taken as a sum (see below)
    /// residual   standard Sum(bond 1, branch); scaled ScaledResidual(branch, 1/(2 depth))
    /// block      the placements of TransformerBlock: pre R(x, A(N x)); post N R(x, A x); double R(x, N' A(N x)); parallel one R over A + M
    /// </code>
    /// Where this differs from what modula can be known to do: modula's library has no bias, gain or norm module,
    /// so those follow the ViT port's description (a bias atom like an embedding, a gain as the linear map diag(g),
    /// a norm as a weightless bond of sensitivity 1, constant positions as a bond). The output's natural mass (one per
    /// atom, as modula leaves its GPT's head untared) gives the head more than modula's bias-free GPT head when the
    /// final norm and head have biases. DotGrad multiplies the attention output after the out projection and its
    /// bias; modula multiplies before the projection, which is how it is counted here, so the out bias is counted as
    /// unscaled. modula has no gated MLP: the product of the gate and up branches is counted like a sum. ReZero (a
    /// learned scalar that starts at 0, a zero sensitivity), the MAP head and a tied GPT head (one weight in two
    /// places) have no modular-norm counterpart and are refused.
    /// </summary>
    public static ModularNode ModularNetwork(Module model, ModularMasses? masses = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var m = masses ?? new ModularMasses();
        m.Validate();
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters()) names.TryAdd(p, name);
        var net = new ModularBuilder(names, model.GetType().Name);
        var (input, blocks, output) = model switch
        {
            VisionTransformer vit => net.Vit(vit),
            Gpt gpt => net.Gpt(gpt),
            _ => throw new ArgumentException($"Dualized.ModularNetwork: per-layer targets are defined for the VisionTransformer and the Gpt, " +
                                             $"not for a {model.GetType().Name}; use uniform targets or give targetNorms by name", nameof(model)),
        };
        return ModularNorm.Chain(ModularNorm.Tare(input, m.Input), ModularNorm.Tare(ModularNorm.Chain(blocks), m.Blocks),
                                 m.Output is { } o ? ModularNorm.Tare(output, o) : output);
    }

    private static List<(string Name, DualizedOptions Options, List<Tensor> Parameters)> Plan(
        Module model, DualizedOptions options, IReadOnlyDictionary<string, DualizedRule>? rules, IReadOnlyDictionary<string, double>? targetNorms,
        DualizedTargets targets, DualizedVectors vectors, double adamLr, ModularMasses? masses)
    {
        if (!Enum.IsDefined(targets)) throw new ArgumentOutOfRangeException(nameof(targets), targets, "Dualized: unknown DualizedTargets");
        if (!Enum.IsDefined(vectors)) throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "Dualized: unknown DualizedVectors");
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
        var perLayer = targets == DualizedTargets.PerLayer ? ModularTargets(model, masses) : null;

        var plan = new List<(string Name, DualizedOptions Options, List<Tensor> Parameters)>();
        void Add(string groupName, DualizedOptions groupOptions, Tensor p)
        {
            int i = plan.FindIndex(g => g.Name == groupName);
            if (i < 0) plan.Add((groupName, groupOptions, [p]));
            else plan[i].Parameters.Add(p);
        }
        foreach (var (name, p, ownRule) in all)
        {
            if (vectors == DualizedVectors.AdamW && p.Rank != 2)
            {
                if (rules?.ContainsKey(name) == true || targetNorms?.ContainsKey(name) == true)
                    throw new ArgumentException($"Dualized: '{name}' (shape [{string.Join(", ", p.Shape)}]) goes to the AdamW group with DualizedVectors.AdamW, " +
                                                "so a rule or a target norm for it would do nothing; drop it or keep the vectors dualized", nameof(vectors));
                Add("adamw", options with { UseAdamW = true, Rule = null, Lr = adamLr, WeightDecay = 0 }, p);
                continue;
            }
            var rule = rules is not null && rules.TryGetValue(name, out var r) ? r : ownRule;
            var groupOptions = options with { Rule = rule };
            string groupName = rule.ToString().ToLowerInvariant();
            if (targetNorms is not null && targetNorms.TryGetValue(name, out var target) || perLayer is not null && perLayer.TryGetValue(name, out target))
            {
                groupOptions = groupOptions.WithTargetNorm(rule, target);
                groupName += " " + name;
            }
            Add(groupName, groupOptions, p);
        }
        if (plan.Count == 0) throw new ArgumentException($"Dualized: the {model.GetType().Name} has no parameters", nameof(model));
        return plan;
    }

    /// <summary>Turns a model's layers into <see cref="ModularNode"/>s (see <see cref="ModularNetwork"/>), atoms named by the model's parameter names.</summary>
    private sealed class ModularBuilder(Dictionary<Tensor, string> names, string model)
    {
        private ModularNode Atom(Tensor p) => ModularNorm.Atom(names[p]);

        private ModularNode? Optional(Tensor? p) => p is null ? null : Atom(p);

        private ModularNode Linear(Linear l) => ModularNorm.Chain(Atom(l.Weight), Optional(l.Bias));

        private ModularNode? Norm(Module? norm) => norm switch
        {
            null => null,
            LayerNorm n => ModularNorm.Chain(ModularNorm.Bond(), Atom(n.Weight), Optional(n.Bias)),
            RmsNorm n => ModularNorm.Chain(ModularNorm.Bond(), Atom(n.Weight)),
            _ => throw new ArgumentException($"Dualized.ModularNetwork: the {model} has a norm of type {norm.GetType().Name}, which has no modular-norm rule here"),
        };

        private static double Slope(Activation a) => a switch
        {
            Activation.ScaledGelu or Activation.Relu => 1,
            Activation.Gelu or Activation.GeluTanh => 1.1289,   // the largest slope of GELU, which ScaledGelu divides by
            Activation.Silu => 1.0998,                          // the largest slope of SiLU, at x near 2.4
            _ => throw new ArgumentOutOfRangeException(nameof(a), a, "Dualized.ModularNetwork: unknown Activation"),
        };

        private ModularNode Attention(MultiHeadAttention a)
        {
            var q = ModularNorm.Chain(Linear(a.Query), Norm(a.QueryNorm));
            var k = ModularNorm.Chain(Linear(a.Key), Norm(a.KeyNorm));
            // modula writes logits as q k^T / d followed by softmax(sharpness * .): the sharpness is the softmax's sensitivity.
            var scores = ModularNorm.Chain(ModularNorm.Sum(q, k), ModularNorm.Bond(a.LogitScale * a.HeadDim));
            return ModularNorm.Chain(ModularNorm.Sum(Linear(a.Value), scores), ModularNorm.Bond(a.Config.OutputScale), Linear(a.Out));
        }

        private ModularNode Mlp(Mlp m) => m.Kind == MlpKind.Plain
            ? ModularNorm.Chain(Linear(m.Fc!), ModularNorm.Bond(Slope(m.Activation)), Linear(m.Output))
            : ModularNorm.Chain(ModularNorm.Sum(ModularNorm.Chain(Linear(m.Gate!), ModularNorm.Bond(Slope(m.Activation))), Linear(m.Up!)), Linear(m.Output));

        private ModularNode Block(TransformerBlock b)
        {
            var c = b.Config;
            ModularNode Join(ModularNode branch) => c.Residual switch
            {
                ResidualKind.Standard => ModularNorm.Sum(ModularNorm.Bond(), branch),
                ResidualKind.Scaled => ModularNorm.ScaledResidual(branch, b.ResidualScale),
                _ => throw new ArgumentException($"Dualized.ModularNetwork: the {model}'s blocks have the {c.Residual} residual, whose scalar starts at 0 " +
                                                 "(a zero sensitivity); the modular norm has no targets for it. Use uniform targets"),
            };
            // One residual step in the block's norm placement: pre R(x, f(N x)); post N R(x, f x); double R(x, N' f(N x)).
            ModularNode Step(Module? norm, ModularNode f, Module? outputNorm) => c.Norm switch
            {
                NormPlacement.Post => ModularNorm.Chain(Join(f), Norm(norm)),
                _ => Join(ModularNorm.Chain(Norm(norm), f, Norm(outputNorm))),
            };
            var attention = Attention(b.Attention);
            var mlp = Mlp(b.Mlp);
            if (!c.Parallel)
                return ModularNorm.Chain(Step(b.Norm1, attention, b.Norm1Post), Step(b.Norm2, mlp, b.Norm2Post));
            // Parallel: one step whose branch is A + M; the double placement's output norms sit inside each branch.
            var both = ModularNorm.Sum(ModularNorm.Chain(attention, Norm(b.Norm1Post)), ModularNorm.Chain(mlp, Norm(b.Norm2Post)));
            return Step(b.Norm1, both, null);
        }

        public (ModularNode Input, ModularNode[] Blocks, ModularNode Output) Vit(VisionTransformer vit)
        {
            if (vit.AttnPool is not null)
                throw new ArgumentException("Dualized.ModularNetwork: the ViT's MAP head (attention pooling with a learned probe) has no modular-norm rule here; " +
                                            "use the tok or gap head, or uniform targets");
            // Learned positions and the cls token are atoms whose output does not depend on the input, summed with the patches.
            var input = ModularNorm.Sum(Linear(vit.PatchEmbed), vit.Config.Positions == VitPositions.Learned ? Atom(vit.PosEmbed) : null, Optional(vit.ClsToken));
            var output = ModularNorm.Chain(Norm(vit.Norm), ModularNorm.Bond(), Linear(vit.Head));    // the bond: tok's pick or gap's mean
            return (input, vit.Blocks.Select(Block).ToArray(), output);
        }

        public (ModularNode Input, ModularNode[] Blocks, ModularNode Output) Gpt(Gpt gpt)
        {
            if (gpt.Head is null)
                throw new ArgumentException("Dualized.ModularNetwork: the GPT's head is tied to its token embedding, one weight in two places of the network, " +
                                            "which the modular norm cannot give one target; use an untied head or uniform targets");
            var input = ModularNorm.Sum(Atom(gpt.TokenEmbedding.Weight), gpt.PositionEmbedding is { } wpe ? Atom(wpe.Weight) : null);
            var output = ModularNorm.Chain(Norm(gpt.FinalNorm), Linear(gpt.Head));
            return (input, gpt.Blocks.Select(Block).ToArray(), output);
        }
    }
}
