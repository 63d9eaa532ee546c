// Loss nodes with a backward of their own: log-sigmoid (stable for every x, where log(sigmoid(x)) overflows) and
// binary cross entropy of probabilities (whose forward clamps its logs at -100 and whose PyTorch gradient divides by
// max(x (1 - x), eps), neither of which the derivative of a composition reproduces at x = 0 or 1).
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// log sigmoid(x) = min(x, 0) - log1p(e^-|x|), PyTorch's <c>F.logsigmoid</c> and its stable form: e^-|x| never
/// overflows, and log1p keeps the small values (log sigmoid(40) = -4.2e-18, not 0). d/dx = 1 - sigmoid(x) = sigmoid(-x),
/// written with tensor ops so that it differentiates again.
/// </summary>
public sealed class LogSigmoid : Function
{
    public static Tensor Apply(Tensor x)
    {
        Tensor y;
        using (Autograd.Pause()) y = x.Clamp(max: 0) - Log1p((-x.Abs()).Exp());
        return Record(y, () => new LogSigmoid(), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * (-Inputs[0]).Sigmoid()];

    /// <summary>
    /// log(1 + u) for u in [0, 1] to full precision without a log1p kernel: with w = 1 + u rounded, log(w) u / (w - 1)
    /// cancels the rounding of w (Goldberg's trick); where w rounds to 1, log1p(u) = u to working precision.
    /// </summary>
    internal static Tensor Log1p(Tensor u)
    {
        var w = u + 1.0;
        var d = w - 1.0;
        return Tensor.Where(d.Gt(0.0), w.Log() * u / d, u);
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<LogSigmoid>("unary")
        .Op("log_sigmoid", x => Functional.LogSigmoid(x[0]), d => d.Unary(-6, 6), uses: [typeof(Sigmoid)]);
}

/// <summary>
/// Elementwise binary cross entropy of probabilities x and targets t, unweighted and unreduced, with PyTorch's
/// arithmetic: y = (t - 1) max(log(1 - x), -100) - t max(log x, -100) (the clamp keeps y finite at x = 0 or 1).
/// d/dx = (x - t) / max(x (1 - x), 1e-12) and d/dt = -logit(x) = -log(x / (1 - x)), PyTorch's
/// <c>binary_cross_entropy_backward</c> and <c>binary_cross_entropy_target_backward</c> (so a prediction of exactly 0
/// or 1 gets a large finite gradient rather than NaN). Both are written with tensor ops, so they differentiate again.
/// </summary>
public sealed class BinaryCrossEntropy : Function
{
    // PyTorch's EPSILON is a float constant, 1e-12f; its double value is what the double kernel divides by.
    private const double Eps = (double)1e-12f;

    internal static Tensor Apply(Tensor x, Tensor t)
    {
        Tensor y;
        using (Autograd.Pause()) y = (t - 1.0) * (1.0 - x).Log().Clamp(min: -100) - t * x.Log().Clamp(min: -100);
        return Record(y, () => new BinaryCrossEntropy(), x, t);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var (x, t) = (Inputs[0], Inputs[1]);
        var dX = x.RequiresGrad ? dOut * (x - t) / ((1.0 - x) * x).Clamp(min: Eps) : null;
        var dT = t.RequiresGrad ? dOut * -(x / (1.0 - x)).Log() : null;
        return [dX, dT];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<BinaryCrossEntropy>("nn")
        .Op("binary_cross_entropy", x => Functional.BinaryCrossEntropy(x[0], x[1]), d => d.BinarySample(logits: false, withWeight: false, withPosWeight: false),
            uses: [typeof(Mean)])
        .Op("binary_cross_entropy_weight_none", x => Functional.BinaryCrossEntropy(x[0], x[1], x[2], reduction: "none"),
            d => d.BinarySample(logits: false, withWeight: true, withPosWeight: false), uses: [typeof(Mul)]);
}
