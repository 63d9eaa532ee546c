// Newton-Schulz orthogonalization: singular values near 1 for random matrices of several shapes and dtypes, the
// scalar closed form of a diagonal matrix, zeros, transposes, scale invariance and rank > 2 inputs.
using DotGrad.Backends;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class NewtonSchulzTests
{
    private const double A = 3.4445, B = -4.7750, C = 2.0315;

    /// <summary>Singular values of a [rows, cols] matrix given row-major: sqrt of the eigenvalues of the smaller Gram matrix.</summary>
    internal static double[] SingularValues(double[] m, int rows, int cols)
    {
        int r = Math.Min(rows, cols);
        var gram = new double[r, r];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            {
                double s = 0;
                for (int k = 0; k < Math.Max(rows, cols); k++)
                    s += rows <= cols ? m[i * cols + k] * m[j * cols + k]      // M M^T
                                      : m[k * cols + i] * m[k * cols + j];     // M^T M
                gram[i, j] = s;
            }
        return JacobiEigenvalues(gram).Select(e => Math.Sqrt(Math.Max(e, 0))).OrderBy(s => s).ToArray();
    }

    /// <summary>Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (each rotation zeroes one off-diagonal pair).</summary>
    internal static double[] JacobiEigenvalues(double[,] s)
    {
        int n = s.GetLength(0);
        var a = (double[,])s.Clone();
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += a[p, q] * a[p, q];
            if (off < 1e-30) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300) continue;
                    // the angle that zeroes a[p, q]: tan(2 theta) = 2 a_pq / (a_qq - a_pp)
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), sn = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];                  // columns p, q: A J
                        a[k, p] = c * akp - sn * akq;
                        a[k, q] = sn * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];                  // rows p, q: J^T (A J)
                        a[p, k] = c * apk - sn * aqk;
                        a[q, k] = sn * apk + c * aqk;
                    }
                }
        }
        return Enumerable.Range(0, n).Select(i => a[i, i]).ToArray();
    }

    private static double[] Values(Tensor t) => t.To(DType.Float64).Contiguous().ToArray<double>();

    [Test]
    public void JacobiRoutine_FindsKnownSingularValues()
    {
        // [[3, 0], [4, 5]]: M^T M = [[25, 20], [20, 25]], eigenvalues 45 and 5, singular values sqrt(5) and sqrt(45)
        var sv = SingularValues([3, 0, 4, 5], 2, 2);
        Assert.That(sv[0], Is.EqualTo(Math.Sqrt(5)).Within(1e-12));
        Assert.That(sv[1], Is.EqualTo(Math.Sqrt(45)).Within(1e-12));
        // a 3 x 2 matrix with orthogonal columns of norms 2 and 3
        var tall = SingularValues([2, 0, 0, 3, 0, 0], 3, 2);
        Assert.That(tall, Is.EqualTo(new[] { 2.0, 3.0 }).Within(1e-12));
    }

    [TestCase(8, 8, DType.Float64)]
    [TestCase(16, 4, DType.Float64)]
    [TestCase(4, 16, DType.Float64)]
    [TestCase(64, 32, DType.Float64)]
    [TestCase(3, 50, DType.Float64)]
    [TestCase(8, 8, DType.Float32)]
    [TestCase(16, 4, DType.Float32)]
    [TestCase(4, 16, DType.Float32)]
    [TestCase(64, 32, DType.Float32)]
    [TestCase(3, 50, DType.Float32)]
    public void RandomGaussianMatrix_SingularValuesNearOne(int rows, int cols, DType dtype)
    {
        const int seed = 1234;
        TestContext.Out.WriteLine($"seed {seed}");
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Randn([rows, cols], new Generator(seed), dtype);
        var inputSv = SingularValues(Values(u), rows, cols);
        var o = NewtonSchulz.Orthogonalize(u);
        Assert.That(o.Shape, Is.EqualTo(new[] { rows, cols }));
        Assert.That(o.DType, Is.EqualTo(dtype));
        var sv = SingularValues(Values(o), rows, cols);
        TestContext.Out.WriteLine($"input {string.Join(", ", inputSv.Select(s => s.ToString("G4")))}\noutput {string.Join(", ", sv.Select(s => s.ToString("G4")))}");
        Assert.That(inputSv[^1] / inputSv[0], Is.GreaterThan(1.4), "the input should be far from orthogonal for the test to mean anything");
        Assert.That(sv, Has.All.InRange(0.6, 1.25));
    }

    [Test]
    public void BFloat16_RunsInFloat32AndComesBackInBFloat16()
    {
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Randn([8, 12], new Generator(4), DType.Float32).To(DType.BFloat16);
        var o = NewtonSchulz.Orthogonalize(u);
        Assert.That(o.DType, Is.EqualTo(DType.BFloat16));
        var reference = Values(NewtonSchulz.Orthogonalize(u.To(DType.Float32)));
        Assert.That(Values(o), Is.EqualTo(reference).Within(1e-2));          // bfloat16 keeps about 3 significant digits
        Assert.That(SingularValues(Values(o), 8, 12), Has.All.InRange(0.6, 1.25));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.WithOpenCL))]
    public void OnADevice_MatchesTheCpu(Device device)
    {
        TestDevices.Require(device);
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Randn([24, 10], new Generator(6), DType.Float32);
        var cpu = Values(NewtonSchulz.Orthogonalize(u));
        var o = NewtonSchulz.Orthogonalize(u.To(device));
        Assert.That(o.Device, Is.EqualTo(device));
        Assert.That(Values(o.To(Device.Cpu)), Is.EqualTo(cpu).Within(1e-4));
    }

    [Test]
    public void DiagonalMatrix_EachEntryFollowsTheScalarQuintic()
    {
        // diag(3, 1) stays diagonal: X0 = diag(3, 1) / (sqrt(10) + 1e-7), then each entry x -> a x + b x^3 + c x^5, 5 times.
        // x = 3/(sqrt(10)+1e-7) = 0.94868... -> 0.7530334507754888;  x = 1/(sqrt(10)+1e-7) = 0.31622... -> 1.1337062226579617
        using var scope = Tensor.NewDisposeScope();
        var o = Values(NewtonSchulz.Orthogonalize(Tensor.FromArray(new double[,] { { 3, 0 }, { 0, 1 } })));
        Assert.That(o[0], Is.EqualTo(0.7530334507754888).Within(1e-12));
        Assert.That(o[3], Is.EqualTo(1.1337062226579617).Within(1e-12));
        Assert.That(o[1], Is.EqualTo(0.0));
        Assert.That(o[2], Is.EqualTo(0.0));
        // the same with the loop written here
        double x = 3 / (Math.Sqrt(10) + 1e-7);
        for (int i = 0; i < 5; i++) x = A * x + B * x * x * x + C * Math.Pow(x, 5);
        Assert.That(o[0], Is.EqualTo(x).Within(1e-12));
    }

    [Test]
    public void OtherCoefficients_AreUsed()
    {
        // sqrt(3) I has Frobenius norm 3, so X0 = I sqrt(3) / (3 + 1e-7): every singular value x0 = 0.57735...
        // One default step: x1 = 3.4445 x0 - 4.775 x0^3 + 2.0315 x0^5 = 1.98868 - 0.91895 + 0.13029 = 1.20005.
        // The classic quintic (1.875, -1.25, 0.375) fixes x = 1 and converges to it: 0.577 -> 0.866 -> 0.995 -> 1.
        using var scope = Tensor.NewDisposeScope();
        var eye = Tensor.Eye(3, dtype: DType.Float64) * Math.Sqrt(3);
        double x0 = Math.Sqrt(3) / (3 + 1e-7);
        var quick = Values(NewtonSchulz.Orthogonalize(eye, 1));
        Assert.That(quick[0], Is.EqualTo(A * x0 + B * Math.Pow(x0, 3) + C * Math.Pow(x0, 5)).Within(1e-12));
        Assert.That(quick[0], Is.EqualTo(1.20005).Within(1e-5));
        var classic = Values(NewtonSchulz.Orthogonalize(eye, 10, (1.875, -1.25, 0.375)));
        Assert.That(classic[0], Is.EqualTo(1.0).Within(1e-9));
        Assert.That(classic[1], Is.EqualTo(0.0));
    }

    [TestCase(DType.Float64)]
    [TestCase(DType.Float32)]
    public void ZeroMatrix_GivesZeros(DType dtype)
    {
        using var scope = Tensor.NewDisposeScope();
        var o = Values(NewtonSchulz.Orthogonalize(Tensor.Zeros([5, 3], dtype)));
        Assert.That(o, Has.All.EqualTo(0.0));
    }

    [Test]
    public void Transpose_GivesTheTransposeOfTheResult()
    {
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Randn([6, 11], new Generator(7), DType.Float64);
        var wide = NewtonSchulz.Orthogonalize(u);
        var tall = NewtonSchulz.Orthogonalize(u.MT.Contiguous());
        Assert.That(tall.Shape, Is.EqualTo(new[] { 11, 6 }));
        Assert.That(Values(tall), Is.EqualTo(Values(wide.MT.Contiguous())).Within(1e-12));
        // and a strided (transposed view) input gives the same as a contiguous one
        Assert.That(Values(NewtonSchulz.Orthogonalize(u.MT)), Is.EqualTo(Values(tall)).Within(1e-12));
    }

    [Test]
    public void PositiveScale_DoesNotChangeTheResult()
    {
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Randn([5, 9], new Generator(11), DType.Float64);
        var o = Values(NewtonSchulz.Orthogonalize(u));
        Assert.That(Values(NewtonSchulz.Orthogonalize(u * 1000.0)), Is.EqualTo(o).Within(1e-6));
        Assert.That(Values(NewtonSchulz.Orthogonalize(u * 0.25)), Is.EqualTo(o).Within(1e-6));
        Assert.That(Values(NewtonSchulz.Orthogonalize(u * -1.0)), Is.EqualTo(o.Select(v => -v)).Within(1e-12));
    }

    [Test]
    public void RankThree_IsTheMatrixOfItsFirstDimAgainstTheRest()
    {
        using var scope = Tensor.NewDisposeScope();
        var u = Tensor.Randn([4, 3, 2], new Generator(5), DType.Float64);
        var o = NewtonSchulz.Orthogonalize(u);
        Assert.That(o.Shape, Is.EqualTo(new[] { 4, 3, 2 }));
        var flat = NewtonSchulz.Orthogonalize(u.Reshape(4, 6));               // [4, 3, 2] -> [4, 6]
        Assert.That(Values(o), Is.EqualTo(Values(flat)).Within(1e-15));
    }

    [Test]
    public void BadInput_Throws()
    {
        using var scope = Tensor.NewDisposeScope();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => NewtonSchulz.Orthogonalize(Tensor.Ones([2, 2], DType.Float64), 0));
        Assert.That(ex!.Message, Does.Contain("steps"));
        var vec = Assert.Throws<ArgumentException>(() => NewtonSchulz.Orthogonalize(Tensor.Ones([3], DType.Float64)));
        Assert.That(vec!.Message, Does.Contain("matrix"));
    }
}
