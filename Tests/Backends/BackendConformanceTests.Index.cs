// Conformance of indexing, random fills and matmul against the Reference backend.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public sealed partial class BackendConformanceTests
{
    // ---------------------------------------------------------------- indexing

    private static HostTensor Indices(int[] shape, int bound, Random rng, Layout layout = Layout.Contiguous, DType dtype = DType.Int32) =>
        HostTensor.Make(dtype, shape, layout, () => rng.Next(bound));

    /// <summary>The dtypes an index may have: every index test runs with both.</summary>
    private static readonly DType[] IndexTypes = [DType.Int32, DType.Int64];

    [Test]
    public void IndexSelect_MatchesReference_OnEveryAxisDTypeAndLayout()
    {
        var rng = new Random(81);
        int[][] shapes = [[10, 6], [4, 9, 3], [7], [3, 1, 5], [2, 3, 4, 5]];
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.BFloat16, DType.Bool, DType.Int64 })
            foreach (var shape in shapes)
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                        foreach (int m in new[] { 0, 1, 5 })
                        {
                            var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, -100, 100, DType.Int32));
                            var index = Indices([m], shape[axis], rng, m % 2 == 1 ? Layout.Sliced : Layout.Contiguous, IndexTypes[(axis + m) % 2]);
                            var yShape = shape.Select((n, d) => d == axis ? m : n).ToArray();
                            Conformance.Check(backend, $"index_select {x} axis {axis} m {m}", Tol.Exact, [x, index, Output(dtype, yShape, layout)],
                                (b, v) => b.IndexSelect(v[0], axis, v[1], v[2]), 2);
                        }
    }

    [Test]
    public void IndexSelect_MatchesReference_ForALargeEmbeddingLookup()
    {
        var rng = new Random(82);
        var table = HostTensor.Make(DType.Float32, [1000, 64], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        foreach (var indexType in IndexTypes)
        {
            var tokens = Indices([2000], 1000, rng, dtype: indexType);
            Conformance.Check(backend, $"embedding lookup {indexType}", Tol.Exact, [table, tokens, Output(DType.Float32, [2000, 64])], (b, v) => b.IndexSelect(v[0], 0, v[1], v[2]), 2);
        }
    }

    [TestCase(10, DType.Int32)]
    [TestCase(-1, DType.Int32)]
    [TestCase(int.MaxValue, DType.Int32)]
    [TestCase(10, DType.Int64)]
    [TestCase(-1, DType.Int64)]
    [TestCase(1L << 40, DType.Int64)]          // beyond Int32: reported as itself, not as a truncated int
    [TestCase(-(1L << 40) + 2, DType.Int64)]   // its low 32 bits are 2, a valid index if it were truncated
    public void IndexSelect_ThrowsArgumentOutOfRange_LikeReference_ForABadIndex(long bad, DType indexType)
    {
        var rng = new Random(83);
        var x = HostTensor.Make(DType.Float32, [10, 6], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var index = HostTensor.FromValues(indexType, 1, 2, bad, 3);
        foreach (int axis in new[] { 0, 1 })
        {
            var yShape = axis == 0 ? new[] { 4, 6 } : [10, 4];
            Conformance.Check(backend, $"index_select bad index {bad} axis {axis}", Tol.Exact, [x, index, Output(DType.Float32, yShape)], (b, v) => b.IndexSelect(v[0], axis, v[1], v[2]), 2);
            Conformance.Apply(backend, [x, index, Output(DType.Float32, yShape)], (b, v) => b.IndexSelect(v[0], axis, v[1], v[2]), out var error);
            Assert.That(error, Is.TypeOf<ArgumentOutOfRangeException>());
        }
    }

    [Test]
    public void Gather_MatchesReference_OnEveryAxisAndLayout()
    {
        var rng = new Random(84);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Float16, DType.Int64 })
            foreach (var (xShape, axis, indexShape) in new[] { (new[] { 5, 7 }, 1, new[] { 5, 3 }), ([5, 7], 0, [4, 7]), ([3, 4, 5], 1, [3, 6, 5]), ([3, 4, 5], 2, [2, 4, 9]), ([7], 0, [12]), ([3, 1, 5], 2, [3, 1, 1]) })
                foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                    foreach (var indexType in IndexTypes)
                    {
                        var x = HostTensor.Make(dtype, xShape, layout, Uniform(rng, -100, 100, DType.Int32));
                        var index = Indices(indexShape, xShape[axis], rng, layout, indexType);
                        Conformance.Check(backend, $"gather {x} axis {axis} index {indexType}", Tol.Exact, [x, index, Output(dtype, indexShape, layout)], (b, v) => b.Gather(v[0], axis, v[1], v[2]), 2);
                    }
        var big = HostTensor.Make(DType.Float32, [4000, 20], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        foreach (var indexType in IndexTypes)
        {
            var bigIndex = Indices([4000, 10], 20, rng, dtype: indexType);
            Conformance.Check(backend, $"gather large {indexType}", Tol.Exact, [big, bigIndex, Output(DType.Float32, [4000, 10])], (b, v) => b.Gather(v[0], 1, v[1], v[2]), 2);
        }
    }

    [TestCase(7, DType.Int32)]
    [TestCase(-3, DType.Int32)]
    [TestCase(7, DType.Int64)]
    [TestCase((1L << 32) + 1, DType.Int64)] // low 32 bits 1: in range if it were truncated
    public void Gather_ThrowsArgumentOutOfRange_LikeReference_ForABadIndex(long bad, DType indexType)
    {
        var rng = new Random(85);
        var x = HostTensor.Make(DType.Float32, [5, 7], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var indexValues = Enumerable.Range(0, 15).Select(i => (double)(i % 7)).ToArray();
        indexValues[8] = bad;
        var index = HostTensor.FromStorage(indexType, indexValues, [5, 3], [3, 1], 0);
        Conformance.Check(backend, $"gather bad index {bad}", Tol.Exact, [x, index, Output(DType.Float32, [5, 3])], (b, v) => b.Gather(v[0], 1, v[1], v[2]), 2);
        Conformance.Apply(backend, [x, index, Output(DType.Float32, [5, 3])], (b, v) => b.Gather(v[0], 1, v[1], v[2]), out var error);
        Assert.That(error, Is.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ScatterAdd_MatchesReference_WithDuplicateTargetsOnEveryAxis()
    {
        var rng = new Random(86);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Int64 })
            foreach (var (yShape, axis, srcShape) in new[] { (new[] { 5, 7 }, 1, new[] { 5, 12 }), ([5, 7], 0, [20, 7]), ([3, 4, 5], 1, [3, 9, 5]), ([10], 0, [50]), ([3, 1, 5], 0, [6, 1, 5]) })
                foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                {
                    var y = HostTensor.Make(dtype, yShape, layout, Uniform(rng, -10, 10, dtype));
                    var index = Indices(srcShape, yShape[axis], rng, layout, IndexTypes[(int)layout % 2]);
                    var src = HostTensor.Make(dtype, srcShape, layout, Uniform(rng, -10, 10, dtype));
                    // The same order of additions as the reference gives the same bits, floats included.
                    Conformance.Check(backend, $"scatter_add {y} axis {axis}", Tol.Exact, [y, index, src], (b, v) => b.ScatterAdd(v[0], axis, v[1], v[2]), 0);
                }
    }

    [TestCase(5, DType.Int32)]
    [TestCase(-1, DType.Int32)]
    [TestCase(5, DType.Int64)]
    [TestCase(-(1L << 40), DType.Int64)]
    public void ScatterAdd_ThrowsArgumentOutOfRange_LikeReference_AfterTheSameUpdates(long bad, DType indexType)
    {
        var rng = new Random(87);
        var y = HostTensor.Make(DType.Float32, [5, 3], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var indexValues = Enumerable.Range(0, 12).Select(i => (double)(i % 5)).ToArray();
        indexValues[7] = bad;
        var index = HostTensor.FromStorage(indexType, indexValues, [4, 3], [3, 1], 0);
        var src = HostTensor.Make(DType.Float32, [4, 3], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        Conformance.Check(backend, $"scatter_add bad index {bad}", Tol.Exact, [y, index, src], (b, v) => b.ScatterAdd(v[0], 0, v[1], v[2]), 0);
        // scatter_add works in place, element by element in row-major order: the updates made before the bad
        // index are the same as the reference's.
        var expected = Conformance.Apply(DotGrad.Backends.Reference.ReferenceBackend.Instance, [y, index, src], (b, v) => b.ScatterAdd(v[0], 0, v[1], v[2]), out _);
        var actual = Conformance.Apply(backend, [y, index, src], (b, v) => b.ScatterAdd(v[0], 0, v[1], v[2]), out var error);
        Assert.That(error, Is.TypeOf<ArgumentOutOfRangeException>());
        Conformance.AssertClose(expected[0], actual[0], Tol.Exact, "y after the failed scatter_add");
    }

    // ---------------------------------------------------------------- random

    /// <summary>
    /// Bit-identical everywhere, except Float64 normals on devices with their own math library: Box-Muller's log
    /// and cos there may differ from the host's in the last bit (OpenCL allows a few ulp), so they get 4 ulp.
    /// Rounding to Float32 or below hides that difference.
    /// </summary>
    private Tol RandomTolerance(RandomKind kind, DType dtype) =>
        kind == RandomKind.Normal && dtype == DType.Float64 && !backend.Device.IsHostMemory ? new Tol(1e-15, 1e-15) : Tol.Exact;

    [Test]
    public void FillRandom_IsBitIdenticalToReference_ForEveryDistributionAndDType()
    {
        var cases = new (RandomKind Kind, double A, double B, DType DType)[]
        {
            (RandomKind.Uniform, 0, 1, DType.Float32), (RandomKind.Uniform, -2, 3, DType.Float64), (RandomKind.Uniform, -1, 1, DType.BFloat16),
            (RandomKind.Uniform, 0, 1, DType.Float16), (RandomKind.Normal, 0, 1, DType.Float32), (RandomKind.Normal, 1, 0.02, DType.Float64),
            (RandomKind.Normal, 0, 1, DType.BFloat16), (RandomKind.Integer, -5, 17, DType.Int32), (RandomKind.Integer, 0, 1000, DType.Float32),
            (RandomKind.Integer, 0, 2, DType.Bool), (RandomKind.Integer, -5, 17, DType.Int64),
        };
        foreach (var (kind, a, b, dtype) in cases)
            foreach (int n in new[] { 0, 1, 7, 100, 70_001 })
                foreach (ulong offset in new ulong[] { 0, 12345 })
                    Conformance.Check(backend, $"fill_random {kind} {dtype} n {n} offset {offset}", RandomTolerance(kind, dtype), [Output(dtype, [n])],
                        (be, v) => be.FillRandom(v[0], kind, a, b, seed: 42, offset), 0);
    }

    // ---------------------------------------------------------------- matmul

    [Test]
    public void MatMul_MatchesReference_WithTransposedAndBroadcastOperands()
    {
        var rng = new Random(91);
        foreach (var dtype in FloatTypes)
        {
            var tol = dtype == DType.Float32 ? new Tol(1e-5, 1e-5) : Tol.Float64;
            var a = HostTensor.Make(dtype, [2, 3, 4], Layout.Contiguous, Uniform(rng, -1, 1, dtype));
            var b = HostTensor.Make(dtype, [2, 4, 5], Layout.Transposed, Uniform(rng, -1, 1, dtype));
            var bb = HostTensor.Make(dtype, [2, 4, 5], Layout.BroadcastOuter, Uniform(rng, -1, 1, dtype));
            Conformance.Check(backend, $"matmul {dtype}", tol, [a, b, Output(dtype, [2, 3, 5])], (be, v) => be.MatMul(v[0], v[1], v[2]), 2);
            Conformance.Check(backend, $"matmul broadcast batch {dtype}", tol, [a, bb, Output(dtype, [2, 3, 5])], (be, v) => be.MatMul(v[0], v[1], v[2]), 2);
        }
    }

    [TestCase(1, 1, 1, 1)]
    [TestCase(1, 33, 70, 45)]
    [TestCase(3, 13, 257, 33)]
    [TestCase(4, 64, 64, 64)]
    [TestCase(2, 150, 40, 97)]
    public void MatMul_MatchesReference_OnSizesThatReachThePackedKernels(int batch, int m, int k, int n)
    {
        // Sizes past the microkernel tile (12 x 32) and KC/MC block edges, with every operand layout, so the SIMD
        // GEMM runs through the backend on strided, transposed and broadcast operands, not only the naive path.
        var rng = new Random(92 + m);
        foreach (var dtype in FloatTypes)
        {
            var tol = dtype == DType.Float32 ? new Tol(1e-4, 1e-4) : new Tol(1e-11, 1e-11);
            foreach (var la in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                foreach (var lb in new[] { Layout.Contiguous, Layout.Transposed, Layout.BroadcastOuter })
                {
                    var a = HostTensor.Make(dtype, [batch, m, k], la, Uniform(rng, -1, 1, dtype));
                    var b = HostTensor.Make(dtype, [batch, k, n], lb, Uniform(rng, -1, 1, dtype));
                    Conformance.Check(backend, $"matmul [{batch},{m},{k}]@[{batch},{k},{n}] {la}/{lb} {dtype}", tol,
                        [a, b, Output(dtype, [batch, m, n])], (be, v) => be.MatMul(v[0], v[1], v[2]), 2);
                }
        }
    }
}
