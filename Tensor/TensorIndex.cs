// Indexing with C# indices and ranges: x[.., 0], x[1..^1], x[TensorIndex.NewAxis], x[TensorIndex.Ellipsis, 0].
using DotGrad.Backends;

namespace DotGrad;

/// <summary>One entry of a tensor index: a position (removes the dim), a range (keeps it), a new axis, or an ellipsis.</summary>
public readonly struct TensorIndex
{
    private enum Kind { Position, Range, NewAxis, Ellipsis }

    private readonly Kind _kind;
    private readonly Index _index;
    private readonly Range _range;

    private TensorIndex(Kind kind, Index index = default, Range range = default)
    {
        _kind = kind;
        _index = index;
        _range = range;
    }

    /// <summary>Inserts a size-1 dim (NumPy's <c>None</c>).</summary>
    public static TensorIndex NewAxis => new(Kind.NewAxis);

    /// <summary>Stands for as many full ranges as needed (Python's <c>...</c>).</summary>
    public static TensorIndex Ellipsis => new(Kind.Ellipsis);

    public static implicit operator TensorIndex(int index) => new(Kind.Position, index: index < 0 ? Index.FromEnd(-index) : Index.FromStart(index));
    public static implicit operator TensorIndex(Index index) => new(Kind.Position, index: index);
    public static implicit operator TensorIndex(Range range) => new(Kind.Range, range: range);

    internal bool ConsumesDim => _kind is Kind.Position or Kind.Range;

    /// <summary>Applies the indices to a tensor, giving a view.</summary>
    internal static Tensor Apply(Tensor x, TensorIndex[] indices)
    {
        if (Autograd.IsRecording([x])) return ApplyRecorded(x, indices);
        int ellipses = indices.Count(i => i._kind == Kind.Ellipsis);
        if (ellipses > 1) throw new ArgumentException("index: at most one Ellipsis is allowed");
        int consumed = indices.Count(i => i.ConsumesDim);
        if (consumed > x.Rank)
            throw new ArgumentException($"index: too many indices ({consumed}) for a tensor of rank {x.Rank} (shape {ShapeMath.Format(x.ShapeRef)})");
        var shape = new List<int>();
        var strides = new List<int>();
        int offset = x.Offset, dim = 0;
        foreach (var idx in indices)
        {
            switch (idx._kind)
            {
                case Kind.Ellipsis:
                    for (int k = 0; k < x.Rank - consumed; k++, dim++) { shape.Add(x.ShapeRef[dim]); strides.Add(x.StridesRef[dim]); }
                    break;
                case Kind.NewAxis:
                    shape.Add(1);
                    strides.Add(1);
                    break;
                case Kind.Position:
                {
                    int size = x.ShapeRef[dim];
                    int i = idx._index.IsFromEnd ? size - idx._index.Value : idx._index.Value;
                    if (i < 0 || i >= size)
                        // ArgumentOutOfRangeException (an ArgumentException), not IndexOutOfRangeException: bad input to a public op.
                        throw new ArgumentOutOfRangeException(nameof(indices), $"index: {(idx._index.IsFromEnd ? "^" + idx._index.Value : i.ToString())} is out of range for dim {dim} of size {size} (expected {-size} <= index < {size})");
                    offset += i * x.StridesRef[dim];
                    dim++;
                    break;
                }
                case Kind.Range:
                {
                    int size = x.ShapeRef[dim];
                    int start = Math.Clamp(idx._range.Start.IsFromEnd ? size - idx._range.Start.Value : idx._range.Start.Value, 0, size);
                    int end = Math.Clamp(idx._range.End.IsFromEnd ? size - idx._range.End.Value : idx._range.End.Value, 0, size);
                    int len = Math.Max(0, end - start);
                    if (len > 0) offset += start * x.StridesRef[dim];
                    shape.Add(len);
                    strides.Add(x.StridesRef[dim]);
                    dim++;
                    break;
                }
            }
        }
        for (; dim < x.Rank; dim++) { shape.Add(x.ShapeRef[dim]); strides.Add(x.StridesRef[dim]); }
        return x.AsStrided(shape.ToArray(), strides.ToArray(), offset);
    }

    /// <summary>The same view built from differentiable steps (slice, select, unsqueeze), so gradients reach x.</summary>
    private static Tensor ApplyRecorded(Tensor x, TensorIndex[] indices)
    {
        using (Autograd.Pause()) Apply(x, indices).Dispose(); // validates with the same messages
        int consumed = indices.Count(i => i.ConsumesDim);
        var t = x;
        int dim = 0;
        foreach (var idx in indices)
        {
            switch (idx._kind)
            {
                case Kind.Ellipsis:
                    dim += x.Rank - consumed;
                    break;
                case Kind.NewAxis:
                    t = t.Unsqueeze(dim++);
                    break;
                case Kind.Position:
                {
                    int size = t.ShapeRef[dim];
                    int i = idx._index.IsFromEnd ? size - idx._index.Value : idx._index.Value;
                    t = t.Narrow(dim, i, 1).Squeeze(dim);
                    break;
                }
                case Kind.Range:
                {
                    int size = t.ShapeRef[dim];
                    int start = idx._range.Start.IsFromEnd ? size - idx._range.Start.Value : idx._range.Start.Value;
                    int end = idx._range.End.IsFromEnd ? size - idx._range.End.Value : idx._range.End.Value;
                    t = t.Slice(dim++, start, end);
                    break;
                }
            }
        }
        return ReferenceEquals(t, x) ? x.Alias() : t;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// A view selected by C# indices and ranges, like NumPy/PyTorch basic indexing: <c>x[0]</c> drops dim 0,
    /// <c>x[.., 1..^1]</c> slices dim 1, <c>x[^1]</c> is the last row. Ranges are clamped like Python slices.
    /// Setting copies a tensor (broadcast) into the view.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Indexer")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => TensorIndex.Apply(this, indices);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            using var view = TensorIndex.Apply(this, indices);
            Kernels.CopyInto(view, value, "index assignment");
        }
    }
}
