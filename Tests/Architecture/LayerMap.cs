// The layering rules of the library, checked on its compiled sources: every symbol a file uses is traced (with
// Roslyn's semantic model) to the folder that declares it, and a use that points up the layer stack is reported.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DotGrad.Tests.Architecture;

/// <summary>The library's layers, bottom to top. Models and Optim are peers at the top.</summary>
public enum Layer { Backends, Tensor, Autograd, Models, Optim }

/// <summary>One use of a symbol from a layer the file may not see.</summary>
public sealed record Violation(string File, int Line, string Symbol, Layer From, Layer To, string Rule)
{
    public override string ToString() => $"{File}:{Line}: {From} uses {Symbol} ({To}): {Rule}";
}

/// <summary>
/// The library's sources compiled as one assembly (as DotGrad.csproj builds them), and the rules of DESIGN.md over them:
/// Backends sees nothing above it; Tensor sees Backends only; Autograd sees no Models or Optim, and no SIMD intrinsics
/// or OpenCL; Models sees no Optim; Optim sees Models only through <see cref="OptimModelsBridge"/>.
/// </summary>
public sealed class LayerMap
{
    /// <summary>The one file of Optim/ that may use Models/ (how Muon and the dualized optimizer group a model's parameters).</summary>
    public const string OptimModelsBridge = "Optim/ModelGroups.cs";

    private static readonly string[] Folders = ["Backends", "Tensor", "Autograd", "Models", "Optim"];

    /// <summary>Namespaces outside the library that Autograd must not use: it speaks to backends through IBackend only.</summary>
    private static readonly string[] AutogradForbiddenNamespaces =
        ["System.Runtime.Intrinsics", "System.Numerics.Tensors", "Silk.NET", "DotGrad.Backends.Cpu", "DotGrad.Backends.OpenCL", "DotGrad.Backends.Reference"];

    private readonly string _root;

    public LayerMap(string root, CSharpCompilation compilation)
    {
        _root = root;
        Compilation = compilation;
    }

    public CSharpCompilation Compilation { get; }

    /// <summary>Parses every library source under <paramref name="root"/> and compiles them against the running framework.</summary>
    public static LayerMap Load(string root)
    {
        var options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        var trees = new List<SyntaxTree>
        {
            // The project's implicit usings (ImplicitUsings=enable in Directory.Build.props).
            CSharpSyntaxTree.ParseText("global using System; global using System.IO; global using System.Linq; global using System.Collections.Generic; " +
                                       "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;", options, "GlobalUsings.g.cs"),
        };
        foreach (var folder in Folders)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (rel.Split('/').Any(p => p is "bin" or "obj")) continue;
                trees.Add(CSharpSyntaxTree.ParseText(File.ReadAllText(file), options, rel));
            }
        // Everything the test process was loaded with, except the library itself (its sources are what we compile).
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => !Path.GetFileName(p).StartsWith("DotGrad", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("DotGrad", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        return new LayerMap(root, compilation);
    }

    /// <summary>Compile errors (there should be none: the rules are only meaningful on code that compiles).</summary>
    public IReadOnlyList<string> Errors() =>
        Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

    /// <summary>The layer of a source path relative to the root ("Tensor/Tensor.cs"), or null outside the library.</summary>
    public static Layer? LayerOfPath(string path)
    {
        var first = path.Replace('\\', '/').Split('/')[0];
        return Array.IndexOf(Folders, first) is var i and >= 0 ? (Layer)i : null;
    }

    /// <summary>The layer a namespace belongs to: each layer has its own (the tensor's is the root namespace).</summary>
    public static Layer? LayerOfNamespace(string ns) => ns switch
    {
        _ when ns == "DotGrad.Backends" || ns.StartsWith("DotGrad.Backends.", StringComparison.Ordinal) => Layer.Backends,
        _ when ns == "DotGrad.Autodiff" || ns.StartsWith("DotGrad.Autodiff.", StringComparison.Ordinal) => Layer.Autograd,
        _ when ns == "DotGrad.Models" || ns.StartsWith("DotGrad.Models.", StringComparison.Ordinal) => Layer.Models,
        _ when ns == "DotGrad.Optim" || ns.StartsWith("DotGrad.Optim.", StringComparison.Ordinal) => Layer.Optim,
        "DotGrad" => Layer.Tensor,
        _ => null,
    };

    /// <summary>
    /// Where a library symbol is declared. A member belongs to the file that declares it (so a method of the partial
    /// class Tensor written under Autograd/ is Autograd's); a type belongs to the lowest layer among its declarations
    /// (the Tensor type is the tensor layer's, whatever its partial files add).
    /// </summary>
    public static Layer? LayerOf(ISymbol symbol)
    {
        symbol = symbol switch
        {
            IMethodSymbol { ReducedFrom: { } m } => m,
            _ => symbol,
        };
        symbol = symbol.OriginalDefinition;
        if (symbol is INamespaceSymbol ns) return LayerOfNamespace(ns.ToDisplayString());
        if (symbol is ITypeParameterSymbol or ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol or IDiscardSymbol) return null;
        var layers = symbol.Locations.Where(l => l.IsInSource).Select(l => LayerOfPath(l.SourceTree!.FilePath)).OfType<Layer>().ToList();
        if (layers.Count == 0)
            // Implicit members (a record's constructor, a default constructor) belong where their type is declared.
            return symbol.ContainingType is { } t && !symbol.Equals(t, SymbolEqualityComparer.Default) ? LayerOf(t) : null;
        return symbol is INamedTypeSymbol ? layers.Min() : layers[0];
    }

    /// <summary>Whether a file of layer <paramref name="from"/> may use a symbol of layer <paramref name="to"/>, and the rule if not.</summary>
    public static string? Forbidden(string file, Layer from, Layer to) => (from, to) switch
    {
        _ when from == to => null,
        (Layer.Backends, _) => "Backends/ sees nothing above it (no Tensor, Autograd, Models or Optim)",
        (Layer.Tensor, not Layer.Backends) => "Tensor/ sees only Backends/ (the differentiable methods of Tensor live in Autograd/)",
        (Layer.Autograd, Layer.Models or Layer.Optim) => "Autograd/ sees no Models or Optim",
        (Layer.Models, Layer.Optim) => "Models/ sees no Optim",
        (Layer.Optim, Layer.Models) when file != OptimModelsBridge => $"Optim/ sees Models/ only through {OptimModelsBridge}",
        _ => null,
    };

    /// <summary>Every violation in the library's own sources.</summary>
    public List<Violation> Violations() => Violations(Compilation, Compilation.SyntaxTrees);

    /// <summary>The violations in extra sources compiled with the library (a planted violation, in the tests).</summary>
    public List<Violation> ViolationsWith(string path, string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, (CSharpParseOptions)Compilation.SyntaxTrees[0].Options, path);
        var compilation = Compilation.AddSyntaxTrees(tree);
        var errors = compilation.GetSemanticModel(tree).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidOperationException($"the planted source does not compile: {string.Join("; ", errors)}");
        return Violations(compilation, [tree]);
    }

