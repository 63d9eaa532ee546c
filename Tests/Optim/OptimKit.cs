// Small helpers shared by the optimizer tests: parameters from numbers, gradients set by hand, values read back.
using DotGrad;
using DotGrad.Backends;

namespace DotGrad.Tests.Optim;

internal static class OptimKit
{
    /// <summary>A Float64 leaf that requires grad, outside any dispose scope.</summary>
    public static Tensor Param(params double[] values) => Tensor.FromArray(values).DetachFromDisposeScope().RequireGrad();

    /// <summary>Sets <paramref name="p"/>'s gradient to <paramref name="values"/> (same dtype and shape as p).</summary>
    public static void Grad(Tensor p, params double[] values) =>
        p.Grad = Tensor.FromArray(values).Reshape(p.Shape).To(p.DType).DetachFromDisposeScope();

    /// <summary>The values of a tensor as doubles.</summary>
    public static double[] Values(Tensor t) => t.To(DType.Float64).Contiguous().ToArray<double>();

    /// <summary>Asserts each value within a relative 1e-12 (absolute for values near 0).</summary>
    public static void AssertClose(Tensor actual, double[] expected, double tolerance = 1e-12, string? what = null)
    {
        var got = Values(actual);
        Assert.That(got, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < got.Length; i++)
            Assert.That(got[i], Is.EqualTo(expected[i]).Within(tolerance * Math.Max(1, Math.Abs(expected[i]))), $"{what} [{i}]");
    }
}
