// Arg-max/arg-min along one axis: a vectorized max (or min) of each contiguous line, then a scan for its first
// position; strided lines take the reference's scalar loop. Ties go to the first position, the first NaN wins.
using System.Numerics;
using System.Numerics.Tensors;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max)
    {
        switch (x.DType)
        {
            case DType.Float32: ArgReduce<float>(x, values, indices, axis, max); break;
            case DType.Float64: ArgReduce<double>(x, values, indices, axis, max); break;
            case DType.Int32: ArgReduce<int>(x, values, indices, axis, max); break;
            case DType.Int64: ArgReduce<long>(x, values, indices, axis, max); break;
            default: throw Unsupported(max ? "argmax" : "argmin", x.DType);
        }
    }

    private static void ArgReduce<T>(Strided x, Strided values, Strided indices, int axis, bool max) where T : unmanaged, INumber<T>
    {
        int len = x.Shape[axis];
        if (values.Count == 0) return;
        if (len == 0)
            throw new ArgumentException($"{(max ? "argmax" : "argmin")}: dim {axis} of x has size 0, and an empty line has no maximum or minimum; reduce over a non-empty dim");
        // One loop element per line: values' shape (1 on the axis) walked with x's strides finds each line's start.
        var lines = new StridedLoop(values.Shape, [x.Strides, values.Strides, indices.Strides], [x.Offset, values.Offset, indices.Offset]);
        lines.Run(new ArgKernel<T>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Values = (T*)((HostStorage)values.Storage).Pointer, Indices = (long*)((HostStorage)indices.Storage).Pointer,
            Sx = lines.InnerStrides[0], Sv = lines.InnerStrides[1], Si = lines.InnerStrides[2],
            Length = len, Step = x.Strides[axis], Max = max,
        }, costPerElement: len);
    }

    private struct ArgKernel<T> : IStridedKernel where T : unmanaged, INumber<T>
    {
        public T* X, Values;
        public long* Indices;
        public int Sx, Sv, Si, Length, Step;
        public bool Max;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                T* line = X + o[0] + (long)i * Sx;
                int best = Step == 1 ? ArgContiguous(new ReadOnlySpan<T>(line, Length), Max) : ArgStrided(line, Length, Step, Max);
                Values[o[1] + i * Sv] = line[(long)best * Step];
                Indices[o[2] + i * Si] = best;
            }
        }
    }

    /// <summary>
    /// The position of the first element equal to the line's max (min). TensorPrimitives.IndexOfMax is not used:
    /// it ranks +0 above -0, so it would answer 1 for [-0, +0] where the reference (and PyTorch) answer 0.
    /// TensorPrimitives.Max/Min return NaN when the line holds one; then the first NaN is the answer.
    /// </summary>
    private static int ArgContiguous<T>(ReadOnlySpan<T> x, bool max) where T : unmanaged, INumber<T>
    {
        T m = max ? TensorPrimitives.Max(x) : TensorPrimitives.Min(x);
        if (T.IsNaN(m))
        {
            for (int i = 0; i < x.Length; i++) if (T.IsNaN(x[i])) return i;
        }
        for (int i = 0; i < x.Length; i++) if (x[i] == m) return i;
        return 0; // unreachable: m is one of the elements
    }

    /// <summary>The reference's loop: keep the first strictly better value; a NaN is better than anything and ends the scan.</summary>
    private static int ArgStrided<T>(T* x, int length, int step, bool max) where T : unmanaged, INumber<T>
    {
        int best = 0;
        T bestValue = x[0];
        for (int k = 1; k < length && !T.IsNaN(bestValue); k++)
        {
            T v = x[(long)k * step];
            if (T.IsNaN(v) || (max ? v > bestValue : v < bestValue)) { best = k; bestValue = v; }
        }
        return best;
    }
}
