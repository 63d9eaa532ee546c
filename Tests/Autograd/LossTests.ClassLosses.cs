// Cross entropy with per-class weights and class-probability targets, and nll_loss: values against hand-worked
// numbers (PyTorch's formulas written out in the comments), agreement between the forms that must agree, gradients
// at chosen points, and bad input.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Tests.Tensors;
using AG = DotGrad.Autodiff.Autograd;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

public partial class LossTests
{
    private static readonly double Log2 = Math.Log(2);
    private static readonly double Log3 = Math.Log(3);
    // log(1 + e^-1 + e^-2), so logsumexp(1, 2, 3) = 3 + L123.
    private static readonly double L123 = Math.Log(1 + Math.Exp(-1) + Math.Exp(-2));

    /// <summary>
    /// Row 0 = [0, 0, 0]: -log p = log 3 for every class. Row 1 = [1, 2, 3]: -log p = [2 + L123, 1 + L123, L123].
    /// </summary>
    private static Tensor Logits2x3() => Tensor.FromArray(new double[,] { { 0, 0, 0 }, { 1, 2, 3 } });

    private static Tensor ClassWeight() => Check.D(0.5, 2, 1.5);

    private static Tensor Labels(params int[] v) => Tensor.FromArray(v);

    // ---- cross entropy, class indices with a weight ----

