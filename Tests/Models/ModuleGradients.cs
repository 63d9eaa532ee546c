// Gradient checks through a whole module: with respect to its input and to every one of its parameters.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Tests.Models;

internal static class ModuleGradients
{
    /// <summary>
    /// Checks d module(x) / d x and d module(x) / d p for every parameter p of a Float64 module against central
    /// differences. GradCheck perturbs its inputs in place, and the parameters passed are the module's own tensors,
    /// so the closure (which only reads xs[0]) sees each perturbation of a parameter too.
    /// </summary>
    public static void AssertMatchFiniteDifferences(Module<Tensor, Tensor> module, Tensor x)
    {
        var parameters = module.Parameters().ToArray();
        Assert.That(parameters.All(p => p.DType == DType.Float64), "build the module with dtype: DType.Float64");
        var result = GradCheck.Check(xs => module.Call(xs[0]), [x.RequireGrad(), .. parameters]);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    /// <summary>A Float64 input [B, T, C] with standard-normal entries.</summary>
    public static Tensor Input(ulong seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64);
}
