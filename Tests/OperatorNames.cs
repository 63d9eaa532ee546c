// The names of the operator structs the library declares, found by reflection, so that a test list written by hand
// (with its own expected values) can be checked to name every operator: a new one cannot be left out unnoticed.
using System.Reflection;
using DotGrad.Backends;

namespace DotGrad.Tests;

public static class OperatorNames
{
    /// <summary>The <c>Name</c> of every struct implementing <paramref name="contract"/> (an open generic such as IUnaryOperator&lt;&gt;) over itself.</summary>
    public static IReadOnlyList<string> Of(Type contract) =>
        typeof(IBackend).Assembly.GetTypes()
            .Where(t => t.IsValueType && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == contract && i.GetGenericArguments()[0] == t))
            .Select(t => (string)t.GetProperty("Name", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();

    /// <summary>Asserts that the list names every operator of the contract (spaces in list names count as underscores).</summary>
    public static void AssertCovered(Type contract, IEnumerable<string> listed, string list)
    {
        var operators = Of(contract);
        Assert.That(operators, Is.Not.Empty, $"reflection found no {contract.Name} in the library");
        var names = listed.Select(n => n.Replace(' ', '_')).ToHashSet();
        var missing = operators.Where(o => !names.Contains(o)).ToList();
        Assert.That(missing, Is.Empty, $"{list} does not test these {contract.Name.Split('`')[0]}s; add a case for each: {string.Join(", ", missing)}");
    }
}
