// The modular norm's bookkeeping (Large et al., "Scalable Optimization in the Modular Norm"; the modula library): a
// network as a tree of atoms (weights), bonds (weightless maps) and their compositions, each with a mass and a
// sensitivity, and the target norm that dualizing the whole network hands down to each atom.
namespace DotGrad.Optim;

/// <summary>
/// A node of a network as the modular norm sees it. <see cref="Mass"/> is the node's share of feature learning (an
/// atom's own mass; 0 for a bond; the sum over the children of a composition); <see cref="Sensitivity"/> is its input
/// Lipschitz estimate (a bond's factor; the product along a chain; the sum over a sum). Build nodes with
/// <see cref="ModularNorm"/>'s factory methods and read the targets with <see cref="ModularNorm.Targets"/>.
/// </summary>
public abstract record ModularNode
{
    /// <summary>The node's mass (at least 0).</summary>
    public abstract double Mass { get; }

    /// <summary>The node's sensitivity (greater than 0).</summary>
    public abstract double Sensitivity { get; }

    /// <summary>Hands <paramref name="target"/> down to the atoms below, adding each atom's target to <paramref name="targets"/>.</summary>
    internal abstract void Dualize(double target, Dictionary<string, double> targets);
}

/// <summary>One weight tensor, named as the model's parameter (<c>blocks.0.attn.query.weight</c>).</summary>
public sealed record ModularAtom(string Parameter, double AtomMass = 1, double AtomSensitivity = 1) : ModularNode
{
    public override double Mass => AtomMass;
    public override double Sensitivity => AtomSensitivity;

    internal override void Dualize(double target, Dictionary<string, double> targets)
    {
        if (!targets.TryAdd(Parameter, target))
            throw new ArgumentException($"ModularNorm.Targets: the parameter '{Parameter}' appears twice in the network (a shared weight); " +
                                        "the modular norm gives each atom one place, so a shared weight has no single target");
    }
}

/// <summary>A map without weights (a norm's normalisation, an activation, a constant factor): mass 0.</summary>
public sealed record ModularBond(double BondSensitivity = 1) : ModularNode
{
    public override double Mass => 0;
    public override double Sensitivity => BondSensitivity;
    internal override void Dualize(double target, Dictionary<string, double> targets) { }
}

/// <summary>Nodes applied one after the other, <see cref="Nodes"/>[0] first (modula's <c>m_k @ ... @ m_0</c>).</summary>
public sealed record ModularChain(IReadOnlyList<ModularNode> Nodes) : ModularNode
{
    public override double Mass => Nodes.Sum(n => n.Mass);
    public override double Sensitivity => Nodes.Aggregate(1.0, (s, n) => s * n.Sensitivity);

    /// <summary>
    /// modula's CompositeModule.dualize unrolled over the chain: node i gets
    /// <c>target * mass_i / mass / (sensitivity of the nodes after i)</c>. (Composing two at a time gives the same,
    /// as masses add and sensitivities multiply.) A massless chain hands nothing down, as modula zeroes it.
    /// </summary>
    internal override void Dualize(double target, Dictionary<string, double> targets)
    {
        double mass = Mass, after = 1;
        if (mass <= 0) return;
        for (int i = Nodes.Count - 1; i >= 0; i--)
        {
            Nodes[i].Dualize(target * Nodes[i].Mass / mass / after, targets);
            after *= Nodes[i].Sensitivity;
        }
    }
}

/// <summary>Nodes that read the same input and whose outputs are added (modula's <c>Add() @ (m_0, m_1, ...)</c>).</summary>
public sealed record ModularSum(IReadOnlyList<ModularNode> Nodes) : ModularNode
{
    public override double Mass => Nodes.Sum(n => n.Mass);
    public override double Sensitivity => Nodes.Sum(n => n.Sensitivity);

    /// <summary>modula's TupleModule.dualize: child i gets <c>target * mass_i / mass</c> (Add is a bond of sensitivity 1).</summary>
    internal override void Dualize(double target, Dictionary<string, double> targets)
    {
        double mass = Mass;
        if (mass <= 0) return;
        foreach (var n in Nodes) n.Dualize(target * n.Mass / mass, targets);
    }
}

/// <summary>
/// <see cref="Inner"/> with its total mass set to <see cref="TaredMass"/> (modula's <c>tare(absolute)</c>), which scales
/// every mass below by the same factor: the shares inside stay, the node's weight against its siblings changes.
/// </summary>
public sealed record ModularTared(ModularNode Inner, double TaredMass) : ModularNode
{
    public override double Mass => TaredMass;
    public override double Sensitivity => Inner.Sensitivity;

    internal override void Dualize(double target, Dictionary<string, double> targets) => Inner.Dualize(target, targets);
}

