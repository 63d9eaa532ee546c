// Cumsum and sort along one axis: one line per loop element (x's shape with 1 on the axis), lines split across
// cores. Cumsum runs a scalar running total (Float32 in a double, as PyTorch's CPU kernel does); sort orders each
// line's (value, position) pairs by value then position, a strict order, so the result is stable whatever the algorithm.
using System.Numerics;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void CumSum(Strided x, Strided y, int axis, bool reverse)
    {
        switch (x.DType)
        {
            case DType.Float32: CumSumLines<float, double>(x, y, axis, reverse); break;
            case DType.Float64: CumSumLines<double, double>(x, y, axis, reverse); break;
            case DType.Int32: CumSumLines<int, int>(x, y, axis, reverse); break;
            case DType.Int64: CumSumLines<long, long>(x, y, axis, reverse); break;
            default: throw Unsupported("cumsum", x.DType);
        }
    }

    private static void CumSumLines<T, TAcc>(Strided x, Strided y, int axis, bool reverse)
        where T : unmanaged, INumber<T> where TAcc : unmanaged, INumber<TAcc>
    {
        int len = x.Shape[axis];
        if (x.Count == 0) return;
        var lineShape = (int[])x.Shape.Clone();
        lineShape[axis] = 1;
        var lines = new StridedLoop(lineShape, [x.Strides, y.Strides], [x.Offset, y.Offset]);
        lines.Run(new CumSumKernel<T, TAcc>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer,
            Sx = lines.InnerStrides[0], Sy = lines.InnerStrides[1], Length = len,
            StepX = x.Strides[axis], StepY = y.Strides[axis], Reverse = reverse,
        }, costPerElement: len);
    }

    private struct CumSumKernel<T, TAcc> : IStridedKernel where T : unmanaged, INumber<T> where TAcc : unmanaged, INumber<TAcc>
    {
        public T* X, Y;
        public int Sx, Sy, Length, StepX, StepY;
        public bool Reverse;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                T* x = X + o[0] + (long)i * Sx, y = Y + o[1] + (long)i * Sy;
                TAcc total = TAcc.Zero;
                for (int s = 0; s < Length; s++)
                {
                    long k = Reverse ? Length - 1 - s : s;
                    // Int32 wraps on overflow (unchecked context), as C and PyTorch's integer cumsum do.
                    total += TAcc.CreateTruncating(x[k * StepX]);
                    y[k * StepY] = T.CreateTruncating(total);
                }
            }
        }
    }

    public void Sort(Strided x, Strided values, Strided indices, int axis, bool descending)
    {
        switch (x.DType)
        {
            case DType.Float32: SortLines<float>(x, values, indices, axis, descending); break;
            case DType.Float64: SortLines<double>(x, values, indices, axis, descending); break;
            case DType.Int32: SortLines<int>(x, values, indices, axis, descending); break;
            case DType.Int64: SortLines<long>(x, values, indices, axis, descending); break;
            default: throw Unsupported("sort", x.DType);
        }
    }

    private static void SortLines<T>(Strided x, Strided values, Strided indices, int axis, bool descending) where T : unmanaged, INumber<T>
    {
        int len = x.Shape[axis];
        if (x.Count == 0) return;
        var lineShape = (int[])x.Shape.Clone();
        lineShape[axis] = 1;
        var lines = new StridedLoop(lineShape, [x.Strides, values.Strides, indices.Strides], [x.Offset, values.Offset, indices.Offset]);
        lines.Run(new SortKernel<T>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Values = (T*)((HostStorage)values.Storage).Pointer,
            Indices = (int*)((HostStorage)indices.Storage).Pointer,
            Sx = lines.InnerStrides[0], Sv = lines.InnerStrides[1], Si = lines.InnerStrides[2], Length = len,
            StepX = x.Strides[axis], StepV = values.Strides[axis], StepI = indices.Strides[axis], Descending = descending,
        }, costPerElement: len * Math.Max(1, BitOperations.Log2((uint)len)));
    }

    private struct SortKernel<T> : IStridedKernel where T : unmanaged, INumber<T>
    {
        public T* X, Values;
        public int* Indices;
        public int Sx, Sv, Si, Length, StepX, StepV, StepI;
        public bool Descending;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            var entries = new (T Value, int Index)[Length]; // one buffer per run of lines, reused line to line
            for (int i = 0; i < n; i++)
            {
                T* x = X + o[0] + (long)i * Sx, v = Values + o[1] + (long)i * Sv;
                int* ix = Indices + o[2] + (long)i * Si;
                for (int k = 0; k < Length; k++) entries[k] = (x[(long)k * StepX], k);
                entries.AsSpan().Sort(new ByValueThenPosition<T>(Descending));
                for (int r = 0; r < Length; r++)
                {
                    v[(long)r * StepV] = entries[r].Value;
                    ix[(long)r * StepI] = entries[r].Index;
                }
            }
        }
    }

    /// <summary>
    /// Value order (NaN above every number; -0 equal to +0), reversed when descending, then position ascending: a
    /// strict total order on the pairs of a line, so that equal values keep their order (a stable sort).
    /// </summary>
    private readonly struct ByValueThenPosition<T>(bool descending) : IComparer<(T Value, int Index)> where T : unmanaged, INumber<T>
    {
        public int Compare((T Value, int Index) a, (T Value, int Index) b)
        {
            int c = CompareValues(a.Value, b.Value);
            if (c != 0) return descending ? -c : c;
            return a.Index.CompareTo(b.Index);
        }

        private static int CompareValues(T a, T b) =>
            T.IsNaN(a) ? (T.IsNaN(b) ? 0 : 1) : T.IsNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
    }
}
