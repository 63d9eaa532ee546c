// Losses: softmax cross entropy from logits with Int32 or Int64 labels (ignore index, label smoothing), MSE and z-loss.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// Softmax cross entropy from unnormalised <paramref name="logits"/> and Int32 or Int64 class <paramref name="labels"/>,
    /// like <c>F.cross_entropy(logits, labels, ignore_index=, label_smoothing=, reduction=)</c>.
    /// <para>Shapes: logits [N, C] with labels [N]; logits [N, C, d1, ...] with labels [N, d1, ...] (the class dim
    /// is dim 1, as in PyTorch); or one sample, logits [C] with a scalar label. For a language model's [B, T, C]
    /// logits, flatten to [B*T, C] and [B*T] first.</para>
    /// <para>Per element, with log p = log_softmax(logits) over the classes and eps = <paramref name="labelSmoothing"/>:
    /// loss = (1 - eps) (-log p[label]) + eps mean_c(-log p[c]), exactly PyTorch's smoothing (the target is
    /// (1 - eps) onehot + eps / C). Elements whose label is <paramref name="ignoreIndex"/> contribute 0 and are not
    /// counted: "mean" divides the sum by the number of other elements (all ignored gives NaN, as in PyTorch),
    /// "sum" adds, "none" returns the per-element losses (0 where ignored) in the labels' shape.</para>
    /// <para><paramref name="fused"/> (the default) uses <see cref="Functions.CrossEntropyFused"/>, one graph node with
    /// its own backward (softmax - target); false uses <see cref="CrossEntropyComposite"/>, the same math from
    /// primitives. Labels are range-checked on the host, which reads them back from the device.
    /// Class-probability targets and per-class weights are not supported.</para>
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex = -100, double labelSmoothing = 0.0,
                                      string reduction = "mean", bool fused = true)
    {
        var (flatLogits, flatLabels, outShape) = FlattenForCrossEntropy(logits, labels, ignoreIndex, labelSmoothing, reduction);
        var loss = fused
            // The fused kernels read Int32 labels; the range check made an Int64 label's conversion exact.
            ? Functions.CrossEntropyFused.Apply(flatLogits, flatLabels.DType == DType.Int32 ? flatLabels : flatLabels.To(DType.Int32), ignoreIndex, labelSmoothing, reduction)
            : CrossEntropyFlat(flatLogits, flatLabels, ignoreIndex, labelSmoothing, reduction);
        return reduction == "none" ? loss.Reshape(outShape) : loss;
    }

    /// <summary>
    /// <see cref="CrossEntropy"/> written from primitives (log_softmax, gather, where, sum): the readable definition
    /// and the oracle for the fused version. Same arguments, shapes and results.
    /// </summary>
    public static Tensor CrossEntropyComposite(Tensor logits, Tensor labels, int ignoreIndex = -100, double labelSmoothing = 0.0,
                                               string reduction = "mean") =>
        CrossEntropy(logits, labels, ignoreIndex, labelSmoothing, reduction, fused: false);

    [GradChecks]
    internal static OpChecks CrossEntropyChecks() => OpChecks.Composite("nn")
        .Op("cross_entropy", x => CrossEntropy(x[0], x[1]), d => d.CrossEntropySample(ignore: false), uses: [typeof(Functions.CrossEntropyFused)])
        .Op("cross_entropy_smoothing_ignore_sum", x => CrossEntropy(x[0], x[1], labelSmoothing: 0.1, reduction: "sum"),
            d => d.CrossEntropySample(ignore: true), uses: [typeof(Functions.CrossEntropyFused)])
        .Op("cross_entropy_composite", x => CrossEntropyComposite(x[0], x[1], labelSmoothing: 0.2), d => d.CrossEntropySample(ignore: true),
            uses: [typeof(Functions.LogSoftmax), typeof(Functions.Gather)]);

    /// <summary>Cross entropy of logits [M, C] and labels [M], already validated.</summary>
    private static Tensor CrossEntropyFlat(Tensor logits, Tensor labels, int ignoreIndex, double eps, string reduction)
    {
        var dtype = logits.DType;
        var logp = logits.LogSoftmax(-1);                                   // [M, C]
        var keep = labels.Ne(ignoreIndex);                                  // [M] Bool
        var zeroLabel = Tensor.Scalar(0, DType.Int32, labels.Device);
        var safeLabels = Tensor.Where(keep, labels, zeroLabel);             // ignored rows gather class 0, then are zeroed
        var nll = -logp.Gather(1, safeLabels.Unsqueeze(1)).Squeeze(1);      // [M]: -log p[label]
        var loss = eps == 0 ? nll : nll * (1 - eps) + (-logp).Mean(-1) * eps; // + eps mean_c(-log p[c])
        loss = Tensor.Where(keep, loss, Tensor.Scalar(0, dtype, logits.Device));
        return reduction switch
        {
            "none" => loss,
            "sum" => loss.Sum(),
            _ => loss.Sum() / keep.Sum().To(dtype), // 0 / 0 = NaN when every label is ignored, like PyTorch
        };
    }

    /// <summary>Validates the arguments and flattens them to logits [M, C], labels [M]; outShape is labels' shape.</summary>
    private static (Tensor Logits, Tensor Labels, int[] OutShape) FlattenForCrossEntropy(
        Tensor logits, Tensor labels, int ignoreIndex, double labelSmoothing, string reduction)
    {
        const string op = "cross_entropy";
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        CheckReduction(op, reduction);
        CheckFloat(op, "logits", logits);
        if (!labels.DType.IsIndex())
            throw new ArgumentException($"{op}: expected Int32 or Int64 class labels, got {labels.DType}; class-probability targets are not supported (convert indices with .To(DType.Int64))", nameof(labels));
        if (logits.Device != labels.Device)
            throw new ArgumentException($"{op}: expected logits and labels on one device, got {logits.Device} and {labels.Device}", nameof(labels));
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"{op}: labelSmoothing must be in [0, 1], got {labelSmoothing}", nameof(labelSmoothing));
        if (logits.Rank == 0)
            throw new ArgumentException($"{op}: expected logits of shape [C], [N, C] or [N, C, d1, ...], got a scalar", nameof(logits));

        // The labels' expected shape is the logits' shape without the class dim (dim 1, or dim 0 for one sample).
        int classDim = logits.Rank == 1 ? 0 : 1;
        int C = logits.ShapeRef[classDim];
        var outShape = logits.ShapeRef.Where((_, d) => d != classDim).ToArray();
        if (!labels.ShapeRef.SequenceEqual(outShape))
            throw new ArgumentException($"{op}: expected labels of shape {Fmt(outShape)} for logits of shape {Fmt(logits.ShapeRef)} (the class dim {classDim} removed), got {Fmt(labels.ShapeRef)}", nameof(labels));
        CheckLabelRange(op, labels, ignoreIndex, C);

        // Move the class dim last and flatten everything else: [N, C, d1, ...] -> [N, d1, ..., C] -> [M, C].
        var perm = Enumerable.Range(0, logits.Rank).Where(d => d != classDim).Append(classDim).ToArray();
        var flatLogits = (classDim == logits.Rank - 1 ? logits : logits.Permute(perm)).Reshape(-1, C);
        return (flatLogits, labels.Reshape(-1), outShape);
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
            throw new ArgumentOutOfRangeException(nameof(labels), $"{op}: labels must be in [0, {C}) (or equal ignoreIndex {ignoreIndex}), got values from {min} to {max}");
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
