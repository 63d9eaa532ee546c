// Layer norm over the last axis, forward and backward, one row at a time: a two-pass mean and variance shifted by
// the row's first element, with SIMD accumulators, then one pass that writes the output; rows are split across cores
// when there are enough.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void LayerNorm(Strided x, Strided? weight, Strided? bias, Strided y, Strided mean, Strided rstd, double eps)
    {
        switch (x.DType)
        {
            case DType.Float32: LayerNorm<float>(x, weight, bias, y, mean, rstd, eps); break;
            case DType.Float64: LayerNorm<double>(x, weight, bias, y, mean, rstd, eps); break;
            default: throw Unsupported("layer_norm", x.DType);
        }
    }

    public void LayerNormBackward(Strided dy, Strided x, Strided? weight, Strided mean, Strided rstd, Strided? dx, Strided? dweight, Strided? dbias)
    {
        switch (x.DType)
        {
            case DType.Float32: LayerNormBackward<float>(dy, x, weight, mean, rstd, dx, dweight, dbias); break;
            case DType.Float64: LayerNormBackward<double>(dy, x, weight, mean, rstd, dx, dweight, dbias); break;
            default: throw Unsupported("layer_norm_backward", x.DType);
        }
    }

    /// <summary>x's shape with 1 on the last axis: one loop position per row.</summary>
    private static int[] RowLoopShape(Strided x)
    {
        var shape = (int[])x.Shape.Clone();
        shape[^1] = 1;
        return shape;
    }

    /// <summary>The strides of a per-row operand ([rows], the last axis dropped) over <see cref="RowLoopShape"/>.</summary>
    private static int[] PerRowStrides(Strided v) => [.. v.Strides, 0];

    /// <summary>
    /// A weight or bias [C] as a pointer to C contiguous elements: its own memory, or a copy on the pinned-object heap
    /// when strided (<paramref name="copy"/>, which the caller keeps alive while the pointer is in use).
    /// </summary>
    private static T* Contiguous<T>(Strided? v, int C, out T[]? copy) where T : unmanaged
    {
        copy = null;
        if (v is not { } s) return null;
        T* p = HostAccess.Ptr<T>(s);
        int step = s.Strides[0];
        if (step == 1 || C <= 1) return p;
        copy = GC.AllocateUninitializedArray<T>(C, pinned: true);
        for (int k = 0; k < C; k++) copy[k] = p[(long)k * step];
        return (T*)Unsafe.AsPointer(ref copy[0]);
    }

    private static void LayerNorm<T>(Strided x, Strided? weight, Strided? bias, Strided y, Strided mean, Strided rstd, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int C = x.Shape[^1];
        var lines = new StridedLoop(RowLoopShape(x), [x.Strides, y.Strides, PerRowStrides(mean), PerRowStrides(rstd)],
                                    [x.Offset, y.Offset, mean.Offset, rstd.Offset]);
        // Two sums and one affine map per element.
        lines.Run(new LayerNormKernel<T>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer,
            Mean = (T*)((HostStorage)mean.Storage).Pointer, Rstd = (T*)((HostStorage)rstd.Storage).Pointer,
            W = Contiguous<T>(weight, C, out var wCopy), B = Contiguous<T>(bias, C, out var bCopy),
            Sx = lines.InnerStrides[0], Sy = lines.InnerStrides[1], Sm = lines.InnerStrides[2], Sr = lines.InnerStrides[3],
            C = C, StepX = x.Strides[^1], StepY = y.Strides[^1], Eps = T.CreateTruncating(eps),
        }, costPerElement: 6L * Math.Max(C, 1));
        GC.KeepAlive(wCopy);
        GC.KeepAlive(bCopy);
    }

    private struct LayerNormKernel<T> : IStridedKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y, Mean, Rstd, W, B;
        public int Sx, Sy, Sm, Sr, C, StepX, StepY;
        public T Eps;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            // A strided row is gathered into scratch, normalised there in place and scattered back.
            bool contiguous = (StepX == 1 && StepY == 1) || C <= 1;
            int need = contiguous ? 0 : C;
            T[]? rented = null;
            Span<T> scratch = need * sizeof(T) <= StackScratchBytes ? stackalloc T[need] : (rented = ArrayPool<T>.Shared.Rent(need));
            try
            {
                fixed (T* row = scratch)
                {
                    for (int i = 0; i < n; i++)
                    {
                        T* x = X + o[0] + (long)i * Sx, y = Y + o[1] + (long)i * Sy;
                        if (contiguous)
                        {
                            NormalizeRow(x, y, C, W, B, Eps, out Mean[o[2] + (long)i * Sm], out Rstd[o[3] + (long)i * Sr]);
                            continue;
                        }
                        for (int k = 0; k < C; k++) row[k] = x[(long)k * StepX];
                        NormalizeRow(row, row, C, W, B, Eps, out Mean[o[2] + (long)i * Sm], out Rstd[o[3] + (long)i * Sr]);
                        for (int k = 0; k < C; k++) y[(long)k * StepY] = row[k];
                    }
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// One contiguous row (x and y may be the same memory). The mean is kept as x[0] + delta with
    /// delta = sum(x - x[0]) / C, and every deviation is formed as (x - x[0]) - delta: the first difference is exact
    /// for values near x[0], so a row with |mean| >> std loses nothing to the rounding of the mean itself (which a
    /// single float m would, by half an ulp of m). Two passes give the variance, one more the output
    /// y = dev * rstd * w + b.
    /// </summary>
    private static void NormalizeRow<T>(T* x, T* y, int C, T* w, T* b, T eps, out T mean, out T rstd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T n = T.CreateTruncating(C);
        T k0 = C > 0 ? x[0] : T.Zero;
        T delta = SumOfDifferences(x, C, k0) / n; // 0 / 0 = NaN for an empty row, as in the reference
        T r = T.One / T.Sqrt(SumOfSquaredDeviations(x, C, k0, delta) / n + eps);
        mean = k0 + delta;
        rstd = r;
        int i = 0, width = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated && C >= width)
        {
            Vector<T> kv = new(k0), dv = new(delta), rv = new(r);
            for (; i <= C - width; i += width)
            {
                var v = (Load(x + i) - kv - dv) * rv;
                if (w != null) v *= Load(w + i);
                if (b != null) v += Load(b + i);
                Store(y + i, v);
            }
        }
        for (; i < C; i++)
        {
            T v = (x[i] - k0 - delta) * r;
            if (w != null) v *= w[i];
            if (b != null) v += b[i];
            y[i] = v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load<T>(T* p) where T : unmanaged => Unsafe.ReadUnaligned<Vector<T>>(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* p, Vector<T> v) where T : unmanaged => Unsafe.WriteUnaligned(p, v);

    /// <summary>sum(x - c), with two vector accumulators so consecutive adds do not wait on each other.</summary>
    private static T SumOfDifferences<T>(T* x, int n, T c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, width = Vector<T>.Count;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && n >= width)
        {
            Vector<T> cv = new(c), a0 = Vector<T>.Zero, a1 = Vector<T>.Zero;
            for (; i <= n - 2 * width; i += 2 * width)
            {
                a0 += Load(x + i) - cv;
                a1 += Load(x + i + width) - cv;
            }
            if (i <= n - width)
            {
                a0 += Load(x + i) - cv;
                i += width;
            }
            sum = Vector.Sum(a0 + a1);
        }
        for (; i < n; i++) sum += x[i] - c;
        return sum;
    }

    /// <summary>sum(((x - c) - delta)^2), with two vector accumulators.</summary>
    private static T SumOfSquaredDeviations<T>(T* x, int n, T c, T delta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, width = Vector<T>.Count;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && n >= width)
        {
            Vector<T> cv = new(c), dv = new(delta), a0 = Vector<T>.Zero, a1 = Vector<T>.Zero;
            for (; i <= n - 2 * width; i += 2 * width)
            {
                var d0 = Load(x + i) - cv - dv;
                var d1 = Load(x + i + width) - cv - dv;
                a0 += d0 * d0;
                a1 += d1 * d1;
            }
            if (i <= n - width)
            {
                var d = Load(x + i) - cv - dv;
                a0 += d * d;
                i += width;
            }
            sum = Vector.Sum(a0 + a1);
        }
        for (; i < n; i++)
        {
            T d = x[i] - c - delta;
            sum += d * d;
        }
        return sum;
    }

    private static void LayerNormBackward<T>(Strided dy, Strided x, Strided? weight, Strided mean, Strided rstd, Strided? dx, Strided? dweight, Strided? dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int C = x.Shape[^1];
        int rows = ShapeMath.Count(x.Shape[..^1]);
        bool wantParams = dweight is not null || dbias is not null;
        if (C == 0 || (dx is null && !wantParams)) return; // every output is empty, or none is wanted
        var dxv = dx ?? dy; // a stand-in with dy's shape when dx is not wanted; the kernel never writes it
        var lines = new StridedLoop(RowLoopShape(x), [dy.Strides, x.Strides, dxv.Strides, PerRowStrides(mean), PerRowStrides(rstd)],
                                    [dy.Offset, x.Offset, dxv.Offset, mean.Offset, rstd.Offset]);
        // Each chunk of rows sums its own dweight and dbias rows, added up in chunk order afterwards (deterministic).
        long work = 10L * Math.Max(C, 1) * rows;
        int chunks = ChunkCount(work, rows);
        T[]? partials = wantParams ? GC.AllocateArray<T>(2 * chunks * C, pinned: true) : null; // [chunk][dw | db][C], zeroed
        var kernel = new LayerNormBackwardKernel<T>
        {
            DY = (T*)((HostStorage)dy.Storage).Pointer, X = (T*)((HostStorage)x.Storage).Pointer,
            DX = dx is null ? null : (T*)((HostStorage)dxv.Storage).Pointer,
            Mean = (T*)((HostStorage)mean.Storage).Pointer, Rstd = (T*)((HostStorage)rstd.Storage).Pointer,
            W = Contiguous<T>(weight, C, out var wCopy),
            Sdy = lines.InnerStrides[0], Sx = lines.InnerStrides[1], Sdx = lines.InnerStrides[2], Sm = lines.InnerStrides[3], Sr = lines.InnerStrides[4],
            C = C, StepDy = dy.Strides[^1], StepX = x.Strides[^1], StepDx = dxv.Strides[^1],
        };
        T* parts = partials is null ? null : (T*)Unsafe.AsPointer(ref partials[0]);
        if (chunks <= 1)
        {
            kernel.DW = parts;
            kernel.DB = parts is null ? null : parts + C;
            lines.Execute(ref kernel, 0, rows);
        }
        else
        {
            ParallelFor(chunks, c =>
            {
                var k = kernel;
                k.DW = parts is null ? null : parts + 2L * c * C;
                k.DB = parts is null ? null : parts + 2L * c * C + C;
                lines.Execute(ref k, (long)rows * c / chunks, (long)rows * (c + 1) / chunks);
            });
        }
        GC.KeepAlive(wCopy);
        if (!wantParams) return;
        var total = new Span<T>(parts, 2 * C);
        for (int c = 1; c < chunks; c++) TensorPrimitives.Add(total, new ReadOnlySpan<T>(parts + 2L * c * C, 2 * C), total);
        if (dweight is { } dw)
        {
            T* p = HostAccess.Ptr<T>(dw);
            for (int k = 0; k < C; k++) p[(long)k * dw.Strides[0]] = parts[k];
        }
        if (dbias is { } db)
        {
            T* p = HostAccess.Ptr<T>(db);
            for (int k = 0; k < C; k++) p[(long)k * db.Strides[0]] = parts[C + k];
        }
        GC.KeepAlive(partials);
    }

    private struct LayerNormBackwardKernel<T> : IStridedKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* DY, X, DX, Mean, Rstd, W, DW, DB;
        public int Sdy, Sx, Sdx, Sm, Sr, C, StepDy, StepX, StepDx;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            // Strided rows of dy and x are gathered into scratch, and a strided dx row is computed there and scattered.
            bool gatherDy = StepDy != 1 && C > 1, gatherX = StepX != 1 && C > 1, scatterDx = DX != null && StepDx != 1 && C > 1;
            int need = C * ((gatherDy ? 1 : 0) + (gatherX ? 1 : 0) + (scatterDx ? 1 : 0));
            T[]? rented = null;
            Span<T> scratch = need * sizeof(T) <= StackScratchBytes ? stackalloc T[need] : (rented = ArrayPool<T>.Shared.Rent(need));
            try
            {
                fixed (T* s = scratch)
                {
                    T* next = s;
                    T* dyRow = gatherDy ? Take(ref next, C) : null, xRow = gatherX ? Take(ref next, C) : null, dxRow = scatterDx ? Take(ref next, C) : null;
                    for (int i = 0; i < n; i++)
                    {
                        T* dy = DY + o[0] + (long)i * Sdy, x = X + o[1] + (long)i * Sx;
                        T* dx = DX == null ? null : DX + o[2] + (long)i * Sdx;
                        if (gatherDy) { for (int k = 0; k < C; k++) dyRow[k] = dy[(long)k * StepDy]; dy = dyRow; }
                        if (gatherX) { for (int k = 0; k < C; k++) xRow[k] = x[(long)k * StepX]; x = xRow; }
                        BackwardRow(dy, x, W, Mean[o[3] + (long)i * Sm], Rstd[o[4] + (long)i * Sr], C, scatterDx ? dxRow : dx, DW, DB);
                        if (scatterDx) for (int k = 0; k < C; k++) dx[(long)k * StepDx] = dxRow[k];
                    }
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<T>.Shared.Return(rented);
            }
        }

        private static T* Take(ref T* next, int count)
        {
            T* p = next;
            next += count;
            return p;
        }
    }

    /// <summary>
    /// One contiguous row of the backward in two passes, with xhat = (x - mean) * rstd and g = dy * w recomputed in each:
    /// the first adds dy * xhat to dw and dy to db and sums g and g * xhat; the second (when dx is wanted) writes
    /// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
    /// </summary>
    private static void BackwardRow<T>(T* dy, T* x, T* w, T mean, T rstd, int C, T* dx, T* dw, T* db)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T gSum = T.Zero, gxSum = T.Zero;
        int i = 0, width = Vector<T>.Count;
        bool vectors = Vector.IsHardwareAccelerated && C >= width;
        Vector<T> mv = new(mean), rv = new(rstd);
        if (vectors)
        {
            Vector<T> gs = Vector<T>.Zero, gxs = Vector<T>.Zero;
            for (; i <= C - width; i += width)
            {
                var d = Load(dy + i);
                var xh = (Load(x + i) - mv) * rv;
                if (dw != null) Store(dw + i, Load(dw + i) + d * xh);
                if (db != null) Store(db + i, Load(db + i) + d);
                var g = w != null ? d * Load(w + i) : d;
                gs += g;
                gxs += g * xh;
            }
            gSum = Vector.Sum(gs);
            gxSum = Vector.Sum(gxs);
        }
        for (; i < C; i++)
        {
            T d = dy[i], xh = (x[i] - mean) * rstd;
            if (dw != null) dw[i] += d * xh;
            if (db != null) db[i] += d;
            T g = w != null ? d * w[i] : d;
            gSum += g;
            gxSum += g * xh;
        }
        if (dx == null) return;

        T n = T.CreateTruncating(C);
        T gMean = gSum / n, gxMean = gxSum / n;
        i = 0;
        if (vectors)
        {
            Vector<T> gm = new(gMean), gxm = new(gxMean);
            for (; i <= C - width; i += width)
            {
                var d = Load(dy + i);
                var g = w != null ? d * Load(w + i) : d;
                Store(dx + i, rv * (g - gm - (Load(x + i) - mv) * rv * gxm));
            }
        }
        for (; i < C; i++)
        {
            T g = w != null ? dy[i] * w[i] : dy[i];
            dx[i] = rstd * (g - gMean - (x[i] - mean) * rstd * gxMean);
        }
    }
}
