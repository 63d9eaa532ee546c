// Forward values of the composite functions (Functional) against hand-derived numbers, naive loops and the fused
// kernels, plus their bad-input messages. Gradients are in FunctionalTests.Gradients.cs.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Tests.Tensors;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

public partial class FunctionalTests
{
    private static readonly double Log3 = Math.Log(3);
    // log(1 + e^-1 + e^-2): logsumexp(1, 2, 3) - 3.
    private static readonly double L123 = Math.Log(1 + Math.Exp(-1) + Math.Exp(-2));

    /// <summary>Row 0 = [0, 0, 0], row 1 = [1, 2, 3]: log p = -log 3 everywhere in row 0, lse(row 1) = 3 + L123.</summary>
    private static Tensor Logits2x3(DType dtype = DType.Float64) =>
        Tensor.FromArray(new double[,] { { 0, 0, 0 }, { 1, 2, 3 } }).To(dtype);

    private static Tensor Labels(params int[] v) => Tensor.FromArray(v);

    // ---- activations ----

    [TestCase("none")]
    [TestCase("tanh")]
    public void GeluComposite_MatchesFusedGelu(string approximate)
    {
        using var x64 = Tensor.Linspace(-8, 8, 1001, DType.Float64);
        Check.Close(F.GeluComposite(x64, approximate), [1001], Check.Values(x64.Gelu(approximate)), atol: 1e-12, rtol: 1e-12);
        // Float32: the fused float erf has ~4e-7 absolute error, times |x| / 2 at most.
        using var x32 = Tensor.Linspace(-8, 8, 1001, DType.Float32);
        Check.Close(F.GeluComposite(x32, approximate), [1001], Check.Values(x32.Gelu(approximate)), atol: 2e-6, rtol: 1e-6);
    }

    [Test]
    public void GeluComposite_HandValues()
    {
        // exact: gelu(1) = 0.5 (1 + erf(1/sqrt 2)) = 0.8413447460685429; gelu(-1) = -(1 - 0.8413447...) = -0.15865525393145707.
        // tanh: gelu(1) = 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411919906082768.
        Check.Close(F.GeluComposite(Check.D(0, 1, -1)), [3], [0, 0.8413447460685429, -0.15865525393145707], atol: 1e-15);
        Check.Close(F.GeluComposite(Check.D(1), "tanh"), [1], [0.8411919906082768], atol: 1e-15);
    }

    [Test]
    public void SiluComposite_MatchesFusedSiluAndHandValue()
    {
        using var x64 = Tensor.Linspace(-20, 20, 1001, DType.Float64);
        Check.Close(F.SiluComposite(x64), [1001], Check.Values(x64.Silu()), atol: 1e-12, rtol: 1e-12);
        using var x32 = Tensor.Linspace(-20, 20, 1001, DType.Float32);
        Check.Close(F.SiluComposite(x32), [1001], Check.Values(x32.Silu()), atol: 1e-6, rtol: 1e-6);
        // silu(1) = 1 / (1 + e^-1) = 0.7310585786300049.
        Check.Close(F.SiluComposite(Check.D(1)), [1], [0.7310585786300049], atol: 1e-15);
    }

    // ---- cross entropy ----

