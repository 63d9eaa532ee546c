// Losses over a class dim: softmax cross entropy from logits (Int32 or Int64 class-index or class-probability targets, per-class
// weights, ignore index, label smoothing) and the negative log likelihood of log-probabilities; MSE and z-loss.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// Softmax cross entropy from unnormalised <paramref name="logits"/>, exactly
    /// <c>F.cross_entropy(input, target, weight=, ignore_index=, reduction=, label_smoothing=)</c> (same defaults, same
    /// argument order). log p = log_softmax(logits) over the class dim (dim 1, or dim 0 for one sample);
    /// eps = <paramref name="labelSmoothing"/>; w = <paramref name="weight"/> [C] (all ones when null).
    /// <para><b>Class-index targets</b> (an integer <paramref name="target"/>): logits [N, C] with target [N];
    /// logits [N, C, d1, ...] with target [N, d1, ...]; or one sample, logits [C] with a scalar target. For a language
    /// model's [B, T, C] logits, flatten to [B*T, C] and [B*T] first. Per element with label y:
    /// loss = (1 - eps) w[y] (-log p[y]) + (eps / C) sum_c w[c] (-log p[c]). Elements whose label is
    /// <paramref name="ignoreIndex"/> contribute 0 and are not counted: "mean" divides the sum of the first term by
    /// sum w[y] and of the second term by the same sum (the weights of the non-ignored targets; their number when
    /// unweighted), so all ignored gives NaN, as in PyTorch. "sum" adds; "none" returns the per-element losses in the
    /// target's shape (0 where ignored).</para>
    /// <para><b>Class-probability targets</b> (a floating <paramref name="target"/> of the logits' shape and dtype):
    /// with q = (1 - eps) target + eps / C, per element loss = -sum_c w[c] q[c] log p[c]; "mean" divides the sum by the
    /// number of elements (N * d1 * ...; the weights do not enter the divisor), as PyTorch does. ignoreIndex must
    /// stay negative (PyTorch refuses it for probability targets).</para>
    /// <para><paramref name="fused"/> (the default) runs the plain case (index targets, no weight) as one node,
    /// <see cref="Functions.CrossEntropyFused"/>, whose backward is softmax - target; every other case, and
    /// fused = false, runs the composition from primitives (<see cref="CrossEntropyComposite"/>). Labels are
    /// range-checked on the host, which reads them back from the device. The gradient with respect to the weight,
    /// which PyTorch does not implement, is the composition's.</para>
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, int ignoreIndex = -100,
                                      string reduction = "mean", double labelSmoothing = 0.0, bool fused = true)
    {
        const string op = "cross_entropy";
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(op, reduction);
        CheckFloat(op, "logits", logits);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"{op}: labelSmoothing must be in [0, 1], got {labelSmoothing}", nameof(labelSmoothing));
        if (logits.Rank == 0)
            throw new ArgumentException($"{op}: expected logits of shape [C], [N, C] or [N, C, d1, ...], got a scalar", nameof(logits));
        int C = logits.ShapeRef[logits.Rank == 1 ? 0 : 1];
        CheckClassWeight(op, weight, logits, "logits", C);
        if (target.DType.IsFloatingPoint())
            return CrossEntropyProbabilities(logits, target, weight, ignoreIndex, reduction, labelSmoothing);

        var (flatLogits, flatLabels, outShape) = FlattenClassDim(op, logits, "logits", target, ignoreIndex);
        var loss = fused && weight is null
            // The fused kernels read Int32 labels; the range check made an Int64 label's conversion exact.
            ? Functions.CrossEntropyFused.Apply(flatLogits, flatLabels.DType == DType.Int32 ? flatLabels : flatLabels.To(DType.Int32), ignoreIndex, labelSmoothing, reduction)
            : ClassIndexLoss(flatLogits.LogSoftmax(-1), flatLabels, weight, ignoreIndex, labelSmoothing, reduction);
        return reduction == "none" ? loss.Reshape(outShape) : loss;
    }

    /// <summary>
    /// <see cref="CrossEntropy"/> written from primitives (log_softmax, gather, index_select, where, sum): the readable
    /// definition and the oracle for the fused version. Same arguments, shapes and results.
    /// </summary>
    public static Tensor CrossEntropyComposite(Tensor logits, Tensor target, Tensor? weight = null, int ignoreIndex = -100,
                                               string reduction = "mean", double labelSmoothing = 0.0) =>
        CrossEntropy(logits, target, weight, ignoreIndex, reduction, labelSmoothing, fused: false);

    /// <summary>
    /// The negative log likelihood of log-probabilities <paramref name="input"/> (from <c>log_softmax</c>), exactly
    /// <c>F.nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean")</c>: per element with label y,
    /// loss = -w[y] input[y] (0 where y is <paramref name="ignoreIndex"/>); "mean" divides the sum by sum w[y] over the
    /// non-ignored elements (their number when unweighted; NaN when none is left), "sum" adds, "none" keeps the
    /// target's shape. Shapes as <see cref="CrossEntropy"/>'s class-index form: input [N, C] with target [N],
    /// [N, C, d1, ...] with [N, d1, ...], or [C] with a scalar. <c>CrossEntropy(x, y)</c> is
    /// <c>NllLoss(x.LogSoftmax(1), y)</c>.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100, string reduction = "mean")
    {
        const string op = "nll_loss";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(op, reduction);
        CheckFloat(op, "input", input);
        if (input.Rank == 0)
            throw new ArgumentException($"{op}: expected input of shape [C], [N, C] or [N, C, d1, ...], got a scalar", nameof(input));
        CheckClassWeight(op, weight, input, "input", input.ShapeRef[input.Rank == 1 ? 0 : 1]);
        var (flatInput, flatLabels, outShape) = FlattenClassDim(op, input, "input", target, ignoreIndex);
        var loss = ClassIndexLoss(flatInput, flatLabels, weight, ignoreIndex, 0, reduction);
        return reduction == "none" ? loss.Reshape(outShape) : loss;
    }

    [GradChecks]
    internal static OpChecks CrossEntropyChecks() => OpChecks.Composite("nn")
        .Op("cross_entropy", x => CrossEntropy(x[0], x[1]), d => d.CrossEntropySample(ignore: false), uses: [typeof(Functions.CrossEntropyFused)])
        .Op("cross_entropy_smoothing_ignore_sum", x => CrossEntropy(x[0], x[1], labelSmoothing: 0.1, reduction: "sum"),
            d => d.CrossEntropySample(ignore: true), uses: [typeof(Functions.CrossEntropyFused)])
        .Op("cross_entropy_composite", x => CrossEntropyComposite(x[0], x[1], labelSmoothing: 0.2), d => d.CrossEntropySample(ignore: true),
            uses: [typeof(Functions.LogSoftmax), typeof(Functions.Gather)])
        // Inputs: logits, labels, weight [C] (a differentiable input here, so its gradient is checked too).
        .Op("cross_entropy_weight_smoothing_ignore", x => CrossEntropy(x[0], x[1], x[2], labelSmoothing: 0.3),
            d => d.WeightedClassSample(ignore: true, spatial: false), uses: [typeof(Functions.LogSoftmax), typeof(Functions.IndexSelect)])
        .Op("cross_entropy_weight_spatial_none", x => CrossEntropy(x[0], x[1], x[2], reduction: "none"),
            d => d.WeightedClassSample(ignore: true, spatial: true), uses: [typeof(Functions.LogSoftmax), typeof(Functions.Permute)])
        // Inputs: logits, probabilities of their shape, weight [C].
        .Op("cross_entropy_probabilities", x => CrossEntropy(x[0], x[1], labelSmoothing: 0.2),
            d => d.ClassProbabilitySample(withWeight: false), uses: [typeof(Functions.LogSoftmax), typeof(Functions.Mul)])
        .Op("cross_entropy_probabilities_weight_sum", x => CrossEntropy(x[0], x[1], x[2], reduction: "sum"),
            d => d.ClassProbabilitySample(withWeight: true), uses: [typeof(Functions.LogSoftmax), typeof(Functions.Mul)])
        // Inputs: log-probabilities (any values: nll_loss is linear in them), labels, weight.
        .Op("nll_loss_weight_ignore", x => NllLoss(x[0], x[1], x[2]),
            d => d.WeightedClassSample(ignore: true, spatial: false), uses: [typeof(Functions.Gather), typeof(Functions.Div)])
        .Op("nll_loss_spatial_sum", x => NllLoss(x[0], x[1], reduction: "sum"),
            d => d.WeightedClassSample(ignore: false, spatial: true), uses: [typeof(Functions.Gather), typeof(Functions.Sum)]);

    /// <summary>
    /// The class-index loss of log-probabilities <paramref name="logp"/> [M, C] and labels [M], already validated:
    /// PyTorch's nll_loss, plus its label-smoothing term when eps &gt; 0, with PyTorch's arithmetic
    /// ((1 - eps) nll + smooth * (eps / C), each reduced on its own).
    /// </summary>
    private static Tensor ClassIndexLoss(Tensor logp, Tensor labels, Tensor? weight, int ignoreIndex, double eps, string reduction)
    {
        var dtype = logp.DType;
        int C = logp.ShapeRef[1];
        var zero = Tensor.Scalar(0, dtype, logp.Device);
        var keep = labels.Ne(ignoreIndex);                                       // [M] Bool
        var safeLabels = Tensor.Where(keep, labels, Tensor.Scalar(0, labels.DType, labels.Device)); // ignored rows read class 0, then are zeroed
        var picked = -logp.Gather(1, safeLabels.Unsqueeze(1)).Squeeze(1);       // [M]: -log p[y]
        // The weight of each element's own class, 0 where ignored: the "mean" divisor is their sum.
        var rowWeight = weight is null ? keep.To(dtype) : Tensor.Where(keep, weight.IndexSelect(0, safeLabels), zero); // [M]
        var nll = Tensor.Where(keep, weight is null ? picked : picked * rowWeight, zero); // [M]: -w[y] log p[y]
        var loss = Reduce(nll);
        if (eps == 0) return loss;
        var smooth = weight is null ? -logp.Sum(-1) : -(logp * weight).Sum(-1); // [M]: -sum_c w[c] log p[c]
        smooth = Tensor.Where(keep, smooth, zero);
        return loss * (1 - eps) + Reduce(smooth) * (eps / C);

        Tensor Reduce(Tensor perRow) => reduction switch
        {
            "none" => perRow,
            "sum" => perRow.Sum(),
            _ => perRow.Sum() / rowWeight.Sum(),                                // 0 / 0 = NaN when every label is ignored, like PyTorch
        };
    }

    /// <summary>Cross entropy with class-probability targets of the logits' shape (the arguments checked by <see cref="CrossEntropy"/>).</summary>
    private static Tensor CrossEntropyProbabilities(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, string reduction, double eps)
    {
        const string op = "cross_entropy";
        CheckSameDType(op, logits, "logits", target, "target");
        if (!target.ShapeRef.SequenceEqual(logits.ShapeRef))
            throw new ArgumentException($"{op}: a floating-point target holds class probabilities and must have the logits' shape {Fmt(logits.ShapeRef)}, got {Fmt(target.ShapeRef)}; for class indices pass an Int32 or Int64 target of shape {Fmt(logits.ShapeRef.Where((_, d) => d != (logits.Rank == 1 ? 0 : 1)).ToArray())}", nameof(target));
        if (ignoreIndex >= 0)
            throw new ArgumentException($"{op}: ignoreIndex is not supported for class-probability targets (it applies to class indices), got {ignoreIndex}", nameof(ignoreIndex));
        int classDim = logits.Rank == 1 ? 0 : 1;
        int C = logits.ShapeRef[classDim];
        var logp = logits.LogSoftmax(classDim);
        var q = eps > 0 ? target * (1 - eps) + eps / C : target;                 // smoothed toward uniform, as PyTorch
        var terms = logp * q;
        if (weight is not null)
        {
            var shape = Enumerable.Repeat(1, logits.Rank).ToArray();             // [1, C, 1, ...]: w[c] along the class dim
            shape[classDim] = C;
            terms = terms * weight.Reshape(shape);
        }
        if (reduction == "none") return -terms.Sum(classDim);
        var total = -terms.Sum();
        if (reduction == "sum") return total;
        int elements = logits.Count / Math.Max(C, 1);                            // N * d1 * ...: the weights are not in the divisor
        return elements == 0 ? total * double.NaN : total / elements;           // an empty batch gives NaN, as PyTorch
    }

    /// <summary>
    /// Validates class-index targets for a loss over the class dim and flattens to input [M, C], labels [M];
    /// outShape is the target's shape (the input's shape without the class dim).
    /// </summary>
    private static (Tensor Input, Tensor Labels, int[] OutShape) FlattenClassDim(string op, Tensor input, string inputName, Tensor target, int ignoreIndex)
    {
        CheckIndexDType(op, "target", target);
        if (input.Device != target.Device)
            throw new ArgumentException($"{op}: expected {inputName} and target on one device, got {input.Device} and {target.Device}", nameof(target));

        // The target's expected shape is the input's shape without the class dim (dim 1, or dim 0 for one sample).
        int classDim = input.Rank == 1 ? 0 : 1;
        int C = input.ShapeRef[classDim];
        var outShape = input.ShapeRef.Where((_, d) => d != classDim).ToArray();
        if (!target.ShapeRef.SequenceEqual(outShape))
            throw new ArgumentException($"{op}: expected a target of shape {Fmt(outShape)} for {inputName} of shape {Fmt(input.ShapeRef)} (the class dim {classDim} removed), got {Fmt(target.ShapeRef)}", nameof(target));
        CheckLabelRange(op, target, ignoreIndex, C);

        // Move the class dim last and flatten everything else: [N, C, d1, ...] -> [N, d1, ..., C] -> [M, C].
        var perm = Enumerable.Range(0, input.Rank).Where(d => d != classDim).Append(classDim).ToArray();
        var flatInput = (classDim == input.Rank - 1 ? input : input.Permute(perm)).Reshape(-1, C);
        return (flatInput, target.Reshape(-1), outShape);
    }

    /// <summary>Class labels and embedding indices must be an index dtype (<see cref="DTypeExtensions.IsIndex"/>: Int32 or Int64).</summary>
    private static void CheckIndexDType(string op, string name, Tensor t)
    {
        if (!t.DType.IsIndex())
            throw new ArgumentException($"{op}: expected {name} to hold Int32 or Int64 indices, got {t.DType}; convert with .To(DType.Int64)", name);
    }

    /// <summary>A per-class weight: null, or a vector of C values in the input's dtype and on its device.</summary>
    private static void CheckClassWeight(string op, Tensor? weight, Tensor input, string inputName, int C)
    {
        if (weight is null) return;
        if (weight.Rank != 1 || weight.Count != C)
            throw new ArgumentException($"{op}: expected a weight of shape [{C}] (one per class of {inputName} {Fmt(input.ShapeRef)}), got {Fmt(weight.ShapeRef)}", nameof(weight));
        CheckSameDType(op, input, inputName, weight, "weight");
    }

    private static void CheckLabelRange(string op, Tensor labels, int ignoreIndex, int C)
    {
        if (labels.Count == 0) return;
        using var keep = labels.Ne(ignoreIndex);
        using var zero = Tensor.Scalar(0, DType.Int32, labels.Device);
        using var kept = Tensor.Where(keep, labels, zero);
        using var lo = kept.Min();
        using var hi = kept.Max();
        long min = (long)lo.Item(), max = (long)hi.Item();  // Int32 or Int64 labels (the message only needs the magnitude)
        if (min < 0 || max >= C)
            throw new ArgumentOutOfRangeException(nameof(labels), $"{op}: target class indices must be in [0, {C}) (or equal ignoreIndex {ignoreIndex}), got values from {min} to {max}");
    }

    /// <summary>
    /// Mean squared error (a - b)^2 with reduction "mean" (the default), "sum" or "none", like <c>F.mse_loss</c>.
    /// Unlike PyTorch, which broadcasts with a warning, the shapes must be equal: a [N] vs [N, 1] mix-up is an error.
    /// </summary>
    public static Tensor Mse(Tensor a, Tensor b, string reduction = "mean")
    {
        const string op = "mse_loss";
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckReduction(op, reduction);
        CheckFloat(op, "a", a);
        CheckSameDType(op, a, "a", b, "b");
        if (!a.ShapeRef.SequenceEqual(b.ShapeRef))
            throw new ArgumentException($"{op}: expected inputs of one shape, got {Fmt(a.ShapeRef)} and {Fmt(b.ShapeRef)}; reshape one (broadcasting is not applied)", nameof(b));
        var sq = (a - b).Square();
        return reduction switch { "none" => sq, "sum" => sq.Sum(), _ => sq.Mean() };
    }

    [GradChecks]
    internal static OpChecks MseChecks() => OpChecks.Composite("nn")
        .Op("mse", x => Mse(x[0], x[1]), d => d.SameShapePair(), uses: [typeof(Functions.Sub), typeof(Functions.Square)]);

    /// <summary>
    /// z-loss (PaLM): coefficient * mean(logsumexp(logits, -1)^2), added to the training loss to keep the softmax
    /// normaliser near 1. logits [..., C]; the mean runs over every position.
    /// </summary>
    public static Tensor ZLoss(Tensor logits, double coefficient = 1e-4)
    {
        const string op = "z_loss";
        ArgumentNullException.ThrowIfNull(logits);
        CheckFloat(op, "logits", logits);
        if (logits.Rank == 0) throw new ArgumentException($"{op}: expected logits [..., C], got a scalar", nameof(logits));
        return logits.LogSumExp(-1).Square().Mean() * coefficient;
    }

    [GradChecks]
    internal static OpChecks ZLossChecks() => OpChecks.Composite("nn")
        .Op("z_loss", x => ZLoss(x[0], 0.5), d => d.Unary(-2, 2, minRank: 1), uses: [typeof(Functions.LogSumExp)]);

    /// <summary>
    /// Logit soft-capping (Gemma 2): cap * tanh(x / cap). Near 0 it is the identity (slope 1); every output lies in
    /// (-cap, cap), so no logit can run away. Derivative: 1 - tanh(x / cap)^2.
    /// </summary>
    public static Tensor SoftCap(Tensor x, double cap)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFloat("soft_cap", "x", x);
        if (!(cap > 0) || !double.IsFinite(cap)) throw new ArgumentException($"soft_cap: the cap must be a positive number (30 is typical), got {cap}", nameof(cap));
        return (x * (1.0 / cap)).Tanh() * cap;
    }

    [GradChecks]
    internal static OpChecks SoftCapChecks() => OpChecks.Composite("nn")
        .Op("soft_cap", x => SoftCap(x[0], 1.5), d => d.Unary(-3, 3), uses: [typeof(Functions.Tanh)]);
}
