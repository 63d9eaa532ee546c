// Reference scans and sorts along one axis: cumsum as a running total, sort as a stable LINQ ordering of positions.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public void CumSum(Strided x, Strided y, int axis, bool reverse)
    {
        int len = x.Shape[axis];
        if (x.Count == 0) return;
        // Integers add in long (Int32 wraps at 32 bits, as its kernel does): a double would round Int64 sums beyond 2^53.
        bool isInt = x.DType is DType.Int32 or DType.Int64;
        var lineShape = LineShape(x.Shape, axis);
        for (int j = 0, lines = ShapeMath.Count(lineShape); j < lines; j++)
        {
            int xs = OffsetOf(j, lineShape, x.Strides, x.Offset), ys = OffsetOf(j, lineShape, y.Strides, y.Offset);
            double total = 0;
            long totalInt = 0;
            for (int s = 0; s < len; s++)
            {
                int k = reverse ? len - 1 - s : s;
                int xk = xs + k * x.Strides[axis], yk = ys + k * y.Strides[axis];
                if (isInt)
                {
                    totalInt = unchecked(totalInt + GetInt64(x.Storage, xk));
                    if (x.DType == DType.Int32) totalInt = unchecked((int)totalInt);
                    SetInt64(y.Storage, yk, totalInt);
                }
                else
                {
                    total += Get(x.Storage, xk);
                    Set(y.Storage, yk, total);
                }
            }
        }
    }

    public void Sort(Strided x, Strided values, Strided indices, int axis, bool descending)
    {
        int len = x.Shape[axis];
        if (x.Count == 0) return;
        var lineShape = LineShape(x.Shape, axis);
        for (int j = 0, lines = ShapeMath.Count(lineShape); j < lines; j++)
        {
            int xs = OffsetOf(j, lineShape, x.Strides, x.Offset), step = x.Strides[axis];
            // OrderBy and OrderByDescending are stable: equal keys keep their order of position. Int64 compares as
            // longs (a double would tie distinct values beyond 2^53); the rest as doubles with NaN above every number.
            var positions = Enumerable.Range(0, len);
            IEnumerable<int> order;
            if (x.DType == DType.Int64)
            {
                var line = positions.Select(k => GetInt64(x.Storage, xs + k * step)).ToArray();
                order = descending ? positions.OrderByDescending(k => line[k]) : positions.OrderBy(k => line[k]);
            }
            else
            {
                var line = positions.Select(k => Get(x.Storage, xs + k * step)).ToArray();
                order = descending ? positions.OrderByDescending(k => line[k], NaNLargest.Instance) : positions.OrderBy(k => line[k], NaNLargest.Instance);
            }
            int vs = OffsetOf(j, lineShape, values.Strides, values.Offset), ist = OffsetOf(j, lineShape, indices.Strides, indices.Offset);
            int r = 0;
            foreach (int k in order)
            {
                CopyElement(x.Storage, xs + k * step, values.Storage, vs + r * values.Strides[axis]);   // exact for every dtype
                Set(indices.Storage, ist + r * indices.Strides[axis], k);
                r++;
            }
        }
    }

    /// <summary>x's shape with 1 on the axis: one position per line.</summary>
    private static int[] LineShape(int[] shape, int axis)
    {
        var s = (int[])shape.Clone();
        s[axis] = 1;
        return s;
    }

    /// <summary>Numbers by value (-0 equals +0), every NaN equal to every other and above every number.</summary>
    private sealed class NaNLargest : IComparer<double>
    {
        public static readonly NaNLargest Instance = new();

        public int Compare(double a, double b) =>
            double.IsNaN(a) ? (double.IsNaN(b) ? 0 : 1) : double.IsNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
    }
}
