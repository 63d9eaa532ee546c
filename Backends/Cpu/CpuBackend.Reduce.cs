// Sum/max/min over any set of axes. Three paths: reduced axes innermost and contiguous (one vectorized Aggregate
// per output), kept axes innermost and contiguous (vectorized Accumulate of rows), and a general strided fold.
namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// A whole-tensor reduction longer than this is cut into blocks of <see cref="ReduceBlock"/> that are reduced
    /// in parallel and then combined in order. The blocks do not depend on the thread count, so neither does the sum.
    /// </summary>
    private const int ReduceBlock = 16 * 1024;

    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp>
    {
        switch (x.DType)
        {
            case DType.Float32: Reduce<TOp, float>(x, y); break;
            case DType.Float64: Reduce<TOp, double>(x, y); break;
            case DType.Int32: Reduce<TOp, int>(x, y); break;
            case DType.Int64: Reduce<TOp, long>(x, y); break;
            default: throw Unsupported(TOp.Name, x.DType);
        }
    }

    private static void Reduce<TOp, T>(Strided x, Strided y) where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        int yCount = y.Count;
        if (yCount == 0) return;

        // Which dims are reduced is read off y's shape (size 1 where x's is not), as the reference does; it is
        // what `axes` says. Kept dims carry x and y strides, reduced dims only x's.
        List<int> kShape = [], kx = [], ky = [], rShape = [], rx = [];
        for (int d = 0; d < x.Rank; d++)
        {
            if (y.Shape[d] == x.Shape[d]) { kShape.Add(x.Shape[d]); kx.Add(x.Strides[d]); ky.Add(y.Strides[d]); }
            else { rShape.Add(x.Shape[d]); rx.Add(x.Strides[d]); }
        }
        int R = ShapeMath.Count(rShape.ToArray());
        T* X = (T*)((HostStorage)x.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer;
        var outputs = new StridedLoop([.. kShape], [[.. kx], [.. ky]], [x.Offset, y.Offset]);

        if (R == 0)
        {
            // The sum of nothing is 0, the max of nothing -inf: the identity.
            var fill = StridedLoop.Over(y);
            fill.Run(new FillKernel<T> { Y = Y, Sy = fill.InnerStrides[0], Value = TypedOperators.Identity<TOp, T>() });
            return;
        }

        var (rS, rStrides) = ShapeMath.Coalesce(rShape.ToArray(), [.. rx]);
        var (kS, kStrides) = ShapeMath.Coalesce(kShape.ToArray(), [.. kx], [.. ky]);

        // (a) Each output reduces one contiguous run of x: [..., R] -> [..., 1].
        if (rS.Length == 0 || (rS.Length == 1 && rStrides[0][0] == 1))
        {
            if (yCount == 1 && R >= 4 * ReduceBlock) ReduceBlocked<TOp, T>(X + x.Offset, R, Y + y.Offset);
            else outputs.Run(new AggregateKernel<TOp, T> { X = X, Y = Y, R = R, Sx = outputs.InnerStrides[0], Sy = outputs.InnerStrides[1] }, costPerElement: R);
            return;
        }

        var rows = new StridedLoop(rS, rStrides, [0]);
        // (b) The kept inner block is contiguous in x and y: fold whole rows of x into the row of y, [R, ..., C] -> [1, ..., C].
        if (kS.Length > 0 && kStrides[0][^1] == 1 && kStrides[1][^1] == 1)
        {
            ReduceRows<TOp, T>(X, Y, x.Offset, y.Offset, kS, kStrides, rows, R);
            return;
        }

        // (c) Anything else: per output, a strided fold over the reduced dims.
        outputs.Run(new FoldKernel<TOp, T> { X = X, Y = Y, Sx = outputs.InnerStrides[0], Sy = outputs.InnerStrides[1], Rows = rows, R = R }, costPerElement: R);
    }

    private struct AggregateKernel<TOp, T> : IStridedKernel where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        public T* X, Y;
        public int R, Sx, Sy;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* x = X + o[0], y = Y + o[1];
            for (int i = 0; i < n; i++) y[i * Sy] = TypedOperators.Aggregate<TOp, T>(new ReadOnlySpan<T>(x + (long)i * Sx, R));
        }
    }

    /// <summary>One long contiguous run into one value: fixed-size blocks in parallel, then their partials in order.</summary>
    private static void ReduceBlocked<TOp, T>(T* x, int length, T* y) where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        int blocks = (length + ReduceBlock - 1) / ReduceBlock;
        var partials = new T[blocks];
        int chunks = ChunkCount(length, blocks);
        ParallelFor(chunks, c =>
        {
            for (int b = blocks * c / chunks, end = blocks * (c + 1) / chunks; b < end; b++)
            {
                int start = b * ReduceBlock;
                partials[b] = TypedOperators.Aggregate<TOp, T>(new ReadOnlySpan<T>(x + start, Math.Min(ReduceBlock, length - start)));
            }
        });
        *y = TypedOperators.Aggregate<TOp, T>(partials);
    }

    /// <summary>
    /// Path (b): y's kept inner block (C contiguous elements) starts at the identity and takes
    /// <c>Accumulate(acc, xRow)</c> for each of the R reduced positions. Work items are (outer position, column
    /// block) pairs, so a single big output row is still split across cores.
    /// </summary>
    private static void ReduceRows<TOp, T>(T* X, T* Y, int xOffset, int yOffset, int[] kS, int[][] kStrides, StridedLoop rows, int R)
        where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        int C = kS[^1];
        int[] outerShape = kS[..^1], outerX = kStrides[0][..^1], outerY = kStrides[1][..^1];
        int outerCount = ShapeMath.Count(outerShape);
        long work = (long)outerCount * C * R;
        int chunks = ChunkCount(work, (long)outerCount * ((C + 63) / 64));
        // Enough column blocks that there is an item per chunk even when there is only one output row.
        int colBlocks = Math.Max(1, Math.Min((C + 63) / 64, (chunks + outerCount - 1) / outerCount));
        long items = (long)outerCount * colBlocks;

        void RunItems(long first, long last)
        {
            for (long it = first; it < last; it++)
            {
                int oi = (int)(it / colBlocks), cb = (int)(it % colBlocks);
                int c0 = (int)((long)C * cb / colBlocks), c1 = (int)((long)C * (cb + 1) / colBlocks);
                int xo = xOffset + c0, yo = yOffset + c0;
                for (int d = outerShape.Length - 1, rem = oi; d >= 0; d--)
                {
                    int p = rem % outerShape[d];
                    rem /= outerShape[d];
                    xo += p * outerX[d];
                    yo += p * outerY[d];
                }
                new Span<T>(Y + yo, c1 - c0).Fill(TypedOperators.Identity<TOp, T>());
                var k = new AccumulateKernel<TOp, T> { X = X + xo, Acc = Y + yo, Length = c1 - c0, S = rows.InnerStrides[0] };
                rows.Execute(ref k, 0, R);
            }
        }

        if (chunks <= 1) RunItems(0, items);
        else ParallelFor(chunks, c => RunItems(items * c / chunks, items * (c + 1) / chunks));
    }

    private struct AccumulateKernel<TOp, T> : IStridedKernel where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        public T* X, Acc;
        public int Length, S;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            var acc = new Span<T>(Acc, Length);
            T* x = X + o[0];
            for (int i = 0; i < n; i++) TypedOperators.Accumulate<TOp, T>(acc, new ReadOnlySpan<T>(x + (long)i * S, Length));
        }
    }

    /// <summary>Path (c): one output; runs that happen to be contiguous still go through the vectorized Aggregate.</summary>
    private struct FoldKernel<TOp, T> : IStridedKernel where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        public T* X, Y;
        public int Sx, Sy, R;
        public StridedLoop Rows;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                var fold = new FoldRowsKernel<TOp, T>
                {
                    X = X + o[0] + (long)i * Sx, S = Rows.InnerStrides[0],
                    AccInt = TOp.IdentityInt32, AccLong = TOp.IdentityInt64, AccFloat = TOp.Identity,
                };
                Rows.Execute(ref fold, 0, R);
                long accLong = fold.AccLong;
                Y[o[1] + i * Sy] = typeof(T) == typeof(int) ? HostConvert.FromDouble<T>(fold.AccInt)
                                 : typeof(T) == typeof(long) ? *(T*)&accLong
                                 : HostConvert.FromDouble<T>(fold.AccFloat);
            }
        }
    }

    /// <summary>Folds strided values into one accumulator: Int32 in int and Int64 in long (wrapping, like the reference), floats in double.</summary>
    private struct FoldRowsKernel<TOp, T> : IStridedKernel where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        public T* X;
        public int S;
        public int AccInt;
        public long AccLong;
        public double AccFloat;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* x = X + o[0];
            if (typeof(T) == typeof(int))
            {
                int* xi = (int*)x;
                if (S == 1) AccInt = TOp.Combine(AccInt, TypedOperators.Aggregate<TOp, int>(new ReadOnlySpan<int>(xi, n)));
                else for (int i = 0; i < n; i++) AccInt = TOp.Combine(AccInt, xi[i * S]);
            }
            else if (typeof(T) == typeof(long))
            {
                long* xl = (long*)x;
                if (S == 1) AccLong = TOp.Combine(AccLong, TypedOperators.Aggregate<TOp, long>(new ReadOnlySpan<long>(xl, n)));
                else for (int i = 0; i < n; i++) AccLong = TOp.Combine(AccLong, xl[i * S]);
            }
            else if (S == 1) AccFloat = TOp.Combine(AccFloat, HostConvert.ToDouble(TypedOperators.Aggregate<TOp, T>(new ReadOnlySpan<T>(x, n))));
            else for (int i = 0; i < n; i++) AccFloat = TOp.Combine(AccFloat, HostConvert.ToDouble(x[i * S]));
        }
    }
}
