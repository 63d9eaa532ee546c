// Conformance of cumsum and sort against the Reference backend: every axis, dtype and layout, with ties, NaNs and
// signed zeros in the sorted lines. Both kernels keep a fixed order of operations, so results agree bit for bit.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public sealed partial class BackendConformanceTests
{
    private static readonly int[][] ScanShapes = [[1], [7], [33], [3, 1, 5], [4, 9, 3], [2, 3, 4, 5], [300, 2]];

    [Test]
    public void CumSum_MatchesReference_OnEveryAxisDTypeLayoutAndDirection()
    {
        var rng = new Random(171);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32 })
            foreach (var shape in ScanShapes)
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                        foreach (bool reverse in new[] { false, true })
                        {
                            var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, -100, 100, dtype));
                            Conformance.Check(backend, $"cumsum {x} axis {axis} reverse {reverse}", Tol.Exact, [x, Output(dtype, shape, OutputLayouts[axis % 3])],
                                (b, v) => b.CumSum(v[0], v[1], axis, reverse), 1);
                        }
    }

    [Test]
    public void Sort_MatchesReference_WithTiesNaNsAndSignedZeros()
    {
        var rng = new Random(172);
        double[] specials = [double.NaN, 0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity];
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32 })
            foreach (var shape in ScanShapes)
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                        foreach (bool descending in new[] { false, true })
                        {
                            // Values from a few integers make ties common; floats also get NaN, +-0 and +-inf.
                            Func<double> value = dtype == DType.Int32 || rng.Next(2) == 0
                                ? () => rng.Next(-3, 4)
                                : () => rng.Next(4) == 0 ? specials[rng.Next(specials.Length)] : rng.Next(-3, 4);
                            var x = HostTensor.Make(dtype, shape, layout, value);
                            var outLayout = OutputLayouts[(axis + (descending ? 1 : 0)) % 3];
                            Conformance.Check(backend, $"sort {x} axis {axis} descending {descending}", Tol.Exact,
                                [x, Output(dtype, shape, outLayout), Output(DType.Int32, shape, outLayout)],
                                (b, v) => b.Sort(v[0], v[1], v[2], axis, descending), 1, 2);
                        }
    }
}
