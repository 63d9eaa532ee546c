// Binary losses: log-sigmoid, binary cross entropy of probabilities and of logits (with per-element weights and a
// positive-class weight), each as torch.nn.functional defines it.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// log(sigmoid(x)) computed stably, PyTorch's <c>F.logsigmoid</c>: min(x, 0) - log1p(e^-|x|). See
    /// <see cref="Functions.LogSigmoid"/>.
    /// </summary>
    public static Tensor LogSigmoid(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFloat("logsigmoid", "x", x);
        return Functions.LogSigmoid.Apply(x);
    }

    /// <summary>
    /// Binary cross entropy of probabilities, exactly <c>F.binary_cross_entropy(input, target, weight=None,
    /// reduction="mean")</c>: per element loss = -w (t log x + (1 - t) log(1 - x)), each log clamped to &gt;= -100 as
    /// PyTorch does, so a prediction of exactly 0 or 1 gives a loss of at most 100, not infinity. "mean" averages over
    /// every element, "sum" adds, "none" keeps the shape.
    /// <para>input and target must have one shape (PyTorch raises for a different size); <paramref name="weight"/>
    /// broadcasts to it. Every input value must lie in [0, 1], as PyTorch checks (it does not check the target, and
    /// neither does this); the check reads the input back from the device. The gradient is PyTorch's:
    /// w (x - t) / max(x (1 - x), 1e-12) for the input and -w logit(x) for the target (see
    /// <see cref="Functions.BinaryCrossEntropy"/>). For logits, use the stabler
    /// <see cref="BinaryCrossEntropyWithLogits"/>.</para>
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean")
    {
        const string op = "binary_cross_entropy";
        CheckBinaryArguments(op, input, target, reduction);
        CheckElementWeight(op, "weight", weight, input);
        if (input.Count > 0)
        {
            // NaN fails both comparisons, so it is refused too, as in PyTorch.
            using var inRange = (input.Ge(0.0).To(DType.Int32) * input.Le(1.0).To(DType.Int32)).Sum();
            long bad = input.Count - inRange.Item<long>();   // the sum of integers is Int64, as in PyTorch
            if (bad > 0)
            {
                using var lo = input.Min();
                using var hi = input.Max();
                throw new ArgumentOutOfRangeException(nameof(input), $"{op}: every element of input must be a probability in [0, 1] (pass logits to binary_cross_entropy_with_logits), " +
                                                                    $"got {bad} outside, values from {lo.Item()} to {hi.Item()}");
            }
        }
        var loss = Functions.BinaryCrossEntropy.Apply(input, target);
        if (weight is not null) loss = loss * weight;
        return ReduceLoss(loss, reduction);
    }

    /// <summary>
    /// Binary cross entropy of logits, exactly <c>F.binary_cross_entropy_with_logits(input, target, weight=None,
    /// pos_weight=None, reduction="mean")</c>, in PyTorch's numerically stable form (no sigmoid is rounded to 0 or 1):
    /// with l = log sigmoid(x) (<see cref="LogSigmoid"/>) and p = <paramref name="posWeight"/>,
    /// loss = w ((1 - t) x - (1 + (p - 1) t) l), which is -w (p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))).
    /// pos_weight weighs the positive term (typically [C], one per class on the last dim, = negatives / positives);
    /// weight and pos_weight each broadcast to the input's shape. input and target must have one shape (PyTorch
    /// raises otherwise). The target is not range-checked (PyTorch does not check it either). The gradient for the
    /// input is w ((1 + (p - 1) t) sigmoid(x) - p t), as PyTorch's.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null,
                                                      string reduction = "mean")
    {
        const string op = "binary_cross_entropy_with_logits";
        CheckBinaryArguments(op, input, target, reduction);
        CheckElementWeight(op, "weight", weight, input);
        CheckElementWeight(op, "posWeight", posWeight, input);
        var logSig = Functions.LogSigmoid.Apply(input);
        if (posWeight is not null) logSig = logSig * ((posWeight - 1.0) * target + 1.0); // log_weight = 1 + (p - 1) t
        var loss = (1.0 - target) * input - logSig;
        if (weight is not null) loss = loss * weight;
        return ReduceLoss(loss, reduction);
    }

    [GradChecks]
    internal static OpChecks BinaryCrossEntropyWithLogitsChecks() => OpChecks.Composite("nn")
        .Op("bce_with_logits", x => BinaryCrossEntropyWithLogits(x[0], x[1]), d => d.BinarySample(logits: true, withWeight: false, withPosWeight: false),
            uses: [typeof(Functions.LogSigmoid), typeof(Functions.Mean)])
        .Op("bce_with_logits_weight_pos_weight_sum", x => BinaryCrossEntropyWithLogits(x[0], x[1], x[2], x[3], reduction: "sum"),
            d => d.BinarySample(logits: true, withWeight: true, withPosWeight: true), uses: [typeof(Functions.LogSigmoid), typeof(Functions.Mul)])
        .Op("bce_with_logits_pos_weight_none", x => BinaryCrossEntropyWithLogits(x[0], x[1], posWeight: x[2], reduction: "none"),
            d => d.BinarySample(logits: true, withWeight: false, withPosWeight: true), uses: [typeof(Functions.LogSigmoid), typeof(Functions.Mul)]);

    /// <summary>Shared checks of the elementwise losses: floats of one dtype, device and shape, and a known reduction.</summary>
    private static void CheckBinaryArguments(string op, Tensor input, Tensor target, string reduction)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(op, reduction);
        CheckFloat(op, "input", input);
        CheckSameDType(op, input, "input", target, "target");
        if (!input.ShapeRef.SequenceEqual(target.ShapeRef))
            throw new ArgumentException($"{op}: expected a target of the input's shape {Fmt(input.ShapeRef)}, got {Fmt(target.ShapeRef)}; reshape one (broadcasting is not applied)", nameof(target));
    }

    /// <summary>A per-element weight: null, or a tensor of the input's dtype and device that broadcasts to its shape.</summary>
    private static void CheckElementWeight(string op, string name, Tensor? weight, Tensor input)
    {
        if (weight is null) return;
        CheckSameDType(op, input, "input", weight, name);
        if (!ShapeMath.CanBroadcastTo(weight.ShapeRef, input.ShapeRef))
            throw new ArgumentException($"{op}: expected {name} to broadcast to the input's shape {Fmt(input.ShapeRef)}, got {Fmt(weight.ShapeRef)}", name);
    }

    /// <summary>PyTorch's apply_loss_reduction: the mean or the sum of every element, or the elements as they are.</summary>
    private static Tensor ReduceLoss(Tensor loss, string reduction) => reduction switch
    {
        "none" => loss,
        "sum" => loss.Sum(),
        _ => loss.Mean(),
    };
}
