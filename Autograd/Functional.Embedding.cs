// Index lookups as torch.nn.functional has them: embedding (rows of a table, with a padding row that learns nothing)
// and one_hot.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// Rows of <paramref name="weight"/> [V, D] picked by the integer indices <paramref name="input"/> (any shape),
    /// exactly <c>F.embedding(input, weight, padding_idx=None)</c>: output [..., D] = weight[input[...]], a gather of
    /// rows whose gradient scatter-adds dOut into the rows picked (a row picked twice gets both gradients).
    /// <para>Positions whose index equals <paramref name="paddingIdx"/> (negative counts from the end, as in PyTorch)
    /// still read their row, but add nothing to its gradient, so a padding row (zeroed by
    /// <see cref="Models.Embedding"/>) stays as it is. PyTorch's max_norm, scale_grad_by_freq and sparse are not
    /// offered. Indices are range-checked by the lookup.</para>
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        const string op = "embedding";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        CheckIndexDType(op, "input", input);
        if (weight.Rank != 2)
            throw new ArgumentException($"{op}: expected a weight table of shape [V, D], got {Fmt(weight.ShapeRef)}", nameof(weight));
        if (input.Device != weight.Device)
            throw new ArgumentException($"{op}: expected input and weight on one device, got {input.Device} and {weight.Device}", nameof(input));
        int V = weight.ShapeRef[0], D = weight.ShapeRef[1];
        int? pad = paddingIdx is int p ? NormalizePaddingIdx(op, p, V) : null;
        var flat = input.Reshape(-1);                                           // [n]
        var rows = weight.IndexSelect(0, flat);                                 // [n, D]
        if (pad is int padRow && rows.RequiresGrad)
        {
            // The padding positions take their values from a detached copy, so no gradient reaches the padding row.
            var isPad = flat.Eq(padRow).Unsqueeze(1);                           // [n, 1] Bool
            rows = Tensor.Where(isPad, rows.Detach(), rows);
        }
        return rows.Reshape([.. input.ShapeRef, D]);                            // [..., D]
    }

    /// <summary>padding_idx in [-V, V) as PyTorch accepts it, counted from the end when negative; returns it in [0, V).</summary>
    internal static int NormalizePaddingIdx(string op, int paddingIdx, int V)
    {
        if (paddingIdx < -V || paddingIdx >= V)
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), paddingIdx, $"{op}: paddingIdx must be within the {V} rows of the table, in [{-V}, {V})");
        return paddingIdx < 0 ? paddingIdx + V : paddingIdx;
    }

    /// <summary>
    /// <c>F.one_hot(tensor, num_classes=-1)</c>: a new last dim of <paramref name="numClasses"/> with a 1 at each
    /// index; -1 takes max(index) + 1. Gives Int64, as PyTorch. See <see cref="Tensor.OneHot"/>.
    /// </summary>
    public static Tensor OneHot(Tensor tensor, int numClasses = -1)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.OneHot(numClasses);
    }

    [GradChecks]
    internal static OpChecks EmbeddingChecks() => OpChecks.Composite("index")
        .Op("embedding", x => Embedding(x[1], x[0]), d => d.EmbeddingSample(), uses: [typeof(Functions.IndexSelect), typeof(Functions.Reshape)])
        // The padding path with row 0 never picked (its zero gradient is on purpose, so a numeric check would disagree;
        // LossTests checks it).
        .Op("embedding_padding_idx", x => Embedding(x[1], x[0], paddingIdx: 0), d => d.EmbeddingSample(withoutZero: true),
            uses: [typeof(Functions.IndexSelect), typeof(Functions.Where)]);
}
