// Regression and divergence losses: Huber, smooth L1 and KL divergence, each as torch.nn.functional defines it.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// Huber loss, exactly <c>F.huber_loss(input, target, reduction="mean", delta=1.0)</c>: with z = |input - target|,
    /// loss = 0.5 z^2 where z &lt; delta, else delta (z - 0.5 delta). Quadratic near 0, linear with slope delta beyond
    /// it; the gradient is (input - target) clamped to [-delta, delta]. delta must be positive. Like <see cref="Mse"/>
    /// (and unlike PyTorch, which broadcasts with a warning), the shapes must be equal.
    /// </summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, string reduction = "mean", double delta = 1.0)
    {
        const string op = "huber_loss";
        CheckBinaryArguments(op, input, target, reduction);
        if (!(delta > 0) || !double.IsFinite(delta))
            throw new ArgumentException($"{op}: delta must be a positive number, got {delta}", nameof(delta));
        var diff = input - target;
        var z = diff.Abs();
        var loss = Tensor.Where(z.Lt(delta), diff.Square() * 0.5, (z - 0.5 * delta) * delta);
        return ReduceLoss(loss, reduction);
    }

    /// <summary>
    /// Smooth L1 loss, exactly <c>F.smooth_l1_loss(input, target, reduction="mean", beta=1.0)</c>: with
    /// z = |input - target|, loss = 0.5 z^2 / beta where z &lt; beta, else z - 0.5 beta. It is Huber with delta = beta
    /// divided by beta (its linear part has slope 1, Huber's has slope delta; at beta = delta = 1 they agree); beta = 0
    /// is the L1 loss |input - target| (gradient sign(input - target), 0 at 0). beta must not be negative. The shapes
    /// must be equal (PyTorch broadcasts with a warning).
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", double beta = 1.0)
    {
        const string op = "smooth_l1_loss";
        CheckBinaryArguments(op, input, target, reduction);
        if (!(beta >= 0) || !double.IsFinite(beta))
            throw new ArgumentException($"{op}: beta must be a number >= 0 (0 gives the L1 loss), got {beta}", nameof(beta));
        var diff = input - target;
        var z = diff.Abs();
        var loss = beta == 0 ? z : Tensor.Where(z.Lt(beta), diff.Square() * 0.5 / beta, z - 0.5 * beta);
        return ReduceLoss(loss, reduction);
    }

    /// <summary>
    /// Kullback-Leibler divergence, exactly <c>F.kl_div(input, target, reduction="mean", log_target=False)</c>.
    /// <paramref name="input"/> holds log-probabilities log q (from <c>log_softmax</c>); the target holds probabilities p
    /// (or log p with <paramref name="logTarget"/>). Per element: p (log p - input), with xlogy's convention that an
    /// element with p = 0 contributes 0 (so zero targets are fine); with logTarget, e^target (target - input).
    /// Reductions: "mean" is PyTorch's elementwise mean over every element (not the KL divergence per sample), which
    /// PyTorch warns about; "batchmean" (what KL divergence means: the sum divided by the batch size, dim 0's length; the
    /// plain sum for a scalar), "sum" and "none". The shapes must be equal (PyTorch broadcasts).
    /// <para>At a target of exactly 0, the gradient with respect to the target is taken as -input (PyTorch's is NaN
    /// there); the gradient with respect to the input is -p, as PyTorch's.</para>
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, string reduction = "mean", bool logTarget = false)
    {
        const string op = "kl_div";
        if (reduction is not ("mean" or "batchmean" or "sum" or "none"))
            throw new ArgumentException($"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got '{reduction}'", nameof(reduction));
        CheckBinaryArguments(op, input, target, reduction == "batchmean" ? "sum" : reduction);
        Tensor loss;
        if (logTarget) loss = target.Exp() * (target - input);
        else
        {
            // xlogy(p, p) - p input, with xlogy(0, p) = 0: the log reads 1 where p is 0, so neither value nor gradient is NaN.
            var isZero = target.Eq(0.0);
            var zero = Tensor.Scalar(0, target.DType, target.Device);
            var safe = Tensor.Where(isZero, Tensor.Scalar(1, target.DType, target.Device), target);
            loss = Tensor.Where(isZero, zero, target * safe.Log()) - target * input;
        }
        if (reduction != "batchmean") return ReduceLoss(loss, reduction);
        var sum = loss.Sum();
        return input.Rank == 0 ? sum : sum / input.ShapeRef[0];
    }

    [GradChecks]
    internal static OpChecks RegressionLossChecks() => OpChecks.Composite("nn")
        // The pairs keep |input - target| 0.1 away from 0 and from +-delta (or beta): the kinks of the derivatives.
        .Op("huber_loss", x => HuberLoss(x[0], x[1]), d => d.DifferencePair([-1, 0, 1]), uses: [typeof(Functions.Where), typeof(Functions.Abs)])
        .Op("huber_loss_delta_sum", x => HuberLoss(x[0], x[1], "sum", delta: 0.5), d => d.DifferencePair([-0.5, 0, 0.5]),
            uses: [typeof(Functions.Where), typeof(Functions.Square)])
        .Op("smooth_l1_loss_beta_none", x => SmoothL1Loss(x[0], x[1], "none", beta: 0.5), d => d.DifferencePair([-0.5, 0, 0.5]),
            uses: [typeof(Functions.Where), typeof(Functions.Div)])
        .Op("smooth_l1_loss_beta0", x => SmoothL1Loss(x[0], x[1], beta: 0), d => d.DifferencePair([0]), uses: [typeof(Functions.Abs)])
        .Op("kl_div", x => KlDiv(x[0], x[1]), d => d.KlDivSample(logTarget: false), uses: [typeof(Functions.Log), typeof(Functions.Where)])
        .Op("kl_div_batchmean_log_target", x => KlDiv(x[0], x[1], "batchmean", logTarget: true), d => d.KlDivSample(logTarget: true),
            uses: [typeof(Functions.Exp), typeof(Functions.Div)]);
}
