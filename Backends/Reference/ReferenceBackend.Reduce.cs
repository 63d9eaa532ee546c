// Reference reductions: sum/max/min over any set of axes, arg-max/min along one axis, stable softmax.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp>
    {
        // One accumulator per output element; every input element folds into the one its kept dims point at.
        int yCount = y.Count;
        bool isInt = x.DType == DType.Int32;
        var acc = new double[yCount];
        var accInt = new int[yCount];
        Array.Fill(acc, TOp.Identity);
        Array.Fill(accInt, TOp.IdentityInt32);
        var yShape = y.Shape;
        for (int i = 0, n = x.Count; i < n; i++)
        {
            int yi = OutputIndex(i, x.Shape, yShape);
            double v = Get(x.Storage, OffsetOf(i, x));
            if (isInt) accInt[yi] = TOp.Combine(accInt[yi], (int)v);
            else acc[yi] = TOp.Combine(acc[yi], v);
        }
        for (int j = 0; j < yCount; j++) Set(y.Storage, OffsetOf(j, y), isInt ? accInt[j] : acc[j]);
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
