// Reference reductions: sum/max/min over any set of axes, arg-max/min along one axis, stable softmax.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp>
    {
        // One accumulator per output element; every input element folds into the one its kept dims point at.
        // Integers fold in their own width and wrap on overflow (as PyTorch's do); floats fold in double.
        int yCount = y.Count;
        bool isInt = x.DType == DType.Int32, isLong = x.DType == DType.Int64;
        var acc = new double[yCount];
        var accInt = new int[yCount];
        var accLong = new long[yCount];
        Array.Fill(acc, TOp.Identity);
        Array.Fill(accInt, TOp.IdentityInt32);
        Array.Fill(accLong, TOp.IdentityInt64);
        var yShape = y.Shape;
        for (int i = 0, n = x.Count; i < n; i++)
        {
            int yi = OutputIndex(i, x.Shape, yShape);
            if (isLong) accLong[yi] = TOp.Combine(accLong[yi], GetInt64(x.Storage, OffsetOf(i, x)));
            else if (isInt) accInt[yi] = TOp.Combine(accInt[yi], (int)Get(x.Storage, OffsetOf(i, x)));
            else acc[yi] = TOp.Combine(acc[yi], Get(x.Storage, OffsetOf(i, x)));
        }
        for (int j = 0; j < yCount; j++)
        {
            if (isLong) SetInt64(y.Storage, OffsetOf(j, y), accLong[j]);
            else Set(y.Storage, OffsetOf(j, y), isInt ? accInt[j] : acc[j]);
        }
    }

    /// <summary>Row-major position in the keepdim-shaped output of input element <paramref name="linear"/>.</summary>
    private static int OutputIndex(int linear, int[] xShape, int[] yShape)
    {
        int yi = 0, scale = 1;
        for (int d = xShape.Length - 1; d >= 0; d--)
        {
            int idx = linear % xShape[d];
            linear /= xShape[d];
            if (yShape[d] != 1) yi += idx * scale;
            scale *= yShape[d];
        }
        return yi;
    }

    public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max)
    {
        int len = x.Shape[axis], stride = x.Strides[axis];
        for (int j = 0, n = values.Count; j < n; j++)
        {
            // The first element of this output's line in x: the output index with 0 on the axis.
            int start = OffsetOf(j, values.Shape, x.Strides, x.Offset);
            int best = 0;
            if (x.DType == DType.Int64)
            {
                // Compared as longs: two Int64 values beyond 2^53 can round to one double.
                long bestLong = GetInt64(x.Storage, start);
                for (int k = 1; k < len; k++)
                {
                    long v = GetInt64(x.Storage, start + k * stride);
                    if (max ? v > bestLong : v < bestLong) { best = k; bestLong = v; }
                }
                SetInt64(values.Storage, OffsetOf(j, values), bestLong);
                SetInt64(indices.Storage, OffsetOf(j, indices), best);
                continue;
            }
            double bestValue = Get(x.Storage, start);
            for (int k = 1; k < len; k++)
            {
                double v = Get(x.Storage, start + k * stride);
                if (double.IsNaN(bestValue)) break;
                if (double.IsNaN(v) || (max ? v > bestValue : v < bestValue)) { best = k; bestValue = v; }
            }
            Set(values.Storage, OffsetOf(j, values), bestValue);
            Set(indices.Storage, OffsetOf(j, indices), best);
        }
    }
}
