// The OpenCL tiled matmul against the naive OpenCL kernel, for every tiling the host can choose: shapes on either
// side of each tile edge, row-major, transposed, sliced and batch-broadcast operands, Float32 and Float64.
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Tests.Backends;

[TestFixture]
public sealed class OpenCLGemmTests
{
    /// <summary>How one operand [B, R, C] sits in its storage.</summary>
    public enum Operand
    {
        RowMajor,
        ColumnMajor,    // every matrix transposed in memory
        Sliced,         // neither matrix stride is 1, with an offset
        BroadcastBatch, // batch stride 0: one matrix for the whole batch
    }

    private OpenCLBackend backend = null!;

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!OpenCLRuntime.IsAvailable) Assert.Ignore(OpenCLRuntime.UnavailableReason!);
        backend = OpenCLBackend.Get(0);
    }

    private static IEnumerable<TestCaseData> Tilings() =>
        new[] { DType.Float32, DType.Float64 }.SelectMany(dtype => GemmTiling.All(dtype).Select(t =>
            new TestCaseData(dtype, t.ToString()).SetArgDisplayNames(dtype.ToString(), t.ToString())));

    [TestCaseSource(nameof(Tilings))]
    public void Tiled_MatchesNaive_OnShapesAroundTheTileEdges(DType dtype, string tilingName)
    {
        var t = Require(dtype, tilingName);
        var shapes = new (int M, int N, int K)[]
        {
            (1, 1, 1), (t.TM - 1, t.TN + 1, t.TK + 1), (t.TM, t.TN, t.TK), (t.TM + 1, t.TN - 1, 2 * t.TK + 3),
            (2 * t.TM, 2 * t.TN, 3 * t.TK), // whole tiles: the kernel without bounds checks
            (t.TM + 1, 1, t.TK - 1), (1, t.TN + 1, 7), (3, 5, 2 * t.TK + 1),
        };
        var rng = new Random(7 + t.TM + t.TK);
        foreach (var (m, n, k) in shapes)
            foreach (var la in new[] { Operand.RowMajor, Operand.ColumnMajor, Operand.Sliced })
                foreach (var lb in new[] { Operand.RowMajor, Operand.ColumnMajor, Operand.BroadcastBatch })
                    Compare(dtype, t, 2, m, n, k, la, lb, rng);
    }

    [TestCaseSource(nameof(Tilings))]
    public void Tiled_MatchesNaive_WithBroadcastOperandsAndManyBatches(DType dtype, string tilingName)
    {
        var t = Require(dtype, tilingName);
        var rng = new Random(11);
        Compare(dtype, t, 5, t.TM + 3, t.TN + 5, t.TK + 2, Operand.BroadcastBatch, Operand.ColumnMajor, rng);
        Compare(dtype, t, 3, 2 * t.TM, t.TN, 2 * t.TK, Operand.ColumnMajor, Operand.BroadcastBatch, rng);
    }

    [TestCaseSource(nameof(Tilings))]
    public void Tiled_WritesZeros_WhenKIsZero(DType dtype, string tilingName)
    {
        var t = Require(dtype, tilingName);
        var c = Run(dtype, t, 2, t.TM + 1, t.TN - 1, 0, Operand.RowMajor, Operand.RowMajor, new Random(3), out var view);
        for (int bi = 0; bi < 2; bi++)
            for (int i = 0; i < t.TM + 1; i++)
                for (int j = 0; j < t.TN - 1; j++)
                    Assert.That(c[view.Offset + bi * view.Strides[0] + i * view.Strides[1] + j * view.Strides[2]], Is.EqualTo(0.0));
    }

    [Test]
    public void Auto_MatchesNaive_OnALargeProductWithTheDevicesOwnTiling()
    {
        var t = backend.Tiling(DType.Float32);
        if (t is null) Assert.Ignore($"no tiling fits {backend.Info.Name}; the naive kernel runs everything");
        Compare(DType.Float32, null, 1, 300, 260, 200, Operand.RowMajor, Operand.RowMajor, new Random(5));
    }

    private GemmTiling Require(DType dtype, string tilingName)
    {
        if (dtype == DType.Float64 && !backend.Info.SupportsFloat64) Assert.Ignore($"{backend.Info.Name} has no cl_khr_fp64");
        var t = GemmTiling.All(dtype).Single(x => x.ToString() == tilingName);
        if (!backend.Fits(t, dtype)) Assert.Ignore($"tiling {t} does not fit {backend.Info.Name}");
        return t;
    }

    /// <summary>
    /// Runs both kernels on the same operands and compares c's whole storage (row gaps included, so a stray write
    /// shows). Both add the same products in the same order with fma, and a zero-padded k adds exactly 0, so the
    /// results agree to the bit. A null tiling runs the Auto path.
    /// </summary>
    private void Compare(DType dtype, GemmTiling? t, int batch, int m, int n, int k, Operand la, Operand lb, Random rng)
    {
        int seed = rng.Next();
        var naive = Run(dtype, null, batch, m, n, k, la, lb, new Random(seed), out _, MatMulPath.Naive);
        var tiled = Run(dtype, t, batch, m, n, k, la, lb, new Random(seed), out _, t is null ? MatMulPath.Auto : MatMulPath.Tiled);
        for (int i = 0; i < naive.Length; i++)
            if (BitConverter.DoubleToInt64Bits(naive[i]) != BitConverter.DoubleToInt64Bits(tiled[i]))
                Assert.Fail($"{dtype} tiling {t?.ToString() ?? "auto"} [{batch},{m},{k}] {la} @ [{batch},{k},{n}] {lb}: c storage element {i} is {tiled[i]:R}, naive gives {naive[i]:R}");
    }

    /// <summary>c = a @ b on one path; c has padded rows and an offset, its storage pre-filled with a sentinel.</summary>
    private double[] Run(DType dtype, GemmTiling? t, int batch, int m, int n, int k, Operand la, Operand lb, Random rng, out Strided c, MatMulPath path = MatMulPath.Tiled)
    {
        var a = Make(dtype, batch, m, k, la, rng);
        var b = Make(dtype, batch, k, n, lb, rng);
        int rowStride = n + 2, offset = 1;
        var cValues = Enumerable.Repeat(-12345.0, offset + batch * m * rowStride).ToArray();
        c = Upload(dtype, cValues, [batch, m, n], [m * rowStride, rowStride, 1], offset);
        try
        {
            backend.MatMul(a, b, c, path, t);
            backend.Synchronize();
            return HostTensor.ReadBack(backend, c.Storage);
        }
        finally
        {
            a.Storage.Release();
            b.Storage.Release();
            c.Storage.Release();
        }
    }

    private Strided Make(DType dtype, int batch, int rows, int cols, Operand layout, Random rng)
    {
        int[] strides, storageShape;
        int offset = 0;
        switch (layout)
        {
            case Operand.RowMajor:
                (storageShape, strides) = ([batch, rows, cols], [rows * cols, cols, 1]);
                break;
            case Operand.ColumnMajor:
                (storageShape, strides) = ([batch, rows, cols], [rows * cols, 1, rows]);
                break;
            case Operand.Sliced: // rows of 2 * cols + 1 elements read at step 2 from column 1, starting at row 1
                (storageShape, strides) = ([batch, rows + 1, 2 * cols + 1], [(rows + 1) * (2 * cols + 1), 2 * cols + 1, 2]);
                offset = 2 * cols + 2;
                break;
            default:
                (storageShape, strides) = ([rows, cols], [0, cols, 1]);
                break;
        }
        var values = new double[Math.Max(ShapeMath.Count(storageShape), 1)];
        for (int i = 0; i < values.Length; i++) values[i] = rng.NextDouble() * 2 - 1;
        return Upload(dtype, values, [batch, rows, cols], strides, offset);
    }

    private Strided Upload(DType dtype, double[] values, int[] shape, int[] strides, int offset)
    {
        var storage = backend.Allocate(dtype, values.Length);
        backend.Write(storage, HostTensor.Encode(dtype, values));
        return new Strided(storage, shape, strides, offset);
    }
}
