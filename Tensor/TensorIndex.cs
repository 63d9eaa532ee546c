// Indexing with C# indices and ranges: x[.., 0], x[1..^1], x[TensorIndex.NewAxis], x[TensorIndex.Ellipsis, 0].
// Here the index entries and the raw view they select; the indexer itself is in Autograd/Tensor.Indexing.cs.
using DotGrad.Backends;

namespace DotGrad;

/// <summary>One entry of a tensor index: a position (removes the dim), a range (keeps it), a new axis, or an ellipsis.</summary>
public readonly struct TensorIndex
{
    internal enum Kind { Position, Range, NewAxis, Ellipsis }

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

    // For the recorded path (Autograd/Tensor.Indexing.cs), which builds the same view from differentiable steps.
    internal Kind IndexKind => _kind;
    internal Index Position => _index;
    internal Range Span => _range;

    /// <summary>Applies the indices to a tensor, giving a view (stride arithmetic, not recorded).</summary>
    internal static Tensor ApplyRaw(Tensor x, TensorIndex[] indices)
    {
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
}
