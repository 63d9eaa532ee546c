// Reference layer norm over the last axis, forward and backward: one row at a time, accumulated in double.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public void LayerNorm(Strided x, Strided? weight, Strided? bias, Strided y, Strided mean, Strided rstd, double eps)
    {
        int C = x.Shape[^1], xStep = x.Strides[^1], yStep = y.Strides[^1];
        var rowShape = x.Shape[..^1];
        for (int j = 0, rows = ShapeMath.Count(rowShape); j < rows; j++)
        {
            // Row j's first element: its position over the leading dims, with x's (y's) strides for those dims.
            int xs = OffsetOf(j, rowShape, x.Strides, x.Offset), ys = OffsetOf(j, rowShape, y.Strides, y.Offset);
            // Shifted by the first element: a constant row then sums exact zeros (mean = x[0], var = 0).
            double k0 = C > 0 ? Get(x.Storage, xs) : 0, shifted = 0;
            for (int k = 0; k < C; k++) shifted += Get(x.Storage, xs + k * xStep) - k0;
            double m = k0 + shifted / C;
            double squares = 0;
            for (int k = 0; k < C; k++)
            {
                double d = Get(x.Storage, xs + k * xStep) - m;
                squares += d * d;
            }
            double r = 1 / Math.Sqrt(squares / C + eps);
            for (int k = 0; k < C; k++)
            {
                double v = (Get(x.Storage, xs + k * xStep) - m) * r;
                if (weight is { } w) v *= Get(w.Storage, w.Offset + k * w.Strides[0]);
                if (bias is { } b) v += Get(b.Storage, b.Offset + k * b.Strides[0]);
                Set(y.Storage, ys + k * yStep, v);
            }
            Set(mean.Storage, OffsetOf(j, mean), m);
            Set(rstd.Storage, OffsetOf(j, rstd), r);
        }
    }

    public void LayerNormBackward(Strided dy, Strided x, Strided? weight, Strided mean, Strided rstd, Strided? dx, Strided? dweight, Strided? dbias)
    {
        int C = x.Shape[^1];
        var rowShape = x.Shape[..^1];
        var dw = new double[C];
        var db = new double[C];
        var xhat = new double[C];
        var g = new double[C];
        for (int j = 0, rows = ShapeMath.Count(rowShape); j < rows; j++)
        {
            int xs = OffsetOf(j, rowShape, x.Strides, x.Offset), gs = OffsetOf(j, rowShape, dy.Strides, dy.Offset);
            double m = Get(mean.Storage, OffsetOf(j, mean)), r = Get(rstd.Storage, OffsetOf(j, rstd));
            double gSum = 0, gxSum = 0;
            for (int k = 0; k < C; k++)
            {
                double d = Get(dy.Storage, gs + k * dy.Strides[^1]);
                xhat[k] = (Get(x.Storage, xs + k * x.Strides[^1]) - m) * r;
                g[k] = weight is { } w ? d * Get(w.Storage, w.Offset + k * w.Strides[0]) : d;
                gSum += g[k];
                gxSum += g[k] * xhat[k];
                dw[k] += d * xhat[k];
                db[k] += d;
            }
            if (dx is not { } dxv) continue;
            int dxs = OffsetOf(j, rowShape, dxv.Strides, dxv.Offset);
            double gMean = gSum / C, gxMean = gxSum / C;
            for (int k = 0; k < C; k++) Set(dxv.Storage, dxs + k * dxv.Strides[^1], r * (g[k] - gMean - xhat[k] * gxMean));
        }
        for (int k = 0; k < C; k++)
        {
            if (dweight is { } dwv) Set(dwv.Storage, dwv.Offset + k * dwv.Strides[0], dw[k]);
            if (dbias is { } dbv) Set(dbv.Storage, dbv.Offset + k * dbv.Strides[0], db[k]);
        }
    }
}
