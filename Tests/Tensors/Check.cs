// Assertion helpers shared by the tensor tests: shapes and element-wise closeness against expected values.
using DotGrad;
using DotGrad.Backends;

namespace DotGrad.Tests.Tensors;

internal static class Check
{
    /// <summary>Asserts the shape, then each element (as double) within atol + rtol * |expected|; NaN matches NaN.</summary>
    public static void Close(Tensor actual, int[] shape, double[] expected, double atol = 1e-6, double rtol = 1e-6)
    {
        Assert.That(actual.Shape, Is.EqualTo(shape), "shape");
        Close(Values(actual), expected, atol, rtol);
    }

    public static void Close(double[] actual, double[] expected, double atol = 1e-6, double rtol = 1e-6)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), "element count");
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i])) { Assert.That(double.IsNaN(actual[i]), $"element {i}: expected NaN, got {actual[i]}"); continue; }
            if (double.IsInfinity(expected[i])) { Assert.That(actual[i], Is.EqualTo(expected[i]), $"element {i}"); continue; }
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(atol + rtol * Math.Abs(expected[i])), $"element {i}");
        }
    }

    /// <summary>The elements as doubles in row-major order, whatever the dtype.</summary>
    public static double[] Values(Tensor t)
    {
        using var d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    public static Tensor F(params float[] v) => Tensor.FromArray(v);
    public static Tensor D(params double[] v) => Tensor.FromArray(v);
    public static Tensor I(params int[] v) => Tensor.FromArray(v);

    /// <summary>Runs the action and returns how many host buffers it left alive (after a full collection).</summary>
    public static long LeakedBuffers(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = DotGrad.Backends.HostAllocator.LiveBuffers;
        action();
        long after = DotGrad.Backends.HostAllocator.LiveBuffers;
        return after - before;
    }
}
