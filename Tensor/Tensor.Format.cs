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
        if (_disposed) return "tensor(<disposed>)";
        using var asDouble = To(DType.Float64);
        var values = asDouble.ToArray<double>();
        bool summarize = values.Length > SummaryThreshold;
        var format = ChooseFormat(values, DType);
        var body = new StringBuilder();
        const string prefix = "tensor(";
        if (Rank == 0) body.Append(format(values[0]));
        else
        {
            int width = Visible(values, summarize).Select(v => format(v).Length).DefaultIfEmpty(0).Max();
            AppendDim(body, values, 0, 0, width, format, summarize, prefix.Length);
        }
        return $"{prefix}{body}, shape={ShapeMath.Format(_shape)}, dtype={DType}, device={Device})";
    }

    private IEnumerable<double> Visible(double[] values, bool summarize)
    {
        if (!summarize) return values;
        var list = new List<double>();
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

    private void AppendDim(StringBuilder sb, double[] values, int dim, int offset, int width, Func<double, string> format, bool summarize, int indent)
    {
        int size = _shape[dim];
        int stride = ShapeMath.Count(_shape.AsSpan(dim + 1));
        bool elide = summarize && size > 2 * EdgeItems;
        sb.Append('[');
        bool first = true;
        int shown = 0;
        foreach (var i in Indices(size, summarize))
        {
            if (!first)
            {
                if (dim == Rank - 1) sb.Append(", ");
                else sb.Append(',').Append('\n', Rank - dim - 1).Append(' ', indent + dim + 1);
            }
            if (elide && shown == EdgeItems)
            {
                sb.Append("...");
                if (dim == Rank - 1) sb.Append(", ");
                else sb.Append(',').Append('\n', Rank - dim - 1).Append(' ', indent + dim + 1);
            }
            first = false;
            shown++;
            if (dim == Rank - 1) sb.Append(format(values[offset + i]).PadLeft(width));
            else AppendDim(sb, values, dim + 1, offset + i * stride, width, format, summarize, indent);
        }
        sb.Append(']');
    }

    /// <summary>Integers as integers, whole floats as "1.", others with 4 decimals, or scientific when the range is wide.</summary>
    private static Func<double, string> ChooseFormat(double[] values, DType dtype)
    {
        var inv = CultureInfo.InvariantCulture;
        if (dtype == DType.Bool) return v => v != 0 ? "True" : "False";
        if (dtype == DType.Int32) return v => ((long)v).ToString(inv);
        var finite = values.Where(double.IsFinite).Select(Math.Abs).Where(v => v > 0).ToArray();
        static string Special(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        if (values.Where(double.IsFinite).All(v => v == Math.Floor(v)) && (finite.Length == 0 || finite.Max() < 1e8))
            return v => double.IsFinite(v) ? v.ToString("0", inv) + "." : Special(v);
        bool sci = finite.Length > 0 && (finite.Max() / finite.Min() > 1000 || finite.Max() >= 1e8 || finite.Min() < 1e-4);
        if (sci) return v => double.IsFinite(v) ? v.ToString("0.0000e+00", inv) : Special(v);
        return v => double.IsFinite(v) ? v.ToString("0.0000", inv) : Special(v);
    }
}
