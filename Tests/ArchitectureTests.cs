// The layering rule of DESIGN.md, checked on the source files: Backends/ knows nothing of Autograd, Models or
// Optim; Autograd/ knows nothing of SIMD intrinsics or OpenCL.
using System.Text.RegularExpressions;

namespace DotGrad.Tests;

public class ArchitectureTests
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds DotGrad.csproj.</summary>
    private static string Root()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DotGrad.csproj"))) return dir.FullName;
        Assert.Ignore($"no folder holding DotGrad.csproj above {TestContext.CurrentContext.TestDirectory}; the source files are not available to check");
        return "";
    }

    private static IEnumerable<(string Path, string[] Lines)> Sources(string layer)
    {
        var dir = Path.Combine(Root(), layer);
        if (!Directory.Exists(dir)) yield break;
        foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(Root(), file);
            if (rel.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj")) continue;
            yield return (rel, File.ReadAllLines(file));
        }
    }

    /// <summary>The line with comments removed (a doc comment may mention another layer by name).</summary>
    private static string Code(string line)
    {
        int i = line.IndexOf("//", StringComparison.Ordinal);
        return i >= 0 ? line[..i] : line;
    }

    private static List<string> Violations(string layer, Regex forbidden)
    {
        var found = new List<string>();
        foreach (var (path, lines) in Sources(layer))
            for (int i = 0; i < lines.Length; i++)
                if (forbidden.IsMatch(Code(lines[i])))
                    found.Add($"{path}:{i + 1}: {lines[i].Trim()}");
        return found;
    }

    [Test]
    public void Backends_DoNotReferenceAutogradModelsOrOptim()
    {
        Assert.That(Sources("Backends").Count(), Is.GreaterThan(0), "expected source files under Backends/");
        var forbidden = new Regex(@"\busing\s+(static\s+)?(\w+\s*=\s*)?DotGrad\.(Autograd|Functions|Models|Optim)\b|\bDotGrad\.(Autograd|Functions|Models|Optim)\b|(?<![\w.])(Autograd|Models|Optim)\.\w");
        var found = Violations("Backends", forbidden);
        Assert.That(found, Is.Empty, "Backends/ must not reference Autograd, Models or Optim:\n" + string.Join("\n", found));
    }

    [Test]
    public void Autograd_DoesNotUseIntrinsicsOrOpenCL()
    {
        Assert.That(Sources("Autograd").Count(), Is.GreaterThan(0), "expected source files under Autograd/");
        var forbidden = new Regex(@"System\.Runtime\.Intrinsics|Silk\.NET|\bOpenCL\b|\bVector(128|256|512)\b");
        var found = Violations("Autograd", forbidden);
        Assert.That(found, Is.Empty, "Autograd/ must not use SIMD intrinsics or OpenCL:\n" + string.Join("\n", found));
    }

    [Test]
    public void TheRuleItselfCatchesAViolation()
    {
        // Guards the regexes: a rule that matches nothing would pass forever.
        var backends = new Regex(@"\busing\s+(static\s+)?(\w+\s*=\s*)?DotGrad\.(Autograd|Functions|Models|Optim)\b|\bDotGrad\.(Autograd|Functions|Models|Optim)\b|(?<![\w.])(Autograd|Models|Optim)\.\w");
        Assert.That(backends.IsMatch(Code("using DotGrad.Autograd;")), Is.True);
        Assert.That(backends.IsMatch(Code("using F = DotGrad.Functions;")), Is.True);
        Assert.That(backends.IsMatch(Code("var m = new Models.Gpt(cfg);")), Is.True);
        Assert.That(backends.IsMatch(Code("Optim.Adam.Step();")), Is.True);
        Assert.That(backends.IsMatch(Code("x.Add(y); // see Autograd.Functions.Add")), Is.False);
        var autograd = new Regex(@"System\.Runtime\.Intrinsics|Silk\.NET|\bOpenCL\b|\bVector(128|256|512)\b");
        Assert.That(autograd.IsMatch(Code("using System.Runtime.Intrinsics;")), Is.True);
        Assert.That(autograd.IsMatch(Code("using Silk.NET.OpenCL;")), Is.True);
    }
}
