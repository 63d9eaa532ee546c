// SM3-II: two hand-computed steps on a 2x3 matrix and on a vector for every momentum kind, each weight-decay
// placement, A = 0 giving 0, monotone accumulators that cover Adagrad's, a rank-3 tensor against a naive loop,
// state size, zero gradients, convergence, state dicts in memory and on disk, and bad options.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Optim;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Optim;

public class Sm3Tests
{
    private static Tensor Param(params double[] values) => Tensor.FromArray(values).RequireGrad();
    private static Tensor Param(double[,] values) => Tensor.FromArray(values).RequireGrad();

    [Test]
    public void Defaults_AreDocumented()
    {
        var o = new Sm3Options();
        Assert.Multiple(() =>
        {
            Assert.That(o.Lr, Is.EqualTo(0.1));
            Assert.That(o.Momentum, Is.EqualTo(0.9));
            Assert.That(o.MomentumKind, Is.EqualTo(MomentumKind.Ema));
            Assert.That(o.WeightDecay, Is.EqualTo(0.0));
            Assert.That(o.WeightDecayKind, Is.EqualTo(Sm3WeightDecay.Preconditioned));
        });
    }

    // ---- hand-computed steps ----

    // A 2x3 matrix p = [[1, 2, 3], [4, 5, 6]], lr 0.1, mu 0.9, rows r (2) and columns c (3) starting at 0.
    // t=1, g = [[1, -2, 0], [0.5, 0, 3]]:
    //   A = min(r_i, c_j) + g^2 = g^2 = [[1, 4, 0], [0.25, 0, 9]]
    //   g_hat = g / sqrt(A) = [[1, -1, 0], [1, 0, 1]]      (sign(g): the first step is a sign step; A = 0 gives 0)
    //   r = max_j A = [4, 9];  c = max_i A = [1, 4, 9]
    // t=2, g = [[2, 1, -1], [-1, 0.5, 0]]:
    //   min(r_i, c_j) = [[min(4,1), min(4,4), min(4,9)], [min(9,1), min(9,4), min(9,9)]] = [[1, 4, 4], [1, 4, 9]]
    //   A = that + g^2 = [[1+4, 4+1, 4+1], [1+1, 4+0.25, 9+0]] = [[5, 5, 5], [2, 4.25, 9]]
    //   g_hat = [[2/sqrt5, 1/sqrt5, -1/sqrt5], [-1/sqrt2, 0.5/sqrt4.25, 0]]
    //         = [[0.894427191, 0.4472135955, -0.4472135955], [-0.7071067812, 0.2425356250, 0]]
    //   r = [5, 9];  c = [5, 5, 9]
    private static readonly double[] MatrixHat1 = [1, -1, 0, 1, 0, 1];
    private static readonly double[] MatrixHat2 = [2 / Math.Sqrt(5), 1 / Math.Sqrt(5), -1 / Math.Sqrt(5), -1 / Math.Sqrt(2), 0.5 / Math.Sqrt(4.25), 0];

