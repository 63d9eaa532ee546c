// Binary cross entropy (of probabilities and of logits), log-sigmoid, Huber, smooth L1, KL divergence, embedding and
// one_hot: values against hand-worked numbers (the formula written out in each comment, computed here with Math),
// every reduction, the weights, the edges PyTorch defines (the -100 clamp, zero targets, beta 0), gradients at
// chosen points, and bad input. Class losses are in LossTests.ClassLosses.cs; the gradient checks of every op run
// through the registry (GradientPropertyTests).
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using AG = DotGrad.Autodiff.Autograd;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

public partial class LossTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    // ---- binary cross entropy of probabilities ----

    [Test]
    public void BinaryCrossEntropy_Values_WithTheMinus100Clamp()
    {
        // -(t log x + (1 - t) log(1 - x)) per element:
        // x 0.2, t 0: -log 0.8; x 0.9, t 1: -log 0.9; x 0.5, t 0.3: -(0.3 + 0.7) log 0.5 = log 2;
        // x 0, t 1: -max(log 0, -100) = 100; x 1, t 0: 100; x 0, t 0: 0 * -100 + 1 * -log 1 = 0.
        using var x = Check.D(0.2, 0.9, 0.5, 0, 1, 0);
        using var t = Check.D(0, 1, 0.3, 1, 0, 0);
        double[] each = [-Math.Log(0.8), -Math.Log(0.9), Log2, 100, 100, 0];
        Check.Close(F.BinaryCrossEntropy(x, t, reduction: "none"), [6], each, atol: 1e-14);
        Check.Close(F.BinaryCrossEntropy(x, t, reduction: "sum"), [], [each.Sum()], atol: 1e-12);
        Check.Close(F.BinaryCrossEntropy(x, t), [], [each.Sum() / 6], atol: 1e-13);
    }

    [Test]
    public void BinaryCrossEntropy_Weight_BroadcastsAndScalesEachElement()
    {
        // x [2, 2] = [[0.2, 0.5], [0.9, 0.5]], t = [[0, 0.3], [1, 0.3]], weight [2] = [3, 0.5] along the last dim:
        // [3 (-log 0.8), 0.5 log 2, 3 (-log 0.9), 0.5 log 2]; "mean" divides their sum by 4 (weights are not in it).
        using var x = Tensor.FromArray(new double[,] { { 0.2, 0.5 }, { 0.9, 0.5 } });
        using var t = Tensor.FromArray(new double[,] { { 0, 0.3 }, { 1, 0.3 } });
        using var w = Check.D(3, 0.5);
        double[] each = [-3 * Math.Log(0.8), 0.5 * Log2, -3 * Math.Log(0.9), 0.5 * Log2];
        Check.Close(F.BinaryCrossEntropy(x, t, w, "none"), [2, 2], each, atol: 1e-14);
        Check.Close(F.BinaryCrossEntropy(x, t, w), [], [each.Sum() / 4], atol: 1e-14);
    }

    [Test]
    public void BinaryCrossEntropy_Gradient_IsPyTorchs()
    {
        // d/dx = (x - t) / max(x (1 - x), 1e-12f): x 0.5, t 0.3: 0.2 / 0.25 = 0.8; x 0.2, t 0: 0.2 / 0.16 = 1.25;
        // x 0, t 1: -1 / 1e-12f (large but finite, where the derivative of the clamped log would be NaN).
        // d/dt = -logit(x) = log((1 - x) / x): x 0.5: 0; x 0.2: log 4; x 0: +infinity.
        var x = Check.D(0.5, 0.2, 0).RequireGrad();
        var t = Check.D(0.3, 0, 1).RequireGrad();
        F.BinaryCrossEntropy(x, t, reduction: "sum").Backward();
        Check.Close(x.Grad!, [3], [0.8, 1.25, -1 / (double)1e-12f], atol: 1e-13, rtol: 1e-14);
        Check.Close(t.Grad!, [3], [0, Math.Log(4), double.PositiveInfinity], atol: 1e-14);
        // "mean" over 3 elements divides each by 3; a weight multiplies.
        Check.Close(Gradient(v => F.BinaryCrossEntropy(v, Check.D(0.3, 0), Check.D(2, 1)), Check.D(0.5, 0.2)), [2 * 0.8 / 2, 1.25 / 2], atol: 1e-14);
    }

    [Test]
    public void BinaryCrossEntropy_SecondDerivative_IsTheDerivativeOfTheBackward()
    {
        // d/dx [(x - t) / (x (1 - x))] = (x^2 - 2 x t + t) / (x (1 - x))^2. At x 0.5, t 0.3: (0.25 - 0.3 + 0.3) / 0.0625 = 4.
        var x = Check.D(0.5).RequireGrad();
        var g = AG.Grad(F.BinaryCrossEntropy(x, Check.D(0.3), reduction: "sum"), x, createGraph: true);
        Check.Close(AG.Grad(g.Sum(), x), [1], [4], atol: 1e-12);
    }

    [Test]
    public void BinaryCrossEntropy_RefusesInputsOutsideZeroOne_ButNotTargets()
    {
        using var t = Check.D(0.5, 0.5);
        Throws(() => F.BinaryCrossEntropy(Check.D(0.5, 1.5), t), "binary_cross_entropy", "[0, 1]", "1.5");
        Throws(() => F.BinaryCrossEntropy(Check.D(-0.1, 0.5), t), "binary_cross_entropy", "[0, 1]", "-0.1");
        Throws(() => F.BinaryCrossEntropy(Check.D(double.NaN, 0.5), t), "binary_cross_entropy", "[0, 1]");
        // PyTorch checks only the input: a target of 2 at x 0.5 gives -(2 log 0.5 - log 0.5) = log 2.
        Check.Close(F.BinaryCrossEntropy(Check.D(0.5), Check.D(2)), [], [Log2], atol: 1e-15);
    }

    // ---- log-sigmoid and binary cross entropy of logits ----

    [Test]
    public void LogSigmoid_IsStableAndPrecise()
    {
        // log sigmoid(0) = -log 2; log sigmoid(40) = -log(1 + e^-40) = -e^-40 to 1e-17 relative (a plain
        // log(1 + e^-40) rounds to 0); log sigmoid(-800) = -800 - log(1 + e^-800) = -800 (log(sigmoid) would be -inf).
        Check.Close(F.LogSigmoid(Check.D(0, 40, -800, -2)), [4], [-Log2, -Math.Exp(-40), -800, -2 - Math.Log(1 + Math.Exp(-2))], atol: 0, rtol: 1e-14);
        Check.Close(F.LogSigmoid(Check.F(0, 40, -80)), [3], [-Log2, -Math.Exp(-40), -80], atol: 0, rtol: 1e-6);
        // d/dx = sigmoid(-x): 0.5 at 0; d2/dx2 = -sigmoid(x) sigmoid(-x): -0.25 at 0.
        var x = Check.D(0).RequireGrad();
        var g = AG.Grad(F.LogSigmoid(x).Sum(), x, createGraph: true);
        Check.Close(g, [1], [0.5], atol: 1e-15);
        Check.Close(AG.Grad(g.Sum(), x), [1], [-0.25], atol: 1e-15);
    }

    /// <summary>
    /// log sigmoid(x) in double: log1p(u), u = e^-|x|, by its series u - u^2/2 + u^3/3 - ... where u &lt; 0.1 (there
    /// Math.Log(1 + u) would lose u's low digits), summed until the terms no longer change it.
    /// </summary>
    private static double LogSigmoidReference(double x)
    {
        double u = Math.Exp(-Math.Abs(x));
        double log1p = 0;
        if (u >= 0.1) log1p = Math.Log(1 + u);
        else
            for (int k = 1, sign = 1; k < 40; k++, sign = -sign) log1p += sign * Math.Pow(u, k) / k;
        return Math.Min(x, 0) - log1p;
    }

    [TestCase("reference", DType.Float64)]
    [TestCase("cpu", DType.Float64)]
    [TestCase("cpu", DType.Float32)]
    [TestCase("opencl:0", DType.Float64)]
    [TestCase("opencl:0", DType.Float32)]
    public void LogSigmoidAndBceWithLogits_AreRelativelyPreciseOnEveryDevice(string device, DType dtype)
    {
        // Over [-60, 60] log sigmoid runs from -60 to -e^-60: each value to a few ulps of its own size, on each device.
        var dev = Device.Parse(device);
        TestDevices.Require(dev);
        var xs = Enumerable.Range(0, 241).Select(i => -60 + 0.5 * i).ToArray();
        using var x = Tensor.FromArray(xs).To(dtype).To(dev);
        double rtol = dtype == DType.Float64 ? 1e-13 : 2e-6;
        Check.Close(F.LogSigmoid(x), [241], xs.Select(LogSigmoidReference).ToArray(), atol: 0, rtol: rtol);
        // With target 1 the loss is -log sigmoid(x), with target 0 it is x - log sigmoid(x) = -log sigmoid(-x).
        using var ones = Tensor.OnesLike(x);
        Check.Close(F.BinaryCrossEntropyWithLogits(x, ones, reduction: "none"), [241], xs.Select(v => -LogSigmoidReference(v)).ToArray(), atol: 0, rtol: rtol);
        using var zeros = Tensor.ZerosLike(x);
        Check.Close(F.BinaryCrossEntropyWithLogits(x, zeros, reduction: "none"), [241], xs.Select(v => -LogSigmoidReference(-v)).ToArray(), atol: 1e-13 * (dtype == DType.Float64 ? 1 : 1e7), rtol: rtol);
    }

    [Test]
    public void BinaryCrossEntropyWithLogits_Values()
    {
        // (1 - t) x + log(1 + e^-x) per element:
        // x 0, t 1: log 2; x 2, t 0: 2 + log(1 + e^-2); x -3, t 0.25: -2.25 + log(1 + e^3);
        // x 40, t 1: log(1 + e^-40) = e^-40 (kept, not rounded to 0); x -40, t 0: -40 + 40 + log(1 + e^-40), which
        // rounds to 0 in the stable form (as in PyTorch): checked to 1e-15.
        using var x = Check.D(0, 2, -3, 40, -40);
        using var t = Check.D(1, 0, 0.25, 1, 0);
        double[] each = [Log2, 2 + Math.Log(1 + Math.Exp(-2)), -2.25 + Math.Log(1 + Math.Exp(3)), Math.Exp(-40), Math.Exp(-40)];
        var none = F.BinaryCrossEntropyWithLogits(x, t, reduction: "none");
        Check.Close(none, [5], each, atol: 1e-15, rtol: 1e-14);
        Assert.That(Check.Values(none)[3], Is.EqualTo(Math.Exp(-40)).Within(1e-14 * Math.Exp(-40)), "e^-40 to full precision");
        Check.Close(F.BinaryCrossEntropyWithLogits(x, t, reduction: "sum"), [], [each.Sum()], atol: 1e-14);
        Check.Close(F.BinaryCrossEntropyWithLogits(x, t), [], [each.Sum() / 5], atol: 1e-14);
    }

    [Test]
    public void BinaryCrossEntropyWithLogits_EqualsTheDefinitionThroughSigmoid()
    {
        // -w (p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) at moderate logits, p per column, w per row.
        double[] xs = [-2.5, -0.3, 0.7, 1.9, 3.1, -1.2], ts = [0, 0.4, 1, 0.9, 0.2, 1], ps = [0.5, 2, 3], ws = [1.5, 0.25];
        var expected = new double[6];
        for (int i = 0; i < 6; i++)
        {
            double s = Sigmoid(xs[i]), p = ps[i % 3], w = ws[i / 3];
            expected[i] = -w * (p * ts[i] * Math.Log(s) + (1 - ts[i]) * Math.Log(1 - s));
        }
        using var x = Tensor.FromArray(xs, [2, 3]);
        using var t = Tensor.FromArray(ts, [2, 3]);
        using var w2 = Tensor.FromArray(ws, [2, 1]);
        using var p3 = Tensor.FromArray(ps, [3]);
        Check.Close(F.BinaryCrossEntropyWithLogits(x, t, w2, p3, "none"), [2, 3], expected, atol: 1e-14);
        Check.Close(F.BinaryCrossEntropyWithLogits(x, t, w2, p3), [], [expected.Sum() / 6], atol: 1e-14);
    }

    [Test]
    public void BinaryCrossEntropyWithLogits_Gradient()
    {
        // d/dx = w ((1 + (p - 1) t) sigmoid(x) - p t): x 0, t 1, p 3: 3 * 0.5 - 3 = -1.5; x 2, t 0: sigmoid(2);
        // without pos_weight: sigmoid(x) - t.
        Check.Close(Gradient(v => F.BinaryCrossEntropyWithLogits(v, Check.D(1, 0), posWeight: Check.D(3), reduction: "sum"), Check.D(0, 2)),
                    [-1.5, Sigmoid(2)], atol: 1e-15);
        Check.Close(Gradient(v => F.BinaryCrossEntropyWithLogits(v, Check.D(0.25, 1), Check.D(2, 1), reduction: "sum"), Check.D(-3, 1)),
                    [2 * (Sigmoid(-3) - 0.25), Sigmoid(1) - 1], atol: 1e-15);
        // Large logits in Float32 stay finite: x 100, t 0 gives 100; its gradient sigmoid(100) = 1.
        Check.Close(F.BinaryCrossEntropyWithLogits(Check.F(100), Check.F(0)), [], [100], atol: 1e-4);
    }

    [Test]
    public void BinaryLosses_BadInput_NameTheOpAndTheProblem()
    {
        using var x = Check.D(0.5, 0.5);
        Throws(() => F.BinaryCrossEntropy(x, Check.D(1, 0, 1)), "binary_cross_entropy", "[2]", "[3]");
        Throws(() => F.BinaryCrossEntropy(x, Check.F(1, 0)), "binary_cross_entropy", "Float64", "Float32");
        Throws(() => F.BinaryCrossEntropy(x, x, Check.D(1, 2, 3)), "binary_cross_entropy", "weight", "[3]", "[2]");
        Throws(() => F.BinaryCrossEntropy(x, x, reduction: "avg"), "binary_cross_entropy", "reduction");
        Throws(() => F.BinaryCrossEntropy(Check.I(0, 1), Check.I(0, 1)), "binary_cross_entropy", "Int32");
        Throws(() => F.BinaryCrossEntropyWithLogits(x, Tensor.Zeros([2, 1], DType.Float64)), "binary_cross_entropy_with_logits", "[2]", "[2, 1]");
        Throws(() => F.BinaryCrossEntropyWithLogits(x, x, posWeight: Check.D(1, 2, 3)), "binary_cross_entropy_with_logits", "posWeight", "[3]");
        Throws(() => F.BinaryCrossEntropyWithLogits(x, x, reduction: "batchmean"), "binary_cross_entropy_with_logits", "reduction");
        Throws(() => F.LogSigmoid(Check.I(1)), "logsigmoid", "Int32");
    }

    // ---- Huber and smooth L1 ----

    [Test]
    public void HuberLoss_QuadraticInsideDeltaLinearBeyond()
    {
        // z = |x - 0| = [0, 0.25, 2, 3]. delta 1: [0, 0.5 * 0.0625, 1 * (2 - 0.5), 1 * (3 - 0.5)] = [0, 0.03125, 1.5, 2.5].
        // delta 2: z = 2 is not < 2, so linear: 2 (2 - 1) = 2 (continuous: 0.5 * 4 = 2 too); 3: 2 (3 - 1) = 4.
        using var x = Check.D(0, 0.25, 2, -3);
        using var y = Check.D(0, 0, 0, 0);
        Check.Close(F.HuberLoss(x, y, "none"), [4], [0, 0.03125, 1.5, 2.5], atol: 1e-15);
        Check.Close(F.HuberLoss(x, y), [], [4.03125 / 4], atol: 1e-15);
        Check.Close(F.HuberLoss(x, y, "sum", delta: 2), [], [0 + 0.03125 + 2 + 4], atol: 1e-15);
        // The gradient is (x - y) clamped to [-delta, delta]: [0, 0.25, 1, -1] for x, the negation for y.
        Check.Close(Gradient(v => F.HuberLoss(v, y, "none"), x), [0, 0.25, 1, -1], atol: 1e-15);
        Check.Close(Gradient(v => F.HuberLoss(x, v, "none", delta: 2), y), [0, -0.25, -2, 2], atol: 1e-15);
    }

    [Test]
    public void SmoothL1Loss_IsHuberOverBeta_AndL1AtBetaZero()
    {
        // beta 0.5, z = [0, 0.25, 2, 3]: [0, 0.5 * 0.0625 / 0.5, 2 - 0.25, 3 - 0.25] = [0, 0.0625, 1.75, 2.75],
        // which is huber(delta 0.5) / 0.5 = [0, 0.03125, 0.875, 1.375] / 0.5.
        using var x = Check.D(0, 0.25, 2, -3);
        using var y = Tensor.Zeros([4], DType.Float64);
        Check.Close(F.SmoothL1Loss(x, y, "none", beta: 0.5), [4], [0, 0.0625, 1.75, 2.75], atol: 1e-15);
        Check.Close(F.SmoothL1Loss(x, y, "none", beta: 0.5), [4], Check.Values(F.HuberLoss(x, y, "none", delta: 0.5) / 0.5), atol: 1e-15);
        // beta 1 (the default) equals Huber with delta 1.
        Check.Close(F.SmoothL1Loss(x, y), [], Check.Values(F.HuberLoss(x, y)), atol: 1e-15);
        // beta 0: L1, |x - y| = [0, 0.25, 2, 3], mean 5.25 / 4; gradient sign(x - y) = [0, 1, 1, -1] (0 at 0, no NaN).
        Check.Close(F.SmoothL1Loss(x, y, "none", beta: 0), [4], [0, 0.25, 2, 3], atol: 1e-15);
        Check.Close(F.SmoothL1Loss(x, y, beta: 0), [], [5.25 / 4], atol: 1e-15);
        Check.Close(Gradient(v => F.SmoothL1Loss(v, y, "none", beta: 0), x), [0, 1, 1, -1], atol: 0);
        // beta 0.5 gradient: (x - y) / beta inside, sign outside: [0, 0.5, 1, -1].
        Check.Close(Gradient(v => F.SmoothL1Loss(v, y, "none", beta: 0.5), x), [0, 0.5, 1, -1], atol: 1e-15);
    }

    [Test]
    public void RegressionLosses_BadInput_NameTheOpAndTheProblem()
    {
        using var x = Check.D(1, 2);
        Throws(() => F.HuberLoss(x, Check.D(1, 2, 3)), "huber_loss", "[2]", "[3]");
        Throws(() => F.HuberLoss(x, x, delta: 0), "huber_loss", "delta");
        Throws(() => F.HuberLoss(x, x, "max"), "huber_loss", "reduction");
        Throws(() => F.SmoothL1Loss(x, x, beta: -1), "smooth_l1_loss", "beta");
        Throws(() => F.SmoothL1Loss(x, Check.F(1, 2)), "smooth_l1_loss", "Float32");
    }

    // ---- KL divergence ----

    [Test]
    public void KlDiv_ReductionsAndZeroTargets()
    {
        // input = log q, q = [0.5, 0.25, 0.25]; target p = [0.25, 0, 0.75]. Per element p (log p - log q):
        // [0.25 log 0.5, 0 (p = 0 contributes 0), 0.75 log 3]. Two rows of that, [2, 3]:
        // "sum" = 2 (0.75 log 3 - 0.25 log 2); "mean" = sum / 6 elements; "batchmean" = sum / 2 rows.
        double[] q = [0.5, 0.25, 0.25], p = [0.25, 0, 0.75];
        using var input = Tensor.FromArray(q.Concat(q).Select(v => Math.Log(v)).ToArray(), [2, 3]);
        using var target = Tensor.FromArray(p.Concat(p).ToArray(), [2, 3]);
        double[] row = [-0.25 * Log2, 0, 0.75 * Log3];
        double sum = 2 * row.Sum();
        Check.Close(F.KlDiv(input, target, "none"), [2, 3], [.. row, .. row], atol: 1e-15);
        Check.Close(F.KlDiv(input, target, "sum"), [], [sum], atol: 1e-15);
        Check.Close(F.KlDiv(input, target), [], [sum / 6], atol: 1e-15);
        Check.Close(F.KlDiv(input, target, "batchmean"), [], [sum / 2], atol: 1e-15);
        // A scalar's "batchmean" is its sum: p = 0.5, log q = log 0.25: 0.5 (log 0.5 - log 0.25) = 0.5 log 2.
        Check.Close(F.KlDiv(Tensor.Scalar(Math.Log(0.25)), Tensor.Scalar(0.5), "batchmean"), [], [0.5 * Log2], atol: 1e-15);
    }

    [Test]
    public void KlDiv_LogTarget()
    {
        // log_target: e^t (t - input) with t = log p, p = [0.25, 0.25, 0.5], q = [0.5, 0.25, 0.25]:
        // [0.25 log 0.5, 0, 0.5 log 2] = [-0.25 log 2, 0, 0.5 log 2], sum 0.25 log 2.
        using var input = Tensor.FromArray(new[] { 0.5, 0.25, 0.25 }.Select(v => Math.Log(v)).ToArray());
        using var target = Tensor.FromArray(new[] { 0.25, 0.25, 0.5 }.Select(v => Math.Log(v)).ToArray());
        Check.Close(F.KlDiv(input, target, "none", logTarget: true), [3], [-0.25 * Log2, 0, 0.5 * Log2], atol: 1e-15);
        Check.Close(F.KlDiv(input, target, "sum", logTarget: true), [], [0.25 * Log2], atol: 1e-15);
        // It equals the probability form with target e^t.
        Check.Close(F.KlDiv(input, target.Exp(), "sum"), [], [0.25 * Log2], atol: 1e-15);
    }

    [Test]
    public void KlDiv_Gradients()
    {
        // d/dinput = -p ("mean" over 3: -p / 3). d/dtarget = log p + 1 - input, and -input at p = 0 (finite, no NaN).
        using var input = Check.D(-1, -2, -0.5);
        using var p = Check.D(0.25, 0, 0.75);
        Check.Close(Gradient(v => F.KlDiv(v, p), input), [-0.25 / 3, 0, -0.25], atol: 1e-15);
        Check.Close(Gradient(v => F.KlDiv(input, v, "sum"), p), [Math.Log(0.25) + 1 + 1, 2, Math.Log(0.75) + 1 + 0.5], atol: 1e-15);
        // log_target: d/dinput = -e^t.
        Check.Close(Gradient(v => F.KlDiv(v, Check.D(0, -1), "sum", logTarget: true), Check.D(-1, -2)), [-1, -Math.Exp(-1)], atol: 1e-15);
    }

    [Test]
    public void KlDiv_BadInput_NamesTheOpAndTheProblem()
    {
        using var x = Check.D(-1, -2);
        Throws(() => F.KlDiv(x, Check.D(0.5)), "kl_div", "[2]", "[1]");
        Throws(() => F.KlDiv(x, x, "average"), "kl_div", "batchmean", "average");
        Throws(() => F.KlDiv(x, Check.F(0.5f, 0.5f)), "kl_div", "Float32");
    }

    // ---- embedding and one_hot ----

    /// <summary>Row r of the table is [2r, 2r + 1].</summary>
    private static Tensor Table() => Tensor.FromArray(new double[,] { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 } });

    [Test]
    public void Embedding_GathersRows_AndAccumulatesTheirGradients()
    {
        // indices [[1, 0], [3, 1]] -> rows [[[2, 3], [0, 1]], [[6, 7], [2, 3]]]; d sum / d weight counts each row's picks.
        var w = Table().RequireGrad();
        using var idx = Tensor.FromArray(new[,] { { 1, 0 }, { 3, 1 } });
        var y = F.Embedding(idx, w);
        Check.Close(y, [2, 2, 2], [2, 3, 0, 1, 6, 7, 2, 3], atol: 0);
        y.Sum().Backward();
        Check.Close(w.Grad!, [4, 2], [1, 1, 2, 2, 0, 0, 1, 1], atol: 0);
        // A scalar index gives one row [D].
        Check.Close(F.Embedding(Tensor.Scalar(2, DType.Int32), Table()), [2], [4, 5], atol: 0);
    }

    [TestCase(1)]
    [TestCase(-3)]
    public void Embedding_PaddingIdx_ReadsTheRowButGivesItNoGradient(int paddingIdx)
    {
        // padding row 1 (-3 counts from the end of 4 rows): its value is still returned, its gradient stays 0, and the
        // other rows' gradients are unchanged.
        var w = Table().RequireGrad();
        using var idx = Tensor.FromArray(new[,] { { 1, 0 }, { 3, 1 } });
        var y = F.Embedding(idx, w, paddingIdx);
        Check.Close(y, [2, 2, 2], [2, 3, 0, 1, 6, 7, 2, 3], atol: 0);
        (y * y).Sum().Backward();                                                  // d/dw[r] = 2 w[r] per pick
        Check.Close(w.Grad!, [4, 2], [0, 2, 0, 0, 0, 0, 12, 14], atol: 0);
    }

    [Test]
    public void EmbeddingLayer_PaddingRowStartsAtZeroAndStays()
    {
        using var emb = new Embedding(5, 3, new Generator(1), DType.Float64, paddingIdx: -1);
        Assert.That(emb.PaddingIdx, Is.EqualTo(4));
        Assert.That(Check.Values(emb.Weight[4]), Is.All.EqualTo(0));
        Assert.That(Check.Values(emb.Weight[0]), Has.Some.Not.EqualTo(0), "other rows keep their N(0, 1) init");
        using var ids = Tensor.FromArray(new[] { 4, 0, 4 });
        emb.Call(ids).Exp().Sum().Backward();
        Assert.That(Check.Values(emb.Weight.Grad![4]), Is.All.EqualTo(0));
        Assert.That(Check.Values(emb.Weight.Grad![0]), Is.All.Not.EqualTo(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Embedding(5, 3, paddingIdx: 5));
    }

    [Test]
    public void Embedding_BadInput_NamesTheOpAndTheProblem()
    {
        using var w = Table();
        Throws(() => F.Embedding(Check.D(1, 2), w), "embedding", "Int32", "Float64");
        Throws(() => F.Embedding(Check.I(1), Check.D(1, 2)), "embedding", "[V, D]", "[2]");
        Throws(() => F.Embedding(Check.I(1), w, paddingIdx: 4), "embedding", "paddingIdx", "[-4, 4)");
        Throws(() => F.Embedding(Check.I(1), w, paddingIdx: -5), "embedding", "paddingIdx");
    }

    [Test]
    public void OneHot_FollowsFOneHot()
    {
        // num_classes -1 infers max + 1 = 3; an explicit 4 pads a class; Int32 (PyTorch: int64).
        var oh = F.OneHot(Check.I(2, 0));
        Assert.That(oh.DType, Is.EqualTo(DType.Int64));
        Check.Close(oh, [2, 3], [0, 0, 1, 1, 0, 0], atol: 0);
        Check.Close(F.OneHot(Check.I(2, 0), 4), [2, 4], [0, 0, 1, 0, 1, 0, 0, 0], atol: 0);
        Check.Close(F.OneHot(Tensor.Zeros([0], DType.Int32), 2), [0, 2], [], atol: 0);
        // As PyTorch: a class count below -1 is refused, and an empty index needs a positive one (0 too is refused).
        Assert.Throws<ArgumentOutOfRangeException>(() => F.OneHot(Check.I(0, 1), -2));
        Throws(() => F.OneHot(Tensor.Zeros([0], DType.Int32), 0), "one_hot", "empty");
        Throws(() => F.OneHot(Check.I(0, 2), 2), "one_hot", "[0, 2)");
    }

    // ---- the registry ----

    [Test]
    public void EveryLoss_IsInTheGradientCheckRegistry()
    {
        string[] expected =
        [
            "cross_entropy_weight_smoothing_ignore", "cross_entropy_weight_spatial_none", "cross_entropy_probabilities",
            "cross_entropy_probabilities_weight_sum", "nll_loss_weight_ignore", "nll_loss_spatial_sum", "log_sigmoid",
            "binary_cross_entropy", "binary_cross_entropy_weight_none", "bce_with_logits", "bce_with_logits_weight_pos_weight_sum",
            "bce_with_logits_pos_weight_none", "huber_loss", "huber_loss_delta_sum", "smooth_l1_loss_beta_none",
            "smooth_l1_loss_beta0", "kl_div", "kl_div_batchmean_log_target", "embedding", "embedding_padding_idx",
        ];
        var names = OpRegistry.All.Select(o => o.Name).ToHashSet();
        Assert.That(expected.Where(n => !names.Contains(n)), Is.Empty);
        Assert.That(expected.Where(n => !OpRegistry.Get(n).TwiceDifferentiable), Is.Empty, "each gets a second-order check too");
    }
}
