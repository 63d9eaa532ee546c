// The layering rules of DESIGN.md, enforced: Backends sees nothing above it, Tensor sees no Autograd, Autograd uses no
// intrinsics or OpenCL and sees no Models or Optim, Models sees no Optim, Optim sees Models through one file. Each rule
// is also shown to catch a violation planted in a source compiled with the library.
namespace DotGrad.Tests.Architecture;

public class ArchitectureTests
{
    private static readonly Lazy<LayerMap?> Map = new(() =>
        LayerMap.FindRoot(TestContext.CurrentContext.TestDirectory) is { } root ? LayerMap.Load(root) : null);

    private static LayerMap Library()
    {
        var map = Map.Value;
        if (map is null) Assert.Ignore($"no folder holding DotGrad.csproj above {TestContext.CurrentContext.TestDirectory}; the sources are not available to check");
        var errors = map!.Errors();
        Assert.That(errors, Is.Empty, "the library's sources must compile on their own for the layer check:\n" + string.Join("\n", errors.Take(20)));
        return map;
    }

    private static List<Violation> Of(Layer layer) => Library().Violations().Where(v => v.From == layer).ToList();

    private static void AssertNone(List<Violation> found, string what) =>
        Assert.That(found, Is.Empty, what + ":\n" + string.Join("\n", found));

    [Test]
    public void TheCheckSeesEveryLayer()
    {
        var files = Library().Compilation.SyntaxTrees.Select(t => LayerMap.LayerOfPath(t.FilePath)).OfType<Layer>().ToList();
        foreach (var layer in Enum.GetValues<Layer>())
            Assert.That(files.Count(l => l == layer), Is.GreaterThan(3), $"expected the sources of {layer}/");
    }

    [Test]
    public void Backends_SeeNothingAboveThem() => AssertNone(Of(Layer.Backends), "Backends/ must not use Tensor, Autograd, Models or Optim");

    [Test]
    public void Tensor_SeesOnlyBackends() => AssertNone(Of(Layer.Tensor), "Tensor/ must not use Autograd, Models or Optim");

    [Test]
    public void Autograd_SeesNoModelsOrOptim_AndNoIntrinsicsOrOpenCL() => AssertNone(Of(Layer.Autograd), "Autograd/ breaks its rules");

    [Test]
    public void Models_SeeNoOptim() => AssertNone(Of(Layer.Models), "Models/ must not use Optim");

    [Test]
    public void Optim_SeesModelsOnlyThroughOneFile() => AssertNone(Of(Layer.Optim), $"Optim/ may use Models/ only in {LayerMap.OptimModelsBridge}");

    [Test]
    public void Optim_TheBridgeFileExistsAndIsTheOnlyUser()
    {
        // The bridge is real (a rule naming a file that is gone would allow nothing and mean nothing).
        var bridge = Library().Compilation.SyntaxTrees.SingleOrDefault(t => t.FilePath == LayerMap.OptimModelsBridge);
        Assert.That(bridge, Is.Not.Null, $"{LayerMap.OptimModelsBridge} should exist");
        Assert.That(bridge!.ToString(), Does.Contain("DotGrad.Models"), "the bridge is where Optim reads Models");
    }

    // ---- each rule catches a planted violation ----------------------------------------------------------------------

    private static List<Violation> Planted(string path, string source) => Library().ViolationsWith(path, source);

    [Test]
    public void Planted_BackendsUsingTheTensor_IsCaught()
    {
        var found = Planted("Backends/Planted.cs", "namespace DotGrad.Backends; static class Planted { static int M(DotGrad.Tensor t) => t.Rank; }");
        Assert.That(found.Select(v => v.Symbol), Has.Some.Contains("Tensor"));
        Assert.That(found.All(v => v.From == Layer.Backends && v.To == Layer.Tensor), Is.True, string.Join("\n", found));
    }

    [Test]
    public void Planted_TensorCallingADifferentiableMethod_IsCaught()
    {
        // Exp is a method of Tensor, but it is declared under Autograd/: the tensor layer may not call it.
        var found = Planted("Tensor/Planted.cs", "namespace DotGrad; static class Planted { static Tensor M(Tensor t) => t.Exp(); }");
        Assert.That(found.Select(v => v.Symbol), Has.Some.Contains("Exp"));
        Assert.That(found.Select(v => v.To), Has.All.EqualTo(Layer.Autograd));
    }

    [Test]
    public void Planted_TensorUsingATensorOperator_IsCaught()
    {
        var found = Planted("Tensor/Planted.cs", "namespace DotGrad; static class Planted { static Tensor M(Tensor a, Tensor b) => a + b; }");
        Assert.That(found.Select(v => v.Symbol), Has.Some.Contains("operator +"));
    }

    [Test]
    public void Planted_TensorUsingTheAutogradNamespace_IsCaught()
    {
        var found = Planted("Tensor/Planted.cs", "using DotGrad.Autodiff; namespace DotGrad; static class Planted { static bool M() => Autograd.IsEnabled; }");
        Assert.That(found.Select(v => v.Symbol), Has.Some.EqualTo("DotGrad.Autodiff"));
        Assert.That(found.Select(v => v.Symbol), Has.Some.Contains("IsEnabled"));
    }

    [Test]
    public void Planted_AutogradUsingIntrinsics_IsCaught()
    {
        var found = Planted("Autograd/Planted.cs",
            "using System.Runtime.Intrinsics; namespace DotGrad.Autodiff; static class Planted { static Vector256<float> M() => Vector256.Create(1f); }");
        Assert.That(found.Select(v => v.Rule), Has.Some.Contains("intrinsics"));
    }

    [Test]
    public void Planted_AutogradUsingAnOpenCLBackend_IsCaught()
    {
        var found = Planted("Autograd/Planted.cs",
            "namespace DotGrad.Autodiff; static class Planted { static bool M() => DotGrad.Backends.OpenCL.OpenCLRuntime.IsAvailable; }");
        Assert.That(found.Select(v => v.Symbol), Has.Some.Contains("OpenCLRuntime"));
    }

    [Test]
    public void Planted_AutogradUsingModels_IsCaught()
    {
        var found = Planted("Autograd/Planted.cs", "namespace DotGrad.Autodiff; static class Planted { static object M() => typeof(DotGrad.Models.Module); }");
        Assert.That(found.Select(v => v.To), Has.Some.EqualTo(Layer.Models));
    }

    [Test]
    public void Planted_ModelsUsingOptim_IsCaught()
    {
        var found = Planted("Models/Planted.cs", "namespace DotGrad.Models; static class Planted { static object M() => typeof(DotGrad.Optim.Optimizer); }");
        Assert.That(found.Select(v => v.To), Has.Some.EqualTo(Layer.Optim));
    }

    [Test]
    public void Planted_OptimUsingModelsOutsideTheBridge_IsCaught_AndInsideItIsAllowed()
    {
        const string source = "namespace DotGrad.Optim; static class Planted { static object M() => typeof(DotGrad.Models.Linear); }";
        Assert.That(Planted("Optim/Planted.cs", source).Select(v => v.To), Has.Some.EqualTo(Layer.Models));
        Assert.That(Planted(LayerMap.OptimModelsBridge + ".Planted", source).Where(v => v.To == Layer.Models), Is.Not.Empty,
            "a file beside the bridge is not the bridge");
        Assert.That(LayerMap.Forbidden(LayerMap.OptimModelsBridge, Layer.Optim, Layer.Models), Is.Null, "the bridge itself may use Models");
    }
}