    private static IEnumerable<TestCaseData> MatrixCases()
    {
        // None: p1 = p - 0.1 h1 = [0.9, 2.1, 3, 3.9, 5, 5.9];  p2 = p1 - 0.1 h2
        yield return new TestCaseData(MomentumKind.None,
            new[] { 0.9, 2.1, 3.0, 3.9, 5.0, 5.9 },
            new[] { 0.8105572809000084, 2.055278640450004, 3.044721359549996, 3.9707106781186545, 4.975746437496367, 5.9 },
            null);
        // Ema: m1 = 0.1 h1, p1 = p - 0.01 h1 = [0.99, 2.01, 3, 3.99, 5, 5.99]
        //      m2 = 0.9 m1 + 0.1 h2 = 0.09 h1 + 0.1 h2, p2 = p1 - 0.1 m2
        //      e.g. entry 0: m2 = 0.09 + 0.0894427191 = 0.1794427191, p2 = 0.99 - 0.01794427191 = 0.97205572809
        yield return new TestCaseData(MomentumKind.Ema,
            new[] { 0.99, 2.01, 3.0, 3.99, 5.0, 5.99 },
            new[] { 0.9720557280900008, 2.014527864045, 3.0044721359549995, 3.9880710678118656, 4.997574643749637, 5.981 },
            new[] { 0.09 + 0.1 * MatrixHat2[0], -0.09 + 0.1 * MatrixHat2[1], 0.1 * MatrixHat2[2], 0.09 + 0.1 * MatrixHat2[3], 0.1 * MatrixHat2[4], 0.09 });
        // HeavyBall: m1 = h1, p1 = p - 0.1 h1;  m2 = h2 + 0.9 h1, p2 = p1 - 0.1 m2
        //      entry 0: m2 = 0.894427191 + 0.9 = 1.794427191, p2 = 0.9 - 0.1794427191 = 0.7205572809
        yield return new TestCaseData(MomentumKind.HeavyBall,
            new[] { 0.9, 2.1, 3.0, 3.9, 5.0, 5.9 },
            new[] { 0.7205572809000085, 2.1452786404500044, 3.044721359549996, 3.8807106781186547, 4.975746437496367, 5.8100000000000005 },
            new[] { MatrixHat2[0] + 0.9, MatrixHat2[1] - 0.9, MatrixHat2[2], MatrixHat2[3] + 0.9, MatrixHat2[4], 0.9 });
        // Nesterov: m1 = h1, update1 = h1 + 0.9 m1 = 1.9 h1, p1 = p - 0.19 h1 = [0.81, 2.19, 3, 3.81, 5, 5.81]
        //      m2 = h2 + 0.9 h1, update2 = h2 + 0.9 m2 = 1.9 h2 + 0.81 h1, p2 = p1 - 0.1 update2
        //      entry 0: update2 = 1.9*0.894427191 + 0.81 = 2.509411663, p2 = 0.81 - 0.2509411663 = 0.5590588337
        yield return new TestCaseData(MomentumKind.Nesterov,
            new[] { 0.81, 2.19, 3.0, 3.81, 5.0, 5.81 },
            new[] { 0.559058833710016, 2.186029416855008, 3.084970583144992, 3.863350288425444, 4.9539182312430965, 5.728999999999999 },
            new[] { MatrixHat2[0] + 0.9, MatrixHat2[1] - 0.9, MatrixHat2[2], MatrixHat2[3] + 0.9, MatrixHat2[4], 0.9 });
    }