    [TestCase(true)]
    [TestCase(false)]
    public void CrossEntropy_Weight_MeanDividesBySumOfTargetWeights(bool fused)
    {
        // Labels (1, 2), w = [0.5, 2, 1.5]: per row w[y] (-log p[y]) = [2 log 3, 1.5 L123];
        // "mean" divides their sum by w[1] + w[2] = 3.5 (not by 2).
        using var x = Logits2x3();
        using var w = ClassWeight();
        using var y = Labels(1, 2);
        Check.Close(F.CrossEntropy(x, y, w, reduction: "none", fused: fused), [2], [2 * Log3, 1.5 * L123], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, w, reduction: "sum", fused: fused), [], [2 * Log3 + 1.5 * L123], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, w, fused: fused), [], [(2 * Log3 + 1.5 * L123) / 3.5], atol: 1e-14);
    }

    [Test]
    public void CrossEntropy_Weight_IgnoredTargetsLeaveTheDivisor()
    {
        // Labels (1, -100): only row 0 counts, 2 log 3 / w[1] = log 3; all ignored: 0 / 0 = NaN, "sum" 0.
        using var x = Logits2x3();
        using var w = ClassWeight();
        Check.Close(F.CrossEntropy(x, Labels(1, -100), w), [], [Log3], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, Labels(1, -100), w, reduction: "none"), [2], [2 * Log3, 0], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, Labels(-100, -100), w), [], [double.NaN]);
        Check.Close(F.CrossEntropy(x, Labels(-100, -100), w, reduction: "sum"), [], [0]);
        // ignoreIndex = 2 ignores row 1's label 2.
        Check.Close(F.CrossEntropy(x, Labels(1, 2), w, ignoreIndex: 2), [], [Log3], atol: 1e-14);
    }

    [Test]
    public void CrossEntropy_WeightAndSmoothing_FollowPyTorchsFormula()
    {
        // eps = 0.3, C = 3: per row (1 - eps) w[y] (-log p[y]) + (eps / C) sum_c w[c] (-log p[c]).
        // Row 0 (label 1): 0.7 * 2 log 3 + 0.1 * (0.5 + 2 + 1.5) log 3 = 1.8 log 3.
        // Row 1 (label 2): 0.7 * 1.5 L123 + 0.1 * (0.5 (2 + L123) + 2 (1 + L123) + 1.5 L123) = 1.45 L123 + 0.3.
        // "mean": each term summed over rows and divided by sum w[y] = 3.5:
        //   0.7 (2 log 3 + 1.5 L123) / 3.5 + 0.1 (4 log 3 + 3 + 4 L123) / 3.5.
        using var x = Logits2x3();
        using var w = ClassWeight();
        using var y = Labels(1, 2);
        double row0 = 1.8 * Log3, row1 = 1.45 * L123 + 0.3;
        Check.Close(F.CrossEntropy(x, y, w, reduction: "none", labelSmoothing: 0.3), [2], [row0, row1], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, y, w, reduction: "sum", labelSmoothing: 0.3), [], [row0 + row1], atol: 1e-14);
        double mean = 0.7 * (2 * Log3 + 1.5 * L123) / 3.5 + 0.1 * (4 * Log3 + 3 + 4 * L123) / 3.5;
        Check.Close(F.CrossEntropy(x, y, w, labelSmoothing: 0.3), [], [mean], atol: 1e-14);
        // With row 1 ignored, both terms are over row 0 only and divided by w[1] = 2: 1.8 log 3 / 2.
        Check.Close(F.CrossEntropy(x, Labels(1, -100), w, labelSmoothing: 0.3), [], [0.9 * Log3], atol: 1e-14);
    }

    [TestCase("mean", 0.0)]
    [TestCase("sum", 0.2)]
    [TestCase("none", 0.1)]
    public void CrossEntropy_UnitWeight_EqualsTheFusedUnweightedLoss(string reduction, double eps)
    {
        // With every weight 1, sum w[y] is the count of kept targets: the weighted composite must equal the fused kernel.
        using var x0 = Tensor.Randn([5, 4, 2], new Generator(3), DType.Float64);
        using var y = Tensor.FromArray(new int[,] { { 0, 3 }, { -100, 1 }, { 2, 2 }, { 1, -100 }, { 3, 0 } });
        using var ones = Tensor.Ones([4], DType.Float64);
        var a = x0.Clone().RequireGrad();
        var b = x0.Clone().RequireGrad();
        var la = F.CrossEntropy(a, y, ones, reduction: reduction, labelSmoothing: eps);
        var lb = F.CrossEntropy(b, y, reduction: reduction, labelSmoothing: eps);
        Check.Close(la, lb.Shape, Check.Values(lb), atol: 1e-13);
        using var g = Tensor.Randn(la.Shape, new Generator(4), DType.Float64);
        la.Backward(g);
        lb.Backward(g);
        Check.Close(a.Grad!, [5, 4, 2], Check.Values(b.Grad!), atol: 1e-13);
    }

    [Test]
    public void CrossEntropy_Weight_GradientOfTheLogits()
    {
        // "sum", labels (1, 2), no smoothing: d/dx_row = w[y] (softmax(x_row) - onehot(y)).
        // Row 0: softmax = 1/3 each, w[1] = 2: [2/3, 2/3 - 2, 2/3]. Row 1: w[2] = 1.5, softmax(1, 2, 3) = e^(x - 3 - L123).
        var x = Logits2x3().RequireGrad();
        using var w = ClassWeight();
        F.CrossEntropy(x, Labels(1, 2), w, reduction: "sum").Backward();
        double s(double v) => Math.Exp(v - 3 - L123);
        Check.Close(x.Grad!, [2, 3], [2 / 3.0, 2 / 3.0 - 2, 2 / 3.0, 1.5 * s(1), 1.5 * s(2), 1.5 * (s(3) - 1)], atol: 1e-14);
    }

    // ---- cross entropy, class probabilities ----

    [Test]
    public void CrossEntropy_Probabilities_Reductions()
    {
        // Targets row 0 = [0.2, 0.3, 0.5], row 1 = [0, 0.25, 0.75]. Per row -sum_c t[c] log p[c]:
        // row 0: log 3 (the targets sum to 1); row 1: 0.25 (1 + L123) + 0.75 L123 = 0.25 + L123.
        // "mean" divides by the number of rows, 2.
        using var x = Logits2x3();
        using var t = Tensor.FromArray(new double[,] { { 0.2, 0.3, 0.5 }, { 0, 0.25, 0.75 } });
        Check.Close(F.CrossEntropy(x, t, reduction: "none"), [2], [Log3, 0.25 + L123], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, t, reduction: "sum"), [], [Log3 + 0.25 + L123], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, t), [], [(Log3 + 0.25 + L123) / 2], atol: 1e-14);
    }

    [Test]
    public void CrossEntropy_ProbabilitiesWithWeight_MeanStillDividesByTheRowCount()
    {
        // -sum_c w[c] t[c] log p[c], w = [0.5, 2, 1.5]:
        // row 0: log 3 (0.5 * 0.2 + 2 * 0.3 + 1.5 * 0.5) = 1.45 log 3;
        // row 1: 2 * 0.25 (1 + L123) + 1.5 * 0.75 L123 = 0.5 + 1.625 L123. "mean" = their sum / 2 (weights not in it).
        using var x = Logits2x3();
        using var t = Tensor.FromArray(new double[,] { { 0.2, 0.3, 0.5 }, { 0, 0.25, 0.75 } });
        using var w = ClassWeight();
        double row0 = 1.45 * Log3, row1 = 0.5 + 1.625 * L123;
        Check.Close(F.CrossEntropy(x, t, w, reduction: "none"), [2], [row0, row1], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, t, w), [], [(row0 + row1) / 2], atol: 1e-14);
    }

    [Test]
    public void CrossEntropy_ProbabilitiesWithSmoothing_MixTowardUniform()
    {
        // eps = 0.3: q = 0.7 t + 0.1. Row 0: q still sums to 1, loss log 3. Row 1: q = [0.1, 0.275, 0.625]:
        // 0.1 (2 + L123) + 0.275 (1 + L123) + 0.625 L123 = 0.475 + L123.
        using var x = Logits2x3();
        using var t = Tensor.FromArray(new double[,] { { 0.2, 0.3, 0.5 }, { 0, 0.25, 0.75 } });
        Check.Close(F.CrossEntropy(x, t, reduction: "none", labelSmoothing: 0.3), [2], [Log3, 0.475 + L123], atol: 1e-14);
    }

    [TestCase("mean", 0.0)]
    [TestCase("sum", 0.25)]
    [TestCase("none", 0.1)]
    public void CrossEntropy_OneHotProbabilities_EqualIndexTargets(string reduction, double eps)
    {
        // A one-hot probability target is the index target: same loss and gradient, smoothing included (both mix
        // toward eps / C), with no weight (with a weight, "mean" divides differently by design).
        using var x0 = Tensor.Randn([4, 5, 3], new Generator(8), DType.Float64);      // [N, C, d]
        using var y = Tensor.FromArray(new int[,] { { 0, 4, 2 }, { 1, 1, 3 }, { 4, 0, 0 }, { 2, 3, 1 } });
        using var probs = y.OneHot(5).To(DType.Float64).Permute(0, 2, 1).Contiguous(); // [N, d, C] -> [N, C, d]
        var a = x0.Clone().RequireGrad();
        var b = x0.Clone().RequireGrad();
        var la = F.CrossEntropy(a, probs, reduction: reduction, labelSmoothing: eps);
        var lb = F.CrossEntropy(b, y, reduction: reduction, labelSmoothing: eps);
        Check.Close(la, lb.Shape, Check.Values(lb), atol: 1e-13);
        using var g = Tensor.Randn(la.Shape, new Generator(9), DType.Float64);
        la.Backward(g);
        lb.Backward(g);
        Check.Close(a.Grad!, [4, 5, 3], Check.Values(b.Grad!), atol: 1e-13);
    }

    [Test]
    public void CrossEntropy_Probabilities_GradientIsSoftmaxTimesTargetSumMinusTarget()
    {
        // d/dx (-sum_c t[c] log softmax(x)[c]) = softmax(x) sum_c t[c] - t. Row 0 = [0, 0, 0], t = [0.2, 0.3, 0.5]:
        // [1/3 - 0.2, 1/3 - 0.3, 1/3 - 0.5]; with t summing to 2 ([0.5, 0.5, 1]): [2/3 - 0.5, 2/3 - 0.5, 2/3 - 1].
        var x = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        using var t = Tensor.FromArray(new double[,] { { 0.2, 0.3, 0.5 }, { 0.5, 0.5, 1 } });
        F.CrossEntropy(x, t, reduction: "sum").Backward();
        Check.Close(x.Grad!, [2, 3], [1 / 3.0 - 0.2, 1 / 3.0 - 0.3, 1 / 3.0 - 0.5, 2 / 3.0 - 0.5, 2 / 3.0 - 0.5, 2 / 3.0 - 1], atol: 1e-15);
    }

    [Test]
    public void CrossEntropy_Probabilities_UnbatchedAndSpatialShapes()
    {
        // One sample [C] gives a scalar; [N, C, d] keeps [N, d] with classes on dim 1.
        using var row = Check.D(1, 2, 3);
        Check.Close(F.CrossEntropy(row, Check.D(0, 0.25, 0.75), reduction: "none"), [], [0.25 + L123], atol: 1e-14);
        using var x = Logits2x3().T.Unsqueeze(0);                                     // [1, 3, 2]: column j is row j
        using var t = Tensor.FromArray(new double[,] { { 0.2, 0.3, 0.5 }, { 0, 0.25, 0.75 } }).T.Unsqueeze(0);
        Check.Close(F.CrossEntropy(x, t, reduction: "none"), [1, 2], [Log3, 0.25 + L123], atol: 1e-14);
        Check.Close(F.CrossEntropy(x, t), [], [(Log3 + 0.25 + L123) / 2], atol: 1e-14);
    }

    [Test]
    public void CrossEntropy_Probabilities_EmptyBatchMeanIsNaN()
    {
        using var x = Tensor.Zeros([0, 3], DType.Float64);
        Check.Close(F.CrossEntropy(x, Tensor.Zeros([0, 3], DType.Float64)), [], [double.NaN]);
        Check.Close(F.CrossEntropy(x, Tensor.Zeros([0, 3], DType.Float64), reduction: "sum"), [], [0]);
    }

    // ---- nll_loss ----

    /// <summary>Log-probabilities (nll_loss only reads them): row 0 = [-1, -2, -3], row 1 = [-0.5, -1.5, -2.5].</summary>
    private static Tensor LogProbs() => Tensor.FromArray(new double[,] { { -1, -2, -3 }, { -0.5, -1.5, -2.5 } });

    [Test]
    public void NllLoss_PicksMinusTheLogProbability()
    {
        // Labels (2, 0): [3, 0.5]; mean 1.75. Weight [1, 2, 3]: [3 * 3, 1 * 0.5] = [9, 0.5], mean 9.5 / (3 + 1).
        using var x = LogProbs();
        using var y = Labels(2, 0);
        using var w = Check.D(1, 2, 3);
        Check.Close(F.NllLoss(x, y, reduction: "none"), [2], [3, 0.5], atol: 1e-15);
        Check.Close(F.NllLoss(x, y), [], [1.75], atol: 1e-15);
        Check.Close(F.NllLoss(x, y, w, reduction: "none"), [2], [9, 0.5], atol: 1e-15);
        Check.Close(F.NllLoss(x, y, w, reduction: "sum"), [], [9.5], atol: 1e-15);
        Check.Close(F.NllLoss(x, y, w), [], [2.375], atol: 1e-15);
    }

    [Test]
    public void NllLoss_IgnoreIndex_AndShapes()
    {
        using var x = LogProbs();
        using var w = Check.D(1, 2, 3);
        // Row 1 ignored: 3 / 1 unweighted, 9 / 3 weighted; a custom ignoreIndex 0 ignores row 1's label 0.
        Check.Close(F.NllLoss(x, Labels(2, -100)), [], [3], atol: 1e-15);
        Check.Close(F.NllLoss(x, Labels(2, -100), w), [], [3], atol: 1e-15);
        Check.Close(F.NllLoss(x, Labels(2, 0), w, ignoreIndex: 0), [], [3], atol: 1e-15);
        Check.Close(F.NllLoss(x, Labels(-100, -100)), [], [double.NaN]);
        // One sample: input [C], scalar target 1: 2; weighted "none" 2 * 2 = 4, "mean" 4 / 2 = 2.
        using var row = Check.D(-1, -2, -3);
        using var one = Tensor.Scalar(1, DType.Int32);
        Check.Close(F.NllLoss(row, one), [], [2], atol: 1e-15);
        Check.Close(F.NllLoss(row, one, w, reduction: "none"), [], [4], atol: 1e-15);
        Check.Close(F.NllLoss(row, one, w), [], [2], atol: 1e-15);
        // [N=1, C=3, d=2] with classes on dim 1, target [1, 2].
        using var spatial = LogProbs().T.Unsqueeze(0);
        Check.Close(F.NllLoss(spatial, Tensor.FromArray(new int[,] { { 2, 0 } }), w, reduction: "none"), [1, 2], [9, 0.5], atol: 1e-15);
    }

    [TestCase("mean")]
    [TestCase("sum")]
    [TestCase("none")]
    public void CrossEntropy_IsNllLossOfLogSoftmax(string reduction)
    {
        using var x = Tensor.Randn([4, 3, 2], new Generator(11), DType.Float64);
        using var y = Tensor.FromArray(new int[,] { { 0, 2 }, { -100, 1 }, { 2, 2 }, { 1, 0 } });
        using var w = Check.D(0.3, 1.7, 0.9);
        var ce = F.CrossEntropy(x, y, w, reduction: reduction);
        var nll = F.NllLoss(x.LogSoftmax(1), y, w, reduction: reduction);
        Check.Close(ce, nll.Shape, Check.Values(nll), atol: 1e-14);
    }

    [Test]
    public void NllLoss_Gradient_IsMinusTheWeightOverTheWeightSum()
    {
        // "mean", labels (2, 0), w = [1, 2, 3]: d/dx[i, y_i] = -w[y_i] / (w[2] + w[0]) = [-3/4, -1/4]; 0 elsewhere.
        var x = LogProbs().RequireGrad();
        using var w = Check.D(1, 2, 3);
        F.NllLoss(x, Labels(2, 0), w).Backward();
        Check.Close(x.Grad!, [2, 3], [0, 0, -0.75, -0.25, 0, 0], atol: 1e-15);
    }

    // ---- bad input ----

    [Test]
    public void ClassLosses_BadInput_NameTheOpAndTheProblem()
    {
        using var x = Logits2x3();
        Throws(() => F.CrossEntropy(x, Labels(1, 2), Check.D(1, 2)), "cross_entropy", "weight", "[3]", "[2]");
        Throws(() => F.CrossEntropy(x, Labels(1, 2), Check.F(1, 2, 3)), "cross_entropy", "weight", "Float32");
        Throws(() => F.CrossEntropy(x, Tensor.Zeros([2, 4], DType.Float64)), "cross_entropy", "[2, 3]", "[2, 4]");
        Throws(() => F.CrossEntropy(x, Tensor.Zeros([2, 3], DType.Float32)), "cross_entropy", "Float64", "Float32");
        Throws(() => F.CrossEntropy(x, Tensor.Zeros([2, 3], DType.Float64), ignoreIndex: 0), "cross_entropy", "ignoreIndex");
        Throws(() => F.CrossEntropy(x, Labels(1, 2), reduction: "batchmean"), "cross_entropy", "reduction", "batchmean");
        Throws(() => F.CrossEntropy(x, Tensor.Zeros([2], DType.Bool)), "cross_entropy", "Int32", "Bool");
        Throws(() => F.NllLoss(x, Labels(1, 2, 0)), "nll_loss", "[2]", "[3]");
        Throws(() => F.NllLoss(x, Labels(1, 3)), "nll_loss", "[0, 3)", "3");
        Throws(() => F.NllLoss(x, Tensor.Zeros([2], DType.Float64)), "nll_loss", "Int32", "Float64");
        Throws(() => F.NllLoss(x, Labels(1, 2), reduction: "avg"), "nll_loss", "reduction", "avg");
        Throws(() => F.NllLoss(Labels(1, 2), Labels(1, 2)), "nll_loss", "Float32", "Int32");
        Throws(() => F.NllLoss(Tensor.Scalar(1.0), Labels(0)), "nll_loss", "scalar");
        Throws(() => F.NllLoss(x, Labels(1, 2), Tensor.Ones([3, 1], DType.Float64)), "nll_loss", "weight", "[3, 1]");
    }

    /// <summary>Asserts an ArgumentException (or subclass) whose message contains every fragment.</summary>
    private static void Throws(Func<Tensor> code, params string[] fragments)
    {
        var ex = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => code());
        foreach (var f in fragments) Assert.That(ex!.Message, Does.Contain(f), $"message: {ex.Message}");
    }

    /// <summary>d(sum of f)/dx at x, through the library's autograd.</summary>
    private static double[] Gradient(Func<Tensor, Tensor> f, Tensor x0)
    {
        var x = x0.Clone().RequireGrad();
        return AG.Grad(f(x).Sum(), x).ToArray<double>();
    }
}
