// How a differentiable function declares its gradient checks beside its forward and backward: a [GradChecks] method
// returning OpChecks, the ops that exercise it with a sampler each. OpRegistry finds every such method by reflection.
using System.Runtime.CompilerServices;

namespace DotGrad.Autodiff;

/// <summary>
/// Marks a static, parameterless method returning <see cref="OpChecks"/> as a declaration of gradient-check ops, for
/// <see cref="OpRegistry"/> to find. The compiler fills in the file and line of the attribute, which order the ops of
/// one family as they are written (the layout of types in the compiled assembly is not a stable order).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
internal sealed class GradChecksAttribute([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) : Attribute
{
    public string File { get; } = file;

    public int Line { get; } = line;
}

/// <summary>
/// The gradient-check ops of one declaration, in the order written. <see cref="For{TFunction}"/> builds them beside a
/// function class, which then comes first in each op's <see cref="OpSpec.Functions"/>; <see cref="Composite"/> builds
/// them beside a composite in <see cref="Functional"/>, whose ops name every class they exercise.
/// </summary>
internal sealed class OpChecks
{
    /// <summary>The families an op may belong to, in the order <see cref="OpRegistry.All"/> lists them.</summary>
    public static readonly IReadOnlyList<string> Families = ["unary", "binary", "view", "reduce", "matmul", "index", "movement", "nn"];

    private readonly string _family;
    private readonly List<OpSpec> _ops = [];

    private OpChecks(Type? owner, string family)
    {
        Owner = owner;
        _family = family;
    }

    /// <summary>The class that declares these checks and that each op exercises; null for a composite.</summary>
    public Type? Owner { get; }

    /// <summary>The ops, in the order they were added.</summary>
    public IReadOnlyList<OpSpec> Ops => _ops;

    /// <summary>Checks declared in <typeparamref name="TFunction"/>, of <paramref name="family"/> unless an op says otherwise.</summary>
    public static OpChecks For<TFunction>(string family) => new(typeof(TFunction), family);

    /// <summary>Checks of a composite in <see cref="Functional"/>: each op names the function classes it exercises.</summary>
    public static OpChecks Composite(string family) => new(null, family);

    /// <summary>
    /// Adds the op <paramref name="name"/>: <paramref name="apply"/> maps sample inputs to its output and
    /// <paramref name="sample"/> draws valid inputs. <paramref name="twice"/> is false where the second derivative is
    /// not defined, or not smooth where the sampler draws (kinks, ties, piecewise constants), so that only the first-
    /// order check runs. <paramref name="uses"/> names the other function classes the op exercises (through
    /// broadcasting or a composition), for the coverage check; <paramref name="family"/> overrides the declaration's.
    /// </summary>
    public OpChecks Op(string name, Func<Tensor[], Tensor> apply, Func<SampleDraw, OpSample> sample, bool twice = true,
                       Type[]? uses = null, string? family = null)
    {
        Type[] functions = Owner is null ? uses ?? [] : [Owner, .. uses ?? []];
        _ops.Add(new OpSpec(name, family ?? _family, apply, g => sample(new SampleDraw(g)), twice, functions));
        return this;
    }
}