    [TestCase(true)]
    [TestCase(false)]
    public void CrossEntropy_2x3_MeanSumNone(bool fused)
    {
        // Labels [1, 2]: row 0 loses -log(1/3) = log 3; row 1 loses lse - x_2 = 3 + L123 - 3 = L123.
        using var x = Logits2x3();
        using var y = Labels(1, 2);
        Check.Close(F.CrossEntropy(x, y, fused: fused), [], [(Log3 + L123) / 2], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, reduction: "sum", fused: fused), [], [Log3 + L123], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, reduction: "none", fused: fused), [2], [Log3, L123], atol: 1e-14);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void CrossEntropy_LabelSmoothing_MatchesPyTorchFormula(bool fused)
    {
        // eps = 0.1: loss = 0.9 (-log p[y]) + 0.1 mean_c(-log p[c]).
        // Row 0: every -log p is log 3, so the loss stays log 3.
        // Row 1: -log p[c] = lse - x_c with lse = 3 + L123; mean_c = lse - 2, so 0.9 (lse - 3) + 0.1 (lse - 2) = L123 + 0.1.
        using var x = Logits2x3();
        using var y = Labels(1, 2);
        Check.Close(F.CrossEntropy(x, y, labelSmoothing: 0.1, reduction: "none", fused: fused), [2], [Log3, L123 + 0.1], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, labelSmoothing: 0.1, fused: fused), [], [(Log3 + L123 + 0.1) / 2], atol: 1e-14);
        // eps = 1: the target is uniform, the loss is mean_c(-log p[c]) whatever the label: row 1 gives L123 + 1.
        Check.Close(F.CrossEntropy(x, Labels(0, 0), labelSmoothing: 1, reduction: "none", fused: fused), [2], [Log3, L123 + 1], atol: 1e-14);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void CrossEntropy_IgnoreIndex_ContributesNothingAndIsNotCounted(bool fused)
    {
        using var x = Logits2x3();
        // Row 1 ignored: mean over the one remaining row = log 3 (not log 3 / 2).
        Check.Close(F.CrossEntropy(x, Labels(1, -100), fused: fused), [], [Log3], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, Labels(1, -100), labelSmoothing: 0.3, fused: fused), [], [Log3], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, Labels(1, -100), reduction: "sum", fused: fused), [], [Log3], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, Labels(-100, 2), reduction: "none", fused: fused), [2], [0, L123], atol: 1e-14);
        // A custom ignore index that is also a valid class: label 2 is skipped.
        Check.Close(F.CrossEntropy(x, Labels(1, 2), ignoreIndex: 2, fused: fused), [], [Log3], atol: 1e-14);
        // Every row ignored: 0 / 0 = NaN for "mean" (as PyTorch), 0 for "sum".
        Check.Close(F.CrossEntropy(x, Labels(-100, -100), fused: fused), [], [double.NaN]);
        Check.Close(F.CrossEntropy(x, Labels(-100, -100), reduction: "sum", fused: fused), [], [0]);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void CrossEntropy_ClassDimOne_AndUnbatched_MatchTheFlatForm(bool fused)
    {
        // logits [N=2, C=3, d=2]: sample (n, j) uses logits[n, :, j]. Built so that column j of sample 0 is row j of Logits2x3.
        using var flat = Logits2x3();                                       // [2, 3]
        using var x = Tensor.Stack([flat, flat * 2], 0).Permute(0, 2, 1);   // [2, 2, 3] -> [2, 3, 2]
        using var y = Tensor.FromArray(new int[,] { { 1, 2 }, { 0, -100 } }); // [2, 2]
        // Sample (0,0): [0,0,0] label 1 -> log 3. (0,1): [1,2,3] label 2 -> L123. (1,0): [0,0,0] label 0 -> log 3. (1,1) ignored.
        Check.Close(F.CrossEntropy(x, y, reduction: "none", fused: fused), [2, 2], [Log3, L123, Log3, 0], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, fused: fused), [], [(2 * Log3 + L123) / 3], atol: 1e-14);
        // One sample: logits [C], a scalar label.
        using var row = Check.D(1, 2, 3);
        using var label = Tensor.FromArray(new[] { 2 }, []);
        Check.Close(F.CrossEntropy(row, label, reduction: "none", fused: fused), [], [L123], atol: 1e-14);
    }

    [Test]
    public void CrossEntropy_Float32_LargeLogitsStayFinite()
    {
        // A stable log-softmax: logits of 1000 would overflow exp. Shifted by 1000, row 1 is Logits2x3's row 1.
        using var x = Tensor.FromArray(new float[,] { { 1000, 1000, 1000 }, { 1001, 1002, 1003 } });
        foreach (bool fused in new[] { true, false })
            Check.Close(F.CrossEntropy(x, Labels(1, 2), reduction: "none", fused: fused), [2], [Log3, L123], atol: 1e-4);
    }

    // ---- norms, mse, z-loss ----

    [Test]
    public void LayerNorm_RowsHaveMeanZeroAndBiasedVarianceOne()
    {
        // Row [1, 2, 3, 4]: mean 2.5, biased var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, so y = (x - 2.5) / sqrt(1.25).
        using var x = Tensor.FromArray(new double[,] { { 1, 2, 3, 4 }, { -3, 0, 0, 3 } });
        var s = Math.Sqrt(1.25);
        // Row 2: mean 0, var 18 / 4 = 4.5.
        var t = Math.Sqrt(4.5);
        using var y = F.LayerNorm(x, eps: 0);
        Check.Close(y, [2, 4], [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, -3 / t, 0, 0, 3 / t], atol: 1e-14);
        Check.Close(y.Mean(-1), [2], [0, 0], atol: 1e-14);
        Check.Close(y.Var(-1, correction: 0), [2], [1, 1], atol: 1e-14);
        // eps enters under the root: var(y) = 1.25 / (1.25 + eps) with the default eps 1e-5.
        Check.Close(F.LayerNorm(x).Var(-1, correction: 0), [2], [1.25 / (1.25 + 1e-5), 4.5 / (4.5 + 1e-5)], atol: 1e-14);
    }

    [Test]
    public void LayerNorm_AppliesWeightThenBiasPerFeature()
    {
        using var x = Check.D(1, 2, 3, 4);
        using var w = Check.D(1, 2, -1, 0);
        using var b = Check.D(10, 0, 0, 5);
        var s = Math.Sqrt(1.25);
        // [-1.5, -0.5, 0.5, 1.5] / s, times w, plus b.
        Check.Close(F.LayerNorm(x, w, b, eps: 0), [4], [10 - 1.5 / s, -1 / s, -0.5 / s, 5], atol: 1e-14);
        Check.Close(F.LayerNorm(x, null, b, eps: 0), [4], [10 - 1.5 / s, -0.5 / s, 0.5 / s, 5 + 1.5 / s], atol: 1e-14);
    }

    [Test]
    public void RmsNorm_ScalesByTheRootMeanSquare()
    {
        // [3, 4]: mean(x^2) = (9 + 16) / 2 = 12.5, rms = sqrt(12.5) = 3.5355...; no mean is subtracted.
        using var x = Tensor.FromArray(new double[,] { { 3, 4 }, { -1, 1 } });
        var r = Math.Sqrt(12.5);
        Check.Close(F.RmsNorm(x, eps: 0), [2, 2], [3 / r, 4 / r, -1, 1], atol: 1e-14);
        using var w = Check.D(2, 0.5);
        Check.Close(F.RmsNorm(x, w, eps: 0), [2, 2], [6 / r, 2 / r, -2, 0.5], atol: 1e-14);
        // Default eps 1e-6: row 2 has mean(x^2) = 1, so y = x / sqrt(1 + 1e-6).
        Check.Close(F.RmsNorm(x).Narrow(0, 1, 1), [1, 2], [-1 / Math.Sqrt(1 + 1e-6), 1 / Math.Sqrt(1 + 1e-6)], atol: 1e-15);
    }

    [Test]
    public void Mse_Reductions()
    {
        // (a - b)^2 = [1, 4, 0, 9]: mean 3.5, sum 14.
        using var a = Check.D(1, 2, 3, 4);
        using var b = Check.D(0, 4, 3, 7);
        Check.Close(F.Mse(a, b), [], [3.5]);
        Check.Close(F.Mse(a, b, "sum"), [], [14]);
        Check.Close(F.Mse(a, b, "none"), [4], [1, 4, 0, 9]);
    }

    [Test]
    public void ZLoss_IsCoefficientTimesMeanSquaredLogSumExp()
    {
        // Row 0: lse(0, 0, 0) = log 3; row 1: lse = 3 + L123. z = 1e-4 * (log^2 3 + (3 + L123)^2) / 2.
        using var x = Logits2x3();
        Check.Close(F.ZLoss(x), [], [1e-4 * (Log3 * Log3 + (3 + L123) * (3 + L123)) / 2], atol: 1e-16);
        Check.Close(F.ZLoss(x, 0.5), [], [0.5 * (Log3 * Log3 + (3 + L123) * (3 + L123)) / 2], atol: 1e-13);
    }

    // ---- attention ----

    /// <summary>
    /// Attention as three loops per (batch, query): scores, a max-shifted softmax over the visible keys, the weighted
    /// sum of values. Shapes [B, T, D] flattened row-major; keep(b, i, j) says whether query i may see key j.
    /// </summary>
    private static double[] NaiveAttention(double[] q, double[] k, double[] v, int B, int Tq, int Tk, int D, int Dv,
                                           double scale, Func<int, int, int, bool> keep)
    {
        var o = new double[B * Tq * Dv];
        for (int b = 0; b < B; b++)
            for (int i = 0; i < Tq; i++)
            {
                var s = new double[Tk];
                double m = double.NegativeInfinity;
                for (int j = 0; j < Tk; j++)
                {
                    if (!keep(b, i, j)) { s[j] = double.NegativeInfinity; continue; }
                    double dot = 0;
                    for (int d = 0; d < D; d++) dot += q[(b * Tq + i) * D + d] * k[(b * Tk + j) * D + d];
                    s[j] = dot * scale;
                    m = Math.Max(m, s[j]);
                }
                double z = 0;
                for (int j = 0; j < Tk; j++) z += s[j] = Math.Exp(s[j] - m);
                for (int j = 0; j < Tk; j++)
                    for (int e = 0; e < Dv; e++)
                        o[(b * Tq + i) * Dv + e] += s[j] / z * v[(b * Tk + j) * Dv + e];
            }
        return o;
    }

    private static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64);

    [TestCase(false, 4, 4)]
    [TestCase(true, 4, 4)]
    [TestCase(false, 3, 5)]
    [TestCase(true, 3, 5)]
    public void Sdpa_MatchesNaiveLoops(bool causal, int Tq, int Tk)
    {
        const int B = 2, D = 3, Dv = 2;
        using var q = Randn(1, B, Tq, D);
        using var k = Randn(2, B, Tk, D);
        using var v = Randn(3, B, Tk, Dv);
        // PyTorch's is_causal: a top-left aligned lower triangle, key j visible to query i when j <= i.
        var expected = NaiveAttention(q.ToArray<double>(), k.ToArray<double>(), v.ToArray<double>(), B, Tq, Tk, D, Dv,
                                      1 / Math.Sqrt(D), (_, i, j) => !causal || j <= i);
        Check.Close(F.ScaledDotProductAttention(q, k, v, causal), [B, Tq, Dv], expected, atol: 1e-12, rtol: 1e-12);
        // An explicit scale replaces 1/sqrt(D).
        var scaled = NaiveAttention(q.ToArray<double>(), k.ToArray<double>(), v.ToArray<double>(), B, Tq, Tk, D, Dv,
                                    0.25, (_, i, j) => !causal || j <= i);
        Check.Close(F.ScaledDotProductAttention(q, k, v, causal, scale: 0.25), [B, Tq, Dv], scaled, atol: 1e-12, rtol: 1e-12);
    }

    [Test]
    public void Sdpa_BoolMaskKeepsWhereTrue_AndBroadcastsOverBatch()
    {
        const int B = 2, T = 4, D = 3;
        using var q = Randn(4, B, T, D);
        using var k = Randn(5, B, T, D);
        using var v = Randn(6, B, T, D);
        // A per-batch padding mask [B, 1, T]: batch 0 sees keys 0..3, batch 1 only keys 0..1.
        var pad = new bool[B * T];
        for (int j = 0; j < T; j++) { pad[j] = true; pad[T + j] = j < 2; }
        using var mask = Tensor.FromArray(pad, [B, 1, T]);
        var expected = NaiveAttention(q.ToArray<double>(), k.ToArray<double>(), v.ToArray<double>(), B, T, T, D, D,
                                      1 / Math.Sqrt(D), (b, _, j) => pad[b * T + j]);
        Check.Close(F.ScaledDotProductAttention(q, k, v, mask: mask), [B, T, D], expected, atol: 1e-12, rtol: 1e-12);
        // Combined with causal, both apply.
        var both = NaiveAttention(q.ToArray<double>(), k.ToArray<double>(), v.ToArray<double>(), B, T, T, D, D,
                                  1 / Math.Sqrt(D), (b, i, j) => pad[b * T + j] && j <= i);
        Check.Close(F.ScaledDotProductAttention(q, k, v, causal: true, mask: mask), [B, T, D], both, atol: 1e-12, rtol: 1e-12);
        // A float mask is added: -inf where the bool mask is false gives the same result.
        using var additive = Tensor.Where(mask, Tensor.Scalar(0.0, DType.Float64), Tensor.Scalar(double.NegativeInfinity, DType.Float64));
        Check.Close(F.ScaledDotProductAttention(q, k, v, mask: additive), [B, T, D], expected, atol: 1e-12, rtol: 1e-12);
    }

    [Test]
    public void Sdpa_FirstCausalQuery_CopiesTheFirstValue_AndFullyMaskedRowIsNaN()
    {
        using var q = Randn(7, 3, 2);
        using var k = Randn(8, 3, 2);
        using var v = Randn(9, 3, 2);
        var o = F.ScaledDotProductAttention(q, k, v, causal: true).ToArray<double>();
        var v0 = v.ToArray<double>();
        Assert.That(o[..2], Is.EqualTo(v0[..2]).Within(1e-15), "query 0 sees only key 0");
        using var none = Tensor.Zeros([3, 3], DType.Bool);
        Assert.That(F.ScaledDotProductAttention(q, k, v, mask: none).ToArray<double>().All(double.IsNaN), "every key masked gives NaN, as PyTorch's math path");
    }

    // ---- bad input ----

    /// <summary>Asserts an ArgumentException (or subclass) whose message contains every fragment.</summary>
    private static void Throws(Action code, params string[] fragments)
    {
        var ex = Assert.Throws(Is.InstanceOf<ArgumentException>(), code);
        foreach (var f in fragments) Assert.That(ex!.Message, Does.Contain(f), $"message: {ex.Message}");
    }

    [Test]
    public void CrossEntropy_BadInput_NamesTheOpAndTheProblem()
    {
        using var x = Logits2x3();
        Throws(() => _ = F.CrossEntropy(x, Tensor.FromArray(new double[] { 1, 2 })), "cross_entropy", "Int32");
        Throws(() => _ = F.CrossEntropy(x, Labels(1, 2, 0)), "cross_entropy", "[2]", "[3]");
        Throws(() => _ = F.CrossEntropy(x, Labels(1, 3)), "cross_entropy", "[0, 3)", "3");
        Throws(() => _ = F.CrossEntropy(x, Labels(-1, 0)), "cross_entropy", "-1");
        Throws(() => _ = F.CrossEntropy(x, Labels(1, 2), reduction: "avg"), "cross_entropy", "reduction");
        Throws(() => _ = F.CrossEntropy(x, Labels(1, 2), labelSmoothing: 1.5), "cross_entropy", "labelSmoothing");
        Throws(() => _ = F.CrossEntropy(Labels(1, 2), Labels(1, 2)), "cross_entropy", "Float32");
        Throws(() => _ = F.CrossEntropy(Tensor.Scalar(1.0, DType.Float64), Labels(0)), "cross_entropy", "scalar");
    }

    [Test]
    public void NormsMseZLossSdpa_BadInput_NameTheOpAndTheProblem()
    {
        using var x = Tensor.Zeros([2, 4], DType.Float64);
        Throws(() => _ = F.LayerNorm(x, Tensor.Ones([3], DType.Float64)), "layer_norm", "[4]", "[3]");
        Throws(() => _ = F.LayerNorm(x, null, Tensor.Ones([4], DType.Float32)), "layer_norm", "Float64", "Float32");
        Throws(() => _ = F.LayerNorm(Labels(1, 2)), "layer_norm", "Int32");
        Throws(() => _ = F.RmsNorm(x, Tensor.Ones([2, 4], DType.Float64)), "rms_norm", "[4]");
        Throws(() => _ = F.RmsNorm(x, eps: -1), "rms_norm", "eps");
        Throws(() => _ = F.Mse(x, Tensor.Zeros([2, 1], DType.Float64)), "mse_loss", "[2, 4]", "[2, 1]");
        Throws(() => _ = F.Mse(x, x, "max"), "mse_loss", "reduction");
        Throws(() => _ = F.ZLoss(Tensor.Scalar(1.0)), "z_loss");
        Throws(() => _ = F.GeluComposite(x, "erf"), "gelu", "approximate");
        using var q = Tensor.Zeros([2, 3, 4], DType.Float64);
        Throws(() => _ = F.ScaledDotProductAttention(q, Tensor.Zeros([2, 3, 5], DType.Float64), q), "scaled_dot_product_attention", "D");
        Throws(() => _ = F.ScaledDotProductAttention(q, q, Tensor.Zeros([2, 2, 4], DType.Float64)), "scaled_dot_product_attention", "keys");
        Throws(() => _ = F.ScaledDotProductAttention(q, q, q, mask: Tensor.Ones([2], DType.Bool)), "scaled_dot_product_attention", "mask", "[2, 3, 3]");
        Throws(() => _ = F.ScaledDotProductAttention(q, q, q, mask: Tensor.Ones([3, 3], DType.Int32)), "scaled_dot_product_attention", "Bool");
        Throws(() => _ = F.ScaledDotProductAttention(q, q.To(DType.Float32), q), "scaled_dot_product_attention", "Float32");
    }
}