    [TestCaseSource(nameof(MatrixCases))]
    public void Matrix_TwoSteps_MatchHandComputation(MomentumKind kind, double[] p1, double[] p2, double[]? m2)
    {
        var p = Param(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        using var opt = new Sm3([p], new Sm3Options { Lr = 0.1, Momentum = 0.9, MomentumKind = kind });
        var state = opt.State(p);

        p.Grad = Tensor.FromArray(new double[,] { { 1, -2, 0 }, { 0.5, 0, 3 } });
        opt.Step();
        Check.Close(p, [2, 3], p1, atol: 1e-15, rtol: 1e-12);
        Check.Close(state["accumulator_0"], [2], [4, 9], atol: 0, rtol: 1e-12);
        Check.Close(state["accumulator_1"], [3], [1, 4, 9], atol: 0, rtol: 1e-12);

        p.Grad = Tensor.FromArray(new double[,] { { 2, 1, -1 }, { -1, 0.5, 0 } });
        opt.Step();
        Check.Close(p, [2, 3], p2, atol: 1e-15, rtol: 1e-12);
        Check.Close(state["accumulator_0"], [2], [5, 9], atol: 0, rtol: 1e-12);
        Check.Close(state["accumulator_1"], [3], [5, 5, 9], atol: 0, rtol: 1e-12);
        if (m2 is null) Assert.That(state.Has("momentum"), Is.False, "MomentumKind.None keeps no buffer");
        else Check.Close(state["momentum"], [2, 3], m2, atol: 1e-15, rtol: 1e-12);
    }

    // A vector p = [1, -1, 2], lr 0.1, mu 0.9, a plain Adagrad accumulator a:
    // t=1, g = [0.5, 0, -2]: a = [0.25, 0, 4], g_hat = [0.5/0.5, 0 (a = 0), -2/2] = [1, 0, -1]
    // t=2, g = [1, 3, 0]:    a = [0.25+1, 0+9, 4+0] = [1.25, 9, 4], g_hat = [1/sqrt1.25, 3/3, 0/2] = [0.894427191, 1, 0]
    private static IEnumerable<TestCaseData> VectorCases()
    {
        // None: p1 = [0.9, -1, 2.1]; p2 = p1 - 0.1 h2 = [0.9 - 0.0894427191, -1.1, 2.1]
        yield return new TestCaseData(MomentumKind.None, new[] { 0.9, -1.0, 2.1 }, new[] { 0.8105572809000084, -1.1, 2.1 });
        // Ema: p1 = p - 0.01 h1 = [0.99, -1, 2.01]; m2 = 0.09 h1 + 0.1 h2 = [0.1794427191, 0.1, -0.09]
        //      p2 = [0.99 - 0.01794427191, -1 - 0.01, 2.01 + 0.009] = [0.97205572809, -1.01, 2.019]
        yield return new TestCaseData(MomentumKind.Ema, new[] { 0.99, -1.0, 2.01 }, new[] { 0.9720557280900008, -1.01, 2.0189999999999997 });
        // HeavyBall: p1 = [0.9, -1, 2.1]; m2 = h2 + 0.9 h1 = [1.794427191, 1, -0.9]; p2 = [0.7205572809, -1.1, 2.19]
        yield return new TestCaseData(MomentumKind.HeavyBall, new[] { 0.9, -1.0, 2.1 }, new[] { 0.7205572809000085, -1.1, 2.19 });
        // Nesterov: p1 = p - 0.19 h1 = [0.81, -1, 2.19]; update2 = 1.9 h2 + 0.81 h1 = [2.509411663, 1.9, -0.81]
        //           p2 = [0.81 - 0.2509411663, -1 - 0.19, 2.19 + 0.081] = [0.5590588337, -1.19, 2.271]
        yield return new TestCaseData(MomentumKind.Nesterov, new[] { 0.81, -1.0, 2.19 }, new[] { 0.559058833710016, -1.19, 2.271 });
    }

    [TestCaseSource(nameof(VectorCases))]
    public void Vector_TwoSteps_MatchHandComputation(MomentumKind kind, double[] p1, double[] p2)
    {
        var p = Param(1.0, -1.0, 2.0);
        using var opt = new Sm3([p], new Sm3Options { Lr = 0.1, Momentum = 0.9, MomentumKind = kind });
        var state = opt.State(p);

        p.Grad = Tensor.FromArray(new double[] { 0.5, 0, -2 });
        opt.Step();
        Check.Close(p, [3], p1, atol: 1e-15, rtol: 1e-12);
        Check.Close(state["accumulator"], [3], [0.25, 0, 4], atol: 0, rtol: 1e-12);

        p.Grad = Tensor.FromArray(new double[] { 1, 3, 0 });
        opt.Step();
        Check.Close(p, [3], p2, atol: 1e-15, rtol: 1e-12);
        Check.Close(state["accumulator"], [3], [1.25, 9, 4], atol: 0, rtol: 1e-12);
    }

    [Test]
    public void Scalar_UsesAnAdagradAccumulator()
    {
        var p = Tensor.Scalar(1.0, DType.Float64).RequireGrad();
        using var opt = new Sm3([p], new Sm3Options { Lr = 0.1, MomentumKind = MomentumKind.None });
        // t=1, g = 2: a = 4, g_hat = 2/2 = 1, p = 1 - 0.1 = 0.9
        // t=2, g = -1: a = 4 + 1 = 5, g_hat = -1/sqrt5 = -0.4472135955, p = 0.9 + 0.04472135955 = 0.94472135955
        p.Grad = Tensor.Scalar(2.0, DType.Float64);
        opt.Step();
        p.Grad = Tensor.Scalar(-1.0, DType.Float64);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.9 + 0.1 / Math.Sqrt(5)).Within(1e-12));
        Assert.That(opt.State(p)["accumulator"].Item<double>(), Is.EqualTo(5.0));
    }

    // Weight decay 0.1 on p = [1, -2] with heavy-ball momentum 0.9 and lr 0.1; g1 = [0.5, 0], g2 = [-1, 2].
    private static IEnumerable<TestCaseData> DecayCases()
    {
        // Preconditioned: u = g_hat + wd p, then momentum.
        //   t=1: a = [0.25, 0], g_hat = [1, 0], u = [1 + 0.1, 0 - 0.2] = [1.1, -0.2], m = u, p = [1 - 0.11, -2 + 0.02] = [0.89, -1.98]
        //   t=2: a = [1.25, 4], g_hat = [-1/sqrt1.25, 2/2] = [-0.894427191, 1], u = g_hat + 0.1 p = [-0.805427191, 0.802]
        //        m = u + 0.9 m = [-0.805427191 + 0.99, 0.802 - 0.18] = [0.184572809, 0.622], p = [0.89 - 0.0184572809, -1.98 - 0.0622]
        yield return new TestCaseData(Sm3WeightDecay.Preconditioned, new[] { 0.89, -1.98 }, new[] { 0.8715427190999916, -2.0422 });
        // Decoupled: m from g_hat alone, p = p - lr (m + wd p).
        //   t=1: m = [1, 0], p = [1 - 0.1*(1 + 0.1), -2 - 0.1*(0 - 0.2)] = [0.89, -1.98]
        //   t=2: m = g_hat + 0.9 m = [-0.894427191 + 0.9, 1] = [0.005572809, 1]
        //        p = [0.89 - 0.1*(0.005572809 + 0.089), -1.98 - 0.1*(1 - 0.198)] = [0.8805427191, -2.0602]
        yield return new TestCaseData(Sm3WeightDecay.Decoupled, new[] { 0.89, -1.98 }, new[] { 0.8805427190999916, -2.0602 });
        // Gradient: g = g + wd p before the accumulator.
        //   t=1: g = [0.5 + 0.1, 0 - 0.2] = [0.6, -0.2], a = [0.36, 0.04], g_hat = [1, -1], m = g_hat, p = [0.9, -1.9]
        //   t=2: g = [-1 + 0.09, 2 - 0.19] = [-0.91, 1.81], a = [0.36 + 0.8281, 0.04 + 3.2761] = [1.1881, 3.3161]
        //        g_hat = [-0.91/1.09, 1.81/sqrt3.3161] = [-0.8348623853, 0.9939505207]
        //        m = g_hat + 0.9 m = [0.0651376147, 0.0939505207], p = [0.9 - 0.00651376147, -1.9 - 0.00939505207]
        yield return new TestCaseData(Sm3WeightDecay.Gradient, new[] { 0.9, -1.9 }, new[] { 0.8934862385321101, -1.909395052069322 });
    }

    [TestCaseSource(nameof(DecayCases))]
    public void WeightDecay_TwoSteps_MatchHandComputation(Sm3WeightDecay where, double[] p1, double[] p2)
    {
        var p = Param(1.0, -2.0);
        using var opt = new Sm3([p], new Sm3Options { Lr = 0.1, Momentum = 0.9, MomentumKind = MomentumKind.HeavyBall, WeightDecay = 0.1, WeightDecayKind = where });
        p.Grad = Tensor.FromArray(new double[] { 0.5, 0 });
        opt.Step();
        Check.Close(p, [2], p1, atol: 1e-15, rtol: 1e-12);
        p.Grad = Tensor.FromArray(new double[] { -1, 2 });
        opt.Step();
        Check.Close(p, [2], p2, atol: 1e-15, rtol: 1e-12);
    }

    // ---- A = 0, monotone accumulators, the cover, rank 3 ----

    [TestCase(MomentumKind.None)]
    [TestCase(MomentumKind.Ema)]
    [TestCase(MomentumKind.HeavyBall)]
    [TestCase(MomentumKind.Nesterov)]
    public void ZeroAccumulatorEntries_GiveZeroNotNaN(MomentumKind kind)
    {
        // Row 0 and column 0 never get a gradient: A = [[0, 0], [0, 1]] then [[0, 0], [0, 2]]; the zeros stay 0/0 -> 0.
        var p = Param(new double[,] { { 1, 2 }, { 3, 4 } });
        using var opt = new Sm3([p], new Sm3Options { Lr = 0.1, MomentumKind = kind });
        for (int t = 0; t < 2; t++)
        {
            p.Grad = Tensor.FromArray(new double[,] { { 0, 0 }, { 0, 1 } });
            opt.Step();
        }
        var v = Check.Values(p);
        Assert.That(v.Any(double.IsNaN), Is.False, "no NaN");
        Assert.That(v[..3], Is.EqualTo(new[] { 1.0, 2.0, 3.0 }), "entries with A = 0 do not move");
        Assert.That(v[3], Is.LessThan(4.0), "the entry with a gradient does");
        Check.Close(opt.State(p)["accumulator_0"], [2], [0, 2], atol: 0, rtol: 1e-12);
        Check.Close(opt.State(p)["accumulator_1"], [2], [0, 2], atol: 0, rtol: 1e-12);
    }

    [TestCase(MomentumKind.None)]
    [TestCase(MomentumKind.Ema)]
    [TestCase(MomentumKind.HeavyBall)]
    [TestCase(MomentumKind.Nesterov)]
    public void AllZeroGradient_GivesAZeroUpdate(MomentumKind kind)
    {
        var w = Param(new double[,] { { 1, -2, 3 }, { 0.5, 0, -1 } });
        var b = Param(0.25, -0.75);
        var s = Tensor.Scalar(2.0, DType.Float64).RequireGrad();
        Tensor[] ps = [w, b, s];
        var before = ps.Select(Check.Values).ToArray();
        using var opt = new Sm3(ps, new Sm3Options { MomentumKind = kind });
        for (int t = 0; t < 3; t++)
        {
            foreach (var p in ps) p.Grad = Tensor.ZerosLike(p);
            opt.Step();
        }
        for (int i = 0; i < ps.Length; i++)
        {
            Assert.That(Check.Values(ps[i]), Is.EqualTo(before[i]), $"parameter {i} moved (or went NaN)");
            foreach (var (name, buffer) in opt.State(ps[i]).Buffers)
                Assert.That(Check.Values(buffer), Is.All.EqualTo(0.0), $"parameter {i}'s {name}");
        }
    }

    [Test]
    public void Accumulators_NeverDecrease_AndCoverAdagradsSums()
    {
        var gen = new Generator(3);
        var p = Tensor.Randn([3, 4], gen, DType.Float64).RequireGrad();
        using var opt = new Sm3([p]);
        var state = opt.State(p);
        var sums = new double[12]; // Adagrad's sum of g^2 per entry
        var (rows, cols) = (new double[3], new double[4]);
        for (int t = 0; t < 20; t++)
        {
            // Gradients of very different sizes from step to step, some rows zero, to stress the min/max.
            using var g = Tensor.Randn([3, 4], gen, DType.Float64) * (t % 3 == 0 ? 5.0 : 0.1);
            if (t % 4 == 1) g[1] = Tensor.Zeros([4], DType.Float64);
            p.Grad = g.Clone();
            var gv = Check.Values(g);
            for (int k = 0; k < 12; k++) sums[k] += gv[k] * gv[k];
            opt.Step();
            var (r, c) = (Check.Values(state["accumulator_0"]), Check.Values(state["accumulator_1"]));
            for (int i = 0; i < 3; i++) Assert.That(r[i], Is.GreaterThanOrEqualTo(rows[i]), $"step {t}: row {i} decreased");
            for (int j = 0; j < 4; j++) Assert.That(c[j], Is.GreaterThanOrEqualTo(cols[j]), $"step {t}: column {j} decreased");
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++)
                    Assert.That(Math.Min(r[i], c[j]), Is.GreaterThanOrEqualTo(sums[i * 4 + j] * (1 - 1e-12)), $"step {t}: ({i}, {j}) is not covered");
            (rows, cols) = (r, c);
        }
        Assert.That(rows.Max(), Is.GreaterThan(0));
    }

    [Test]
    public void Rank3_MatchesANaiveLoop()
    {
        // One accumulator per axis: A[i,j,k] = min(a0[i], a1[j], a2[k]) + g^2, a0[i] = max over (j, k) of A, and so on.
        int[] n = [2, 3, 4];
        var gen = new Generator(11);
        var p = Tensor.Randn(n, gen, DType.Float64).RequireGrad();
        var expected = Check.Values(p);
        double lr = 0.05;
        using var opt = new Sm3([p], new Sm3Options { Lr = lr, MomentumKind = MomentumKind.None });
        var acc = n.Select(d => new double[d]).ToArray();
        for (int t = 0; t < 3; t++)
        {
            using var g = Tensor.Randn(n, gen, DType.Float64);
            p.Grad = g.Clone();
            var gv = Check.Values(g);
            var A = new double[gv.Length];
            for (int i = 0; i < n[0]; i++)
                for (int j = 0; j < n[1]; j++)
                    for (int k = 0; k < n[2]; k++)
                    {
                        int x = (i * n[1] + j) * n[2] + k;
                        A[x] = Math.Min(acc[0][i], Math.Min(acc[1][j], acc[2][k])) + gv[x] * gv[x];
                        expected[x] -= lr * (A[x] == 0 ? 0 : gv[x] / Math.Sqrt(A[x]));
                    }
            acc = n.Select(d => new double[d]).ToArray();
            for (int i = 0; i < n[0]; i++)
                for (int j = 0; j < n[1]; j++)
                    for (int k = 0; k < n[2]; k++)
                    {
                        double a = A[(i * n[1] + j) * n[2] + k];
                        acc[0][i] = Math.Max(acc[0][i], a);
                        acc[1][j] = Math.Max(acc[1][j], a);
                        acc[2][k] = Math.Max(acc[2][k], a);
                    }
            opt.Step();
        }
        Check.Close(p, n, expected, atol: 1e-14, rtol: 1e-12);
        for (int a = 0; a < 3; a++) Check.Close(opt.State(p)[$"accumulator_{a}"], [n[a]], acc[a], atol: 0, rtol: 1e-12);
    }

    [Test]
    public void EmptyParameter_StepsWithoutError()
    {
        var p = Tensor.Zeros([0, 3], DType.Float64).RequireGrad();
        var q = Param(1.0);
        using var opt = new Sm3([p, q], new Sm3Options { MomentumKind = MomentumKind.None });
        p.Grad = Tensor.Zeros([0, 3], DType.Float64);
        q.Grad = Tensor.FromArray(new double[] { 2.0 });
        opt.Step();
        // q: a = 4, g_hat = 1, q = 1 - 0.1
        Assert.That(q.Item<double>(), Is.EqualTo(0.9).Within(1e-12));
        Assert.That(opt.State(p)["accumulator_1"].Shape, Is.EqualTo(new[] { 3 }));
    }

    // ---- state size ----

    [TestCase(MomentumKind.Ema, 4 * (3 + 5 + 15 + 7 + 7 + 1 + 1))]
    [TestCase(MomentumKind.Nesterov, 4 * (3 + 5 + 15 + 7 + 7 + 1 + 1))]
    [TestCase(MomentumKind.None, 4 * (3 + 5 + 7 + 1))]
    public void StateBytes_IsNPlusMPerMatrix_PlusMomentum(MomentumKind kind, int bytes)
    {
        // A [3, 5] matrix: 3 + 5 accumulator floats (+ 15 momentum); a [7] vector: 7 (+ 7); a scalar: 1 (+ 1).
        var w = Tensor.Zeros([3, 5], DType.Float32).RequireGrad();
        var b = Tensor.Zeros([7], DType.Float32).RequireGrad();
        var s = Tensor.Zeros([], DType.Float32).RequireGrad();
        using var opt = new Sm3([w, b, s], new Sm3Options { MomentumKind = kind });
        Assert.That(opt.StateBytes(), Is.EqualTo(bytes));
        Assert.That(opt.State(w)["accumulator_0"].Shape, Is.EqualTo(new[] { 3 }));
        Assert.That(opt.State(w)["accumulator_1"].Shape, Is.EqualTo(new[] { 5 }));
    }

    [Test]
    public void StateBytes_Rank3_IsTheSumOfItsAxes()
    {
        var p = Tensor.Zeros([2, 3, 4], DType.Float32).RequireGrad();
        using var opt = new Sm3([p], new Sm3Options { MomentumKind = MomentumKind.None });
        Assert.That(opt.StateBytes(), Is.EqualTo(4 * (2 + 3 + 4)));
    }

    // ---- convergence ----

    // An EMA's step is (1 - mu) of a heavy ball's, so it wants lr about 1/(1 - mu) = 10x larger.
    [TestCase(MomentumKind.Ema, 0.5)]
    [TestCase(MomentumKind.HeavyBall, 0.1)]
    [TestCase(MomentumKind.Nesterov, 0.1)]
    [TestCase(MomentumKind.None, 0.5)]
    public void Quadratic_DropsBelowATenthOfItsStart(MomentumKind kind, double lr)
    {
        var x = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        using var opt = new Sm3([x], new Sm3Options { Lr = lr, MomentumKind = kind });
        var (start, end) = LionTests.Minimise(opt, x, LionTests.Quadratic, 50);
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    [TestCase(MomentumKind.Ema, 1.0, 500)]
    [TestCase(MomentumKind.HeavyBall, 0.1, 500)]
    [TestCase(MomentumKind.Nesterov, 0.1, 500)]
    [TestCase(MomentumKind.None, 1.0, 2000)]
    public void Rosenbrock_DropsBelowATenthOfItsStart(MomentumKind kind, double lr, int steps)
    {
        var p = Param(-1.5, 2.0);
        using var opt = new Sm3([p], new Sm3Options { Lr = lr, MomentumKind = kind });
        var (start, end) = LionTests.Minimise(opt, p, LionTests.Rosenbrock, steps);
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    // ---- state dicts ----

    private static Tensor[] FreshParameters()
    {
        var g = new Generator(5);
        return [Tensor.Randn([4, 3], g).RequireGrad(), Tensor.Randn([3], g).RequireGrad(), Tensor.Randn([2, 3, 2], g).RequireGrad(), Tensor.Randn([], g).RequireGrad()];
    }


    private static readonly Sm3Options Saved = new() { Lr = 0.05, Momentum = 0.8, MomentumKind = MomentumKind.Nesterov, WeightDecay = 0.01, WeightDecayKind = Sm3WeightDecay.Decoupled };

    [Test]
    public void StateDict_RoundTrip_ContinuesBitForBit()
    {
        var straight = FreshParameters();
        var resumed = LionTests.CloneParameters(straight);
        using (var opt = new Sm3(straight, Saved)) LionTests.Steps(opt, straight, 10);

        using var first = new Sm3(resumed, Saved);
        LionTests.Steps(first, resumed, 5);
        using var snapshot = first.StateDict();
        Assert.That(snapshot.Tensors.Keys, Is.SupersetOf(new[] { "0.accumulator_0", "0.accumulator_1", "0.momentum", "1.accumulator", "2.accumulator_2", "3.accumulator" }));
        var moved = LionTests.CloneParameters(resumed);
        using var second = new Sm3(moved, Saved);
        second.LoadStateDict(snapshot);
        LionTests.Steps(second, moved, 5);
        LionTests.AssertSame(straight, moved);
    }

    [Test]
    public void StateDict_RoundTripThroughAFile_ContinuesBitForBit()
    {
        var straight = FreshParameters();
        var resumed = LionTests.CloneParameters(straight);
        using (var opt = new Sm3(straight, Saved)) LionTests.Steps(opt, straight, 10);

        string path = Path.Combine(Path.GetTempPath(), $"sm3-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var first = new Sm3(resumed, Saved))
            {
                LionTests.Steps(first, resumed, 5);
                using var snapshot = first.StateDict();
                snapshot.Save(path);
            }
            var moved = LionTests.CloneParameters(resumed);
            // Made with the same momentum kind (the buffers must match), other options at their defaults: the file restores them.
            using var second = new Sm3(moved, new Sm3Options { MomentumKind = MomentumKind.Nesterov });
            using (var loaded = OptimizerState.Load(path)) second.LoadStateDict(loaded);
            Assert.That(second.ParamGroups[0].Options, Is.EqualTo(Saved));
            LionTests.Steps(second, moved, 5);
            LionTests.AssertSame(straight, moved);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void LoadStateDict_TakesTheMomentumKindAndItsBuffersFromTheSnapshot()
    {
        var p = Tensor.Zeros([2, 2], DType.Float32).RequireGrad();
        using var none = new Sm3([p], new Sm3Options { MomentumKind = MomentumKind.None });
        using var snapshot = none.StateDict();
        var q = Tensor.Zeros([2, 2], DType.Float32).RequireGrad();
        using var ema = new Sm3([q]);
        // The snapshot's options (None) decide which buffers are made, so a snapshot without "momentum" loads and drops it.
        ema.LoadStateDict(snapshot);
        Assert.That(ema.State(q).Has("momentum"), Is.False);
        Assert.That(ema.ParamGroups[0].Options, Is.EqualTo(new Sm3Options { MomentumKind = MomentumKind.None }));
    }

    [Test]
    public void OpenCL_MatchesTheCpu()
    {
        var device = Device.OpenCL(0);
        TestDevices.Require(device);
        var cpu = FreshParameters();
        var cl = cpu.Select(p => p.Detach().To(device).RequireGrad()).ToArray();
        foreach (var ps in new[] { cpu, cl })
            using (var opt = new Sm3(ps, Saved)) LionTests.Steps(opt, ps, 5);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.That(cl[i].Device, Is.EqualTo(device));
            Check.Close(cl[i], cpu[i].Shape, Check.Values(cpu[i]), atol: 1e-5, rtol: 1e-5);
        }
    }

    // ---- bad options ----

    private static IEnumerable<TestCaseData> BadOptions()
    {
        yield return new TestCaseData(new Sm3Options { Lr = -0.1 }, "Lr").SetName("Lr negative");
        yield return new TestCaseData(new Sm3Options { Lr = double.NaN }, "Lr").SetName("Lr NaN");
        yield return new TestCaseData(new Sm3Options { WeightDecay = -1 }, "WeightDecay").SetName("WeightDecay negative");
        yield return new TestCaseData(new Sm3Options { WeightDecay = double.PositiveInfinity }, "WeightDecay").SetName("WeightDecay infinite");
        yield return new TestCaseData(new Sm3Options { Momentum = 1.0 }, "Momentum").SetName("Momentum one");
        yield return new TestCaseData(new Sm3Options { Momentum = -0.5 }, "Momentum").SetName("Momentum negative");
        yield return new TestCaseData(new Sm3Options { Momentum = double.NaN }, "Momentum").SetName("Momentum NaN");
        yield return new TestCaseData(new Sm3Options { MomentumKind = (MomentumKind)7 }, "MomentumKind").SetName("MomentumKind undefined");
        yield return new TestCaseData(new Sm3Options { WeightDecayKind = (Sm3WeightDecay)(-1) }, "WeightDecayKind").SetName("WeightDecayKind undefined");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void BadOptions_ThrowNamingSm3AndTheField(Sm3Options options, string field)
    {
        var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Sm3([p], options));
        Assert.That(e!.Message, Does.Contain("Sm3").And.Contain(field));
    }
}
