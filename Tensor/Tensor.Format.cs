// Printing like PyTorch: nested brackets, aligned columns, 4 decimals or scientific, "..." past 1000 elements.
using System.Globalization;
using System.Text;
using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>Tensors above this many elements print only <see cref="EdgeItems"/> at each end of every dim.</summary>
    public const int SummaryThreshold = 1000;
    public const int EdgeItems = 3;

    /// <summary>
    /// PyTorch's layout, e.g. <c>tensor([[0.1000, 2.0000], [...]], shape=[2, 2], dtype=Float32, device=cpu)</c>;
    /// unlike PyTorch the shape, dtype and device are always shown.
    /// </summary>
    public override string ToString()
    {
        if (IsDisposed) return "tensor(<disposed>)";
        using var asDouble = CastRaw(DType.Float64);
        var values = asDouble.ToArray<double>();
        // Int64 prints from the exact values: a double holds an Int64 exactly only up to 2^53.
        var longs = DType == DType.Int64 ? ToArray<long>() : null;
        bool summarize = values.Length > SummaryThreshold;
        const string prefix = "tensor(";
        var body = new StringBuilder();
        if (values.Length == 0 && Rank > 0) body.Append("[]"); // PyTorch prints every empty tensor as [] (the shape says the rest)
        else
        {
            var visible = Rank == 0 ? [0] : Visible(Enumerable.Range(0, values.Length).ToArray(), summarize).ToArray();
            Func<int, string> item;
            int width;
            if (longs is not null)
            {
                item = i => longs[i].ToString(CultureInfo.InvariantCulture);
                width = visible.Max(i => item(i).Length);
            }
            else
            {
                var (format, w) = ChooseFormat(visible.Select(i => values[i]).ToArray(), DType);
                item = i => format(values[i]);
                width = w;
            }
            if (Rank == 0) body.Append(item(0));
            else AppendDim(body, 0, 0, width, item, summarize, prefix.Length);
        }
        return $"{prefix}{body}, shape={ShapeMath.Format(_shape)}, dtype={DType}, device={Device})";
    }

    /// <summary>Lines of a printed vector wrap at this width, like PyTorch's default <c>linewidth</c>.</summary>
    private const int LineWidth = 80;

    /// <summary>The elements of <paramref name="values"/> that are printed (all, or the edges when summarized).</summary>
    private IEnumerable<T> Visible<T>(T[] values, bool summarize)
    {
        if (!summarize) return values;
        var list = new List<T>();
        Collect(0, 0);
        return list;

        void Collect(int dim, int offset)
        {
            int stride = ShapeMath.Count(_shape.AsSpan(dim + 1));
            foreach (var i in Indices(_shape[dim], summarize))
            {
                if (dim == Rank - 1) list.Add(values[offset + i]);
                else Collect(dim + 1, offset + i * stride);
            }
        }
    }

    private static IEnumerable<int> Indices(int size, bool summarize)
    {
        if (!summarize || size <= 2 * EdgeItems) return Enumerable.Range(0, size);
        return Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(size - EdgeItems, EdgeItems));
    }

    /// <summary>Appends dim <paramref name="dim"/> from flat position <paramref name="offset"/>; <paramref name="item"/> formats one flat position.</summary>
    private void AppendDim(StringBuilder sb, int dim, int offset, int width, Func<int, string> item, bool summarize, int indent)
    {
        int size = _shape[dim];
        int stride = ShapeMath.Count(_shape.AsSpan(dim + 1));
        bool elide = summarize && size > 2 * EdgeItems;
        if (dim == Rank - 1)
        {
            // A vector: the elided part is the item " ..." (so it reads ",  ..., "), and lines wrap after as many
            // items as fit in LineWidth, as PyTorch's _vector_str does.
            var items = new List<string>();
            int k = 0;
            foreach (var i in Indices(size, summarize))
            {
                if (elide && k++ == EdgeItems) items.Add(" ...");
                items.Add(item(offset + i).PadLeft(width));
            }
            int perLine = Math.Max(1, (LineWidth - (indent + dim)) / (width + 2));
            sb.Append('[');
            for (int j = 0; j < items.Count; j++)
            {
                if (j > 0) sb.Append(j % perLine == 0 ? ",\n" + new string(' ', indent + dim + 1) : ", ");
                sb.Append(items[j]);
            }
            sb.Append(']');
            return;
        }
        sb.Append('[');
        bool first = true;
        int shown = 0;
        foreach (var i in Indices(size, summarize))
        {
            if (!first) sb.Append(',').Append('\n', Rank - dim - 1).Append(' ', indent + dim + 1);
            if (elide && shown == EdgeItems) sb.Append("...").Append(',').Append('\n', Rank - dim - 1).Append(' ', indent + dim + 1);
            first = false;
            shown++;
            AppendDim(sb, dim + 1, offset + i * stride, width, item, summarize, indent);
        }
        sb.Append(']');
    }

    /// <summary>
    /// PyTorch's _Formatter: integers as integers; floats whose non-zero finite values are all whole as "1.";
    /// others with 4 decimals; scientific when max/min of the non-zero finite magnitudes exceeds 1000 or the max
    /// exceeds 1e8 (or, for non-whole values, the min is below 1e-4). The column width is the widest non-zero finite
    /// value (zeros, inf and nan do not widen it), every value of Int32 and Bool. (Int64 prints its exact values, see ToString.)
    /// </summary>
    private static (Func<double, string> Format, int Width) ChooseFormat(double[] visible, DType dtype)
    {
        var inv = CultureInfo.InvariantCulture;
        Func<double, string> format;
        IEnumerable<double> measured = visible;
        if (dtype == DType.Bool) format = v => v != 0 ? "True" : "False";
        else if (dtype == DType.Int32) format = v => ((long)v).ToString(inv);
        else
        {
            static string Special(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
            Func<double, string> whole = v => double.IsFinite(v) ? v.ToString("0", inv) + "." : Special(v);
            Func<double, string> sci = v => double.IsFinite(v) ? v.ToString("0.0000e+00", inv) : Special(v);
            Func<double, string> fixedPoint = v => double.IsFinite(v) ? v.ToString("0.0000", inv) : Special(v);
            var nonZero = visible.Where(v => double.IsFinite(v) && v != 0).ToArray();
            measured = nonZero;
            if (nonZero.Length == 0) format = whole;
            else
            {
                double max = nonZero.Max(Math.Abs), min = nonZero.Min(Math.Abs);
                bool intMode = nonZero.All(v => v == Math.Floor(v));
                bool useSci = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
                format = useSci ? sci : intMode ? whole : fixedPoint;
            }
        }
        int width = measured.Select(v => format(v).Length).DefaultIfEmpty(1).Max();
        return (format, Math.Max(1, width));
    }
}