    private static List<Violation> Violations(CSharpCompilation compilation, IEnumerable<SyntaxTree> trees)
    {
        var found = new List<Violation>();
        foreach (var tree in trees)
        {
            if (LayerOfPath(tree.FilePath) is not { } from) continue;
            var model = compilation.GetSemanticModel(tree);
            var seen = new HashSet<(int, string)>();
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                foreach (var symbol in SymbolsUsedBy(model, node))
                {
                    int line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                    if (from == Layer.Autograd && ForbiddenForAutograd(symbol) is { } outside)
                    {
                        if (seen.Add((line, outside))) found.Add(new(tree.FilePath, line, outside, from, from, "Autograd/ uses no SIMD intrinsics or OpenCL: it speaks to backends through IBackend"));
                        continue;
                    }
                    if (LayerOf(symbol) is not { } to || Forbidden(tree.FilePath, from, to) is not { } rule) continue;
                    var name = symbol.ToDisplayString();
                    if (seen.Add((line, name))) found.Add(new(tree.FilePath, line, name, from, to, rule));
                }
            }
        }
        return found;
    }

    /// <summary>The symbols a node names or calls: names, member accesses, operators, indexers, constructors, usings.</summary>
    private static IEnumerable<ISymbol> SymbolsUsedBy(SemanticModel model, SyntaxNode node)
    {
        switch (node)
        {
            case UsingDirectiveSyntax { NamespaceOrType: var name }:
                if (model.GetSymbolInfo(name).Symbol is { } used) yield return used;
                yield break;
            case QualifiedNameSyntax or AliasQualifiedNameSyntax:
                yield break; // its rightmost name is visited on its own
            case ExpressionSyntax or ConstructorInitializerSyntax or PrimaryConstructorBaseTypeSyntax:
                var info = model.GetSymbolInfo(node);
                // A namespace counts where a using directive imports it; inside a qualified name (DotGrad.Backends.Device)
                // or a namespace declaration it is only a path to what it contains.
                if (info.Symbol is { } s and not INamespaceSymbol) yield return s;
                foreach (var c in info.CandidateSymbols.Where(c => c is not INamespaceSymbol)) yield return c;
                // Conversions to a user-defined operator (TensorIndex from an int) are uses too.
                if (node is ExpressionSyntax e && model.GetConversion(e) is { IsUserDefined: true, MethodSymbol: { } op }) yield return op;
                break;
            case CommonForEachStatementSyntax loop:
                var each = model.GetForEachStatementInfo(loop);
                if (each.GetEnumeratorMethod is { } ge) yield return ge;
                break;
        }
    }

    /// <summary>The namespace of an outside symbol Autograd may not use, or null.</summary>
    private static string? ForbiddenForAutograd(ISymbol symbol)
    {
        var ns = (symbol as INamespaceSymbol ?? symbol.ContainingNamespace)?.ToDisplayString();
        if (ns is null) return null;
        return AutogradForbiddenNamespaces.FirstOrDefault(f => ns == f || ns.StartsWith(f + ".", StringComparison.Ordinal)) is { } hit
            ? $"{symbol.ToDisplayString()} ({hit})" : null;
    }

    /// <summary>The repository root: the nearest folder above <paramref name="start"/> that holds DotGrad.csproj, or null.</summary>
    public static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DotGrad.csproj"))) return dir.FullName;
        return null;
    }

    public override string ToString() => $"layer map of {_root} ({Compilation.SyntaxTrees.Length} files)";
}
