// Checks the packed SIMD GEMM against the naive triple loop over shapes that straddle every blocking boundary,
// strided / transposed / broadcast operands, padded C rows, accumulation and threading, in float and double.
using System.Numerics;
using DotGrad.Backends.Cpu;

namespace DotGrad.Tests.Backends;

[TestFixture]
public unsafe class GemmTests
{
    private const int Seed = 20240611;

    /// <summary>How an operand's logical (row, col) maps to memory.</summary>
    public enum Layout
    {
        RowMajor,
        PaddedRows,    // row-major with rows further apart than their length (a column block of a wider matrix)
        ColumnMajor,   // a transposed view
        Strided,       // neither stride is 1
        BroadcastRows, // row stride 0: every row is the same
        BroadcastCols, // col stride 0: every column is the same
    }

    // MR = 12 (AVX-512) or 6 (AVX2); NR = 32/16 (float) or 16/8 (double), 16/8 for the narrow AVX-512 kernel; MC = 144/72, KC = 256, NC = 3072.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 1, 300), (2, 3, 4), (1, 37, 5), (37, 1, 5), (5, 7, 1),
        (6, 8, 9), (7, 17, 3), (11, 31, 7), (12, 32, 16), (13, 33, 17), (12, 16, 8), (24, 64, 1),
        (71, 73, 255), (72, 64, 256), (73, 65, 257), (143, 47, 40), (145, 100, 30), (700, 5, 20), (5, 700, 20),
        (20, 30, 513), (2, 3073, 3), (13, 3100, 5),
    ];

    private static IEnumerable<TestCaseData> ShapeCases() =>
        Shapes.Select(s => new TestCaseData(s.M, s.N, s.K).SetArgDisplayNames($"{s.M}x{s.N}x{s.K}"));

    private static IEnumerable<GemmPath> Paths<T>() where T : unmanaged =>
        new[] { GemmPath.Avx512, GemmPath.Avx512Narrow, GemmPath.Avx2, GemmPath.Auto }.Where(Gemm.IsSupported<T>);

    [TestCaseSource(nameof(ShapeCases))]
    public void Sgemm_MatchesNaive_OnEveryPathThreadCountAndAccumulateMode(int m, int n, int k) => CheckAllModes<float>(m, n, k);

    [TestCaseSource(nameof(ShapeCases))]
    public void Dgemm_MatchesNaive_OnEveryPathThreadCountAndAccumulateMode(int m, int n, int k) => CheckAllModes<double>(m, n, k);

    [Test]
    public void Gemm_MatchesNaive_ForEveryOperandLayout(
        [Values] Layout aLayout, [Values] Layout bLayout, [Values("Avx512", "Avx2")] string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported<float>(path))
            Assert.Ignore($"{path} is not supported on this CPU.");
        foreach (var (m, n, k) in new[] { (29, 45, 37), (13, 70, 300) })
        {
            Check<float>(m, n, k, aLayout, bLayout, cPad: 0, accumulate: false, threads: 2, path);
            Check<double>(m, n, k, aLayout, bLayout, cPad: 0, accumulate: true, threads: 1, path);
        }
    }

    [Test]
    public void RowDots_MatchesNaive_ForFewRowsAgainstContiguousColumns(
        [Values(1, 2, 4)] int m, [Values(1, 2)] int threads, [Values] bool accumulate)
    {
        // x W^T with W row-major: A rows contiguous (RowMajor / PaddedRows), B columns contiguous (ColumnMajor).
        foreach (var (n, k) in new[] { (1, 1), (37, 5), (300, 129), (3000, 700) })
        {
            Check<float>(m, n, k, Layout.RowMajor, Layout.ColumnMajor, cPad: 3, accumulate, threads, GemmPath.RowDots);
            Check<double>(m, n, k, Layout.PaddedRows, Layout.ColumnMajor, cPad: 0, accumulate, threads, GemmPath.RowDots);
            Check<float>(m, n, k, Layout.RowMajor, Layout.ColumnMajor, cPad: 0, accumulate, threads, GemmPath.Auto);
        }
        CheckBias<float>(m, 300, 129, Layout.ColumnMajor, threads, GemmPath.RowDots);
        CheckBias<double>(m, 3000, 70, Layout.ColumnMajor, threads, GemmPath.Auto);
    }

    [Test]
    public void RowDots_RefusesOperandsItCannotRead()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(5, 8, 8, null, 8, 1, null, 1, 8, null, 8, false, 1, GemmPath.RowDots));
        Assert.That(ex!.Message, Does.Contain("row-dot").And.Contain("m=5"));
    }

    [Test]
    public void Gemm_WritesOnlyTheRowsOfAPaddedC([Values(1, 2)] int threads, [Values] bool accumulate)
    {
        Check<float>(50, 70, 33, Layout.RowMajor, Layout.RowMajor, cPad: 9, accumulate, threads, GemmPath.Auto);
        Check<double>(50, 70, 33, Layout.ColumnMajor, Layout.RowMajor, cPad: 5, accumulate, threads, GemmPath.Auto);
    }

    [Test]
    public void Gemm_IntoATilePaddedC_MatchesNaive_AndWritesNothingPastThePadding(
        [Values(1, 2)] int threads, [Values] bool accumulate, [Values("Avx512", "Avx512Narrow", "Avx2", "Auto")] string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported<float>(path))
            Assert.Ignore($"{path} is not supported on this CPU.");
        foreach (var (m, n, k) in new[] { (50, 50, 16), (50, 16, 50), (13, 33, 7), (24, 64, 9) })
        {
            // C [RoundUp(m, 12) + 1, ld]: the valid block, the padding the GEMM may scribble on, and a guard row and column.
            int rows = Gemm.RoundUp(m, Gemm.PadRows), ld = Gemm.RoundUp(n, Gemm.PadColumns) + 1;
            var rng = new Random(HashCode.Combine(Seed, m, n, k));
            float[] a = Fill<float>(rng, m * k), b = Fill<float>(rng, k * n), c = Fill<float>(rng, (rows + 1) * ld);
            var expected = (float[])c.Clone();
            var before = (float[])c.Clone();
            fixed (float* pa = a, pb = b, pc = c, pe = expected)
            {
                Gemm.Multiply(m, n, k, pa, k, 1, pb, n, 1, pc, ld, accumulate, threads, path, paddedC: true);
                GemmNaive.Run(m, n, k, pa, k, 1, pb, n, 1, pe, ld, accumulate);
            }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    Assert.That(c[i * ld + j], Is.EqualTo(expected[i * ld + j]).Within(1e-5 * k), $"{m}x{n}x{k} {path}: C[{i}, {j}]");
            for (int j = 0; j < ld; j++)
                Assert.That(c[rows * ld + j], Is.EqualTo(before[rows * ld + j]), $"{m}x{n}x{k} {path}: the guard row, column {j}, was written");
            for (int i = 0; i < rows; i++)
                Assert.That(c[i * ld + ld - 1], Is.EqualTo(before[i * ld + ld - 1]), $"{m}x{n}x{k} {path}: the guard column, row {i}, was written");
        }
    }

    [Test]
    public void Gemm_IntoAPaddedC_RejectsABiasOrARowStrideWithoutRoomForWholeTiles()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(12, 40, 8, null, 8, 1, null, 40, 1, null, 40, false, 1, GemmPath.Auto, paddedC: true));
        Assert.That(ex!.Message, Does.Contain("row stride of at least 64"));
        var bias = new float[40];
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* pbias = bias)
                Gemm.Multiply<float>(12, 40, 8, null, 8, 1, null, 40, 1, null, 64, false, 1, GemmPath.Auto, pbias, paddedC: true);
        });
    }

    [Test]
    public void Sgemm_PublicEntryPoint_MatchesNaive_OnALargeMultithreadedProblem()
    {
        const int m = 300, n = 260, k = 520;
        var rng = new Random(Seed);
        float[] a = Fill<float>(rng, m * k), b = Fill<float>(rng, k * n), c = new float[m * n], expected = new float[m * n];
        fixed (float* pa = a, pb = b, pc = c, pe = expected)
        {
            Gemm.Sgemm(m, n, k, pa, k, 1, pb, n, 1, pc, n, accumulate: false, maxThreads: 2);
            GemmNaive.Sgemm(m, n, k, pa, k, 1, pb, n, 1, pe, n, accumulate: false, maxThreads: 1);
        }
        AssertClose(c, expected, Tolerances<float>(a, b, m, n, k, k, 1, n, 1, null, n), "public Sgemm 300x260x520");
    }

    [Test]
    public void Gemm_WithEmptyDepth_ZeroesC_OrLeavesItWhenAccumulating([Values] bool accumulate)
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        double[] cd = [1, 2, 3, 4, 5, 6];
        fixed (float* pc = c)
            Gemm.Sgemm(2, 3, 0, null, 0, 1, null, 3, 1, pc, 3, accumulate, maxThreads: 2);
        fixed (double* pc = cd)
            Gemm.Dgemm(2, 3, 0, null, 0, 1, null, 3, 1, pc, 3, accumulate, maxThreads: 1);
        float[] expected = accumulate ? [1, 2, 3, 4, 5, 6] : [0, 0, 0, 0, 0, 0];
        Assert.That(c, Is.EqualTo(expected));
        Assert.That(cd, Is.EqualTo(expected.Select(x => (double)x)));
    }

    [TestCaseSource(nameof(ShapeCases))]
    public void GemmWithBias_MatchesNaivePlusBias_OnEveryPathAndThreadCount(int m, int n, int k)
    {
        foreach (var path in Paths<float>())
            foreach (int threads in new[] { 1, 2 })
                CheckBias<float>(m, n, k, Layout.ColumnMajor, threads, path);
        foreach (var path in Paths<double>())
        {
            CheckBias<double>(m, n, k, Layout.RowMajor, threads: 2, path);
            CheckBias<double>(m, n, k, Layout.RowMajor, threads: 1, path, pack: true);
        }
        CheckBias<float>(m, n, k, Layout.Strided, threads: 1, GemmPath.Naive);
    }

    [Test]
    public void GemmWithBias_AndEmptyDepth_WritesTheBiasInEveryRow()
    {
        float[] c = [9, 9, 9, 9, 9, 9], bias = [1, 2, 3];
        fixed (float* pc = c, pb = bias)
            Gemm.SgemmBias(2, 3, 0, null, 0, 1, null, 3, 1, pc, 3, pb, maxThreads: 2);
        Assert.That(c, Is.EqualTo(new float[] { 1, 2, 3, 1, 2, 3 }));
    }

    [Test]
    public void GemmWithBias_RejectsAccumulate()
    {
        float[] c = [0], a = [1], b = [1], bias = [1];
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* pa = a, pb = b, pc = c, pbias = bias)
                Gemm.Multiply(1, 1, 1, pa, 1, 1, pb, 1, 1, pc, 1, accumulate: true, maxThreads: 1, GemmPath.Auto, pbias);
        });
    }

    [Test]
    public void Gemm_WithNoRowsOrColumns_DoesNothing()
    {
        float[] c = [7, 8];
        fixed (float* pc = c)
        {
            Gemm.Sgemm(0, 2, 5, null, 5, 1, null, 2, 1, pc, 2, accumulate: false, maxThreads: 2);
            Gemm.Sgemm(1, 0, 5, null, 5, 1, null, 2, 1, pc, 2, accumulate: false, maxThreads: 2);
        }
        Assert.That(c, Is.EqualTo(new float[] { 7, 8 }));
    }

    [Test]
    public void Gemm_RejectsNegativeDimensionsAndThreadCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(-1, 2, 2, null, 2, 1, null, 2, 1, null, 2, false, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(2, 2, 2, null, 2, 1, null, 2, 1, null, 2, false, 0));
    }

    private static void CheckAllModes<T>(int m, int n, int k) where T : unmanaged, IFloatingPoint<T>
    {
        foreach (var path in Paths<T>())
            foreach (int threads in new[] { 1, 2 })
                foreach (bool accumulate in new[] { false, true })
                    foreach (bool pack in new[] { false, true })   // operands read in place (where the shape allows) and packed
                        Check<T>(m, n, k, Layout.RowMajor, Layout.RowMajor, cPad: 0, accumulate, threads, path, pack);
    }

    /// <summary>Runs Gemm and GemmNaive on the same random operands and compares every element of C, padding included.</summary>
    private static void Check<T>(int m, int n, int k, Layout aLayout, Layout bLayout, int cPad, bool accumulate, int threads, GemmPath path,
                                 bool pack = false)
        where T : unmanaged, IFloatingPoint<T>
    {
        var rng = new Random(HashCode.Combine(Seed, m, n, k, aLayout, bLayout));
        var (ars, acs, aLen) = Strides(m, k, aLayout);
        var (brs, bcs, bLen) = Strides(k, n, bLayout);
        int ldc = n + cPad;
        T[] a = Fill<T>(rng, aLen), b = Fill<T>(rng, bLen), c0 = Fill<T>(rng, m * ldc);
        T[] got = (T[])c0.Clone(), expected = (T[])c0.Clone();
        fixed (T* pa = a, pb = b, pg = got, pe = expected)
        {
            Gemm.Multiply(m, n, k, pa, ars, acs, pb, brs, bcs, pg, ldc, accumulate, threads, path, pack: pack);
            GemmNaive.Run(m, n, k, pa, ars, acs, pb, brs, bcs, pe, ldc, accumulate);
        }
        double[] tol = Tolerances(a, b, m, n, k, ars, acs, brs, bcs, accumulate ? c0 : null, ldc);
        AssertClose(got, expected, tol,
            $"{typeof(T).Name} {m}x{n}x{k} A={aLayout} B={bLayout} ldc={ldc} accumulate={accumulate} threads={threads} path={path} pack={pack} seed={Seed}");
    }

    /// <summary>The GEMM with a bias against the naive product with the bias added afterwards (C starts as garbage).</summary>
    private static void CheckBias<T>(int m, int n, int k, Layout bLayout, int threads, GemmPath path, bool pack = false)
        where T : unmanaged, IFloatingPoint<T>
    {
        var rng = new Random(HashCode.Combine(Seed, m, n, k, bLayout, 7));
        var (ars, acs, aLen) = Strides(m, k, Layout.RowMajor);
        var (brs, bcs, bLen) = Strides(k, n, bLayout);
        T[] a = Fill<T>(rng, aLen), b = Fill<T>(rng, bLen), bias = Fill<T>(rng, n), got = Fill<T>(rng, m * n), expected = new T[m * n];
        fixed (T* pa = a, pb = b, pg = got, pe = expected, pbias = bias)
        {
            Gemm.Multiply(m, n, k, pa, ars, acs, pb, brs, bcs, pg, n, accumulate: false, threads, path, pbias, pack);
            GemmNaive.Run(m, n, k, pa, ars, acs, pb, brs, bcs, pe, n, accumulate: false);
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                expected[i * n + j] += bias[j];
        var c0 = new T[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c0[i * n + j] = bias[j];
        AssertClose(got, expected, Tolerances(a, b, m, n, k, ars, acs, brs, bcs, c0, n),
            $"{typeof(T).Name} {m}x{n}x{k} with bias, B={bLayout} threads={threads} path={path} pack={pack}");
    }

    /// <summary>Strides and buffer length for a rows x cols operand stored in <paramref name="layout"/>.</summary>
    private static (int Row, int Col, int Length) Strides(int rows, int cols, Layout layout) => layout switch
    {
        Layout.RowMajor => (cols, 1, rows * cols),
        Layout.PaddedRows => (cols + 5, 1, rows * (cols + 5)),
        Layout.ColumnMajor => (1, rows, rows * cols),
        Layout.Strided => (2 * cols + 3, 2, rows * (2 * cols + 3)),
        Layout.BroadcastRows => (0, 1, cols),
        _ => (1, 0, rows),
    };

    private static T[] Fill<T>(Random rng, int length) where T : IFloatingPoint<T>
    {
        var data = new T[Math.Max(length, 1)];
        for (int i = 0; i < data.Length; i++)
            data[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>
    /// Per-element tolerance: the two summation orders each err by about eps * sqrt(k) * sum_p |A[i,p] B[p,j]| (plus
    /// |C0| when accumulating), so allow a small multiple of that; a single dropped or doubled term is far larger.
    /// </summary>
    private static double[] Tolerances<T>(T[] a, T[] b, int m, int n, int k, int ars, int acs, int brs, int bcs, T[]? c0, int ldc)
        where T : IFloatingPoint<T>
    {
        double eps = typeof(T) == typeof(float) ? 1e-6 : 2e-15;
        var tol = new double[m * ldc];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sumAbs = c0 is null ? 0 : Math.Abs(double.CreateChecked(c0[i * ldc + j]));
                for (int p = 0; p < k; p++)
                    sumAbs += Math.Abs(double.CreateChecked(a[i * ars + p * acs]) * double.CreateChecked(b[p * brs + j * bcs]));
                tol[i * ldc + j] = eps * Math.Sqrt(k + 1) * sumAbs;
            }
        return tol;
    }

    private static void AssertClose<T>(T[] got, T[] expected, double[] tol, string what) where T : IFloatingPoint<T>
    {
        int worst = 0;
        double worstRatio = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double diff = Math.Abs(double.CreateChecked(got[i] - expected[i]));
            double ratio = diff == 0 ? 0 : tol[i] == 0 || double.IsNaN(diff) ? double.PositiveInfinity : diff / tol[i];
            if (ratio > worstRatio)
                (worst, worstRatio) = (i, ratio);
        }
        Assert.That(worstRatio, Is.LessThanOrEqualTo(1.0),
            $"{what}: element {worst} is {got[worst]}, naive gives {expected[worst]} (tol {tol[worst]:E2}).");
    }
}
