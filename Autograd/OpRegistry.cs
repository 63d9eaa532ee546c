// The registry of differentiable ops: each with a sampler of valid random inputs, so gradient checks (and any other
// property) can be run over every op, every backend and random shapes and layouts, and a new op cannot go unchecked.
using System.Reflection;

namespace DotGrad.Autodiff;

/// <summary>
/// Every differentiable op with a sampler of valid inputs: small random shapes (rank up to 4, sizes 1..3, size-1 and
/// broadcast dims), contiguous and non-contiguous layouts, and values away from kinks and singularities (relu/abs at 0,
/// clamp bounds, ties in max/min, log/sqrt of non-positive numbers, division by zero). The gradient property tests run
/// over <see cref="All"/>.
/// <para>Each function class declares its ops beside its forward and backward, in a <see cref="GradChecksAttribute"/>
/// method built with <see cref="OpChecks"/> (composites in <see cref="Functional"/> beside the composite); the
/// registry finds them by reflection over the assembly.</para>
/// </summary>
public static class OpRegistry
{
    /// <summary>Every registered op: by family (unary, binary, view, reduce, matmul, index, movement, nn), then in the order declared.</summary>
    public static IReadOnlyList<OpSpec> All { get; } = Discover(typeof(OpRegistry).Assembly.GetTypes());

    /// <summary>The op with this name.</summary>
    public static OpSpec Get(string name) => All.FirstOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"OpRegistry: no op named '{name}'; the registered ones are {string.Join(", ", All.Select(o => o.Name))}", nameof(name));

    /// <summary>
    /// The ops declared by the <see cref="GradChecksAttribute"/> methods of <paramref name="types"/>, ordered by family
    /// (<see cref="OpChecks.Families"/>), then by source file and line, then as added. A declaration that cannot be
    /// used throws rather than being skipped, so that ops cannot silently drop out of the checks: a marked method that
    /// is not static, parameterless and returning <see cref="OpChecks"/>; checks built for another class than the one
    /// they sit in; an unknown family; an op with no function classes; a name declared twice.
    /// </summary>
    internal static IReadOnlyList<OpSpec> Discover(IEnumerable<Type> types)
    {
        const BindingFlags Members = BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var families = OpChecks.Families.ToList();
        var found = new List<(OpSpec Op, int Family, GradChecksAttribute At, int Index, string Where)>();
        foreach (var type in types)
            foreach (var method in type.GetMethods(Members))
            {
                if (method.GetCustomAttribute<GradChecksAttribute>() is not { } at) continue;
                string where = $"{type.FullName}.{method.Name} ({Path.GetFileName(at.File)}:{at.Line})";
                if (!method.IsStatic || method.GetParameters().Length != 0 || method.ReturnType != typeof(OpChecks) || method.ContainsGenericParameters)
                    throw new InvalidOperationException($"OpRegistry: {where} is marked [GradChecks] but is not a static, parameterless, non-generic method returning OpChecks");
                var checks = (OpChecks)method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, null, null)!;
                if (checks.Owner is { } owner && owner != type)
                    throw new InvalidOperationException($"OpRegistry: {where} builds checks for {owner.Name}; declare them in {owner.Name}, or build them with OpChecks.For<{type.Name}>");
                for (int i = 0; i < checks.Ops.Count; i++)
                {
                    var op = checks.Ops[i];
                    int family = families.IndexOf(op.Family);
                    if (family < 0)
                        throw new InvalidOperationException($"OpRegistry: {where} declares '{op.Name}' in family '{op.Family}'; the families are {string.Join(", ", OpChecks.Families)}");
                    if (op.Functions.Length == 0)
                        throw new InvalidOperationException($"OpRegistry: {where} declares '{op.Name}' with no function classes; name those it exercises with uses:");
                    found.Add((op, family, at, i, where));
                }
            }
        foreach (var same in found.GroupBy(f => f.Op.Name).Where(g => g.Count() > 1))
            throw new InvalidOperationException($"OpRegistry: the op '{same.Key}' is declared more than once, by {string.Join(" and ", same.Select(f => f.Where))}; give each a unique name");
        return found.OrderBy(f => f.Family).ThenBy(f => f.At.File, StringComparer.Ordinal).ThenBy(f => f.At.Line).ThenBy(f => f.Index)
            .Select(f => f.Op).ToList();
    }
}
