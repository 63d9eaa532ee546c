// The tensor's indexer, x[.., 1..^1]: a raw view when nothing is recorded, else the same view built from
// differentiable steps (slice, narrow, squeeze, unsqueeze) so that gradients reach x.
using DotGrad.Autodiff;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>
    /// A view selected by C# indices and ranges, like NumPy/PyTorch basic indexing: <c>x[0]</c> drops dim 0,
    /// <c>x[.., 1..^1]</c> slices dim 1, <c>x[^1]</c> is the last row. Ranges are clamped like Python slices.
    /// Setting copies a tensor (broadcast) into the view, in place, as PyTorch's <c>x[...] = v</c>: the write counts in
    /// x's version (a backward that saved x refuses to use the new values), and on a tensor in a graph it is recorded,
    /// so gradients see it. Writing into a leaf that requires grad is refused outside <see cref="Autograd.NoGrad"/>.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Indexer")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => Index(this, indices);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ThrowIfDisposed();
            Autodiff.Functions.IndexAssign.Apply(this, indices, value);
        }
    }

    private static Tensor Index(Tensor x, TensorIndex[] indices) =>
        Autograd.IsRecording([x]) ? IndexRecorded(x, indices) : TensorIndex.ApplyRaw(x, indices);

    /// <summary>The same view built from differentiable steps (slice, select, unsqueeze), so gradients reach x.</summary>
    private static Tensor IndexRecorded(Tensor x, TensorIndex[] indices)
    {
        TensorIndex.ApplyRaw(x, indices).Dispose(); // validates with the same messages
        int consumed = indices.Count(i => i.ConsumesDim);
        var t = x;
        int dim = 0;
        foreach (var idx in indices)
        {
            switch (idx.IndexKind)
            {
                case TensorIndex.Kind.Ellipsis:
                    dim += x.Rank - consumed;
                    break;
                case TensorIndex.Kind.NewAxis:
                    t = t.Unsqueeze(dim++);
                    break;
                case TensorIndex.Kind.Position:
                {
                    int size = t.ShapeRef[dim];
                    int i = idx.Position.IsFromEnd ? size - idx.Position.Value : idx.Position.Value;
                    t = t.Narrow(dim, i, 1).Squeeze(dim);
                    break;
                }
                case TensorIndex.Kind.Range:
                {
                    int size = t.ShapeRef[dim];
                    int start = idx.Span.Start.IsFromEnd ? size - idx.Span.Start.Value : idx.Span.Start.Value;
                    int end = idx.Span.End.IsFromEnd ? size - idx.Span.End.Value : idx.Span.End.Value;
                    t = t.Slice(dim++, start, end);
                    break;
                }
            }
        }
        return ReferenceEquals(t, x) ? x.Alias() : t;
    }
}