/// <summary>
/// Builds <see cref="ModularNode"/> trees and computes the per-atom target norms of modula's <c>dualize</c>: the
/// network is dualized with target 1, a composition hands each child <c>target * (child mass / own mass)</c>, and a
/// child that runs before others is divided by the product of their sensitivities (a change early in the network is
/// amplified by everything after it). Each atom's update is then its own dualized gradient times its target.
/// </summary>
public static class ModularNorm
{
    /// <summary>An atom (one parameter) of mass <paramref name="mass"/> and sensitivity <paramref name="sensitivity"/> (modula's Linear, Embed: 1 and 1).</summary>
    public static ModularNode Atom(string parameter, double mass = 1, double sensitivity = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameter);
        if (!(mass > 0 && double.IsFinite(mass))) throw new ArgumentOutOfRangeException(nameof(mass), mass, $"ModularNorm.Atom: the mass of '{parameter}' must be a positive number");
        Sensitive(sensitivity, $"ModularNorm.Atom: the sensitivity of '{parameter}'");
        return new ModularAtom(parameter, mass, sensitivity);
    }

    /// <summary>A weightless map with input Lipschitz estimate <paramref name="sensitivity"/> (modula's <c>Mul(s)</c>: s; a norm, an activation of slope at most 1: 1).</summary>
    public static ModularNode Bond(double sensitivity = 1)
    {
        Sensitive(sensitivity, "ModularNorm.Bond: the sensitivity");
        return new ModularBond(sensitivity);
    }

    /// <summary><paramref name="nodes"/> applied in order, the first to the input; nulls (absent layers) are skipped.</summary>
    public static ModularNode Chain(params ModularNode?[] nodes) => new ModularChain(NonNull(nodes));

    /// <summary>The sum of <paramref name="nodes"/>, each applied to the same input; nulls are skipped.</summary>
    public static ModularNode Sum(params ModularNode?[] nodes) => new ModularSum(NonNull(nodes));

    /// <summary>
    /// modula's <c>(1 - s) * Identity() + s * branch</c>: a sum of the bond (1 - s) and <paramref name="branch"/>
    /// followed by the bond s. Its sensitivity is <c>(1 - s) + s * sensitivity(branch)</c>, and the branch's atoms get
    /// the residual's target divided by s (the branch's output is shrunk by s, so its weights must move 1/s as far).
    /// </summary>
    public static ModularNode ScaledResidual(ModularNode branch, double s)
    {
        if (!(s > 0 && s < 1)) throw new ArgumentOutOfRangeException(nameof(s), s, "ModularNorm.ScaledResidual: s must be in (0, 1)");
        return Sum(Bond(1 - s), Chain(branch, Bond(s)));
    }

    /// <summary><paramref name="node"/> with its mass set to <paramref name="mass"/> (modula's <c>tare(absolute=mass)</c>).</summary>
    public static ModularNode Tare(ModularNode node, double mass)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!(mass > 0 && double.IsFinite(mass))) throw new ArgumentOutOfRangeException(nameof(mass), mass, "ModularNorm.Tare: the mass must be a positive number");
        if (!(node.Mass > 0)) throw new ArgumentException("ModularNorm.Tare: the node has no mass (no atom) to scale", nameof(node));
        return new ModularTared(node, mass);
    }

    /// <summary>
    /// The target norm of every atom of <paramref name="network"/> when the whole is dualized with
    /// <paramref name="target"/> (modula: 1), by parameter name. A parameter that appears twice is an error.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Targets(ModularNode network, double target = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!(target > 0 && double.IsFinite(target))) throw new ArgumentOutOfRangeException(nameof(target), target, "ModularNorm.Targets: the target must be a positive number");
        if (!(network.Mass > 0)) throw new ArgumentException("ModularNorm.Targets: the network has no atom (no mass)", nameof(network));
        var targets = new Dictionary<string, double>();
        network.Dualize(target, targets);
        return targets;
    }

    private static void Sensitive(double sensitivity, string what)
    {
        if (!(sensitivity > 0 && double.IsFinite(sensitivity)))
            throw new ArgumentOutOfRangeException(nameof(sensitivity), sensitivity, $"{what} must be a positive number (a zero would divide the targets before it by zero)");
    }

    private static ModularNode[] NonNull(ModularNode?[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return nodes.OfType<ModularNode>().ToArray();
    }
}

/// <summary>
/// The masses a model's three parts get in <see cref="Dualized.ModularNetwork"/>, as modula's GPT sets them: the
/// input (embedding) tared to <see cref="Input"/> (1), the blocks together to <see cref="Blocks"/> (modula's
/// <c>blocks_mass</c>, 5), the output (final norm and head) to <see cref="Output"/>, or left at its natural mass of
/// one per atom when null (modula does not tare its GPT's head, a single Linear of mass 1).
/// </summary>
public sealed record ModularMasses(double Input = 1, double Blocks = 5, double? Output = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first mass that is not a positive number.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(Input), (double?)Input), (nameof(Blocks), Blocks), (nameof(Output), Output) })
            if (value is { } v && !(v > 0 && double.IsFinite(v)))
                throw new ArgumentException($"ModularMasses: {name} must be a positive number, got {v}");
    }
}
