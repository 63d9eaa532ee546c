// Numerically stable softmax and log-softmax along one axis: subtract the line's max, exponentiate, normalise.
// (TensorPrimitives.SoftMax skips the max and overflows for large logits, so it is not used.)
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Scratch up to this many bytes per line lives on the stack; longer lines rent from the array pool.</summary>
    private const int StackScratchBytes = 8 * 1024;

    public void Softmax(Strided x, Strided y, int axis, bool log)
    {
        switch (y.DType)
        {
            case DType.Float32: Softmax<float>(x, y, axis, log); break;
            case DType.Float64: Softmax<double>(x, y, axis, log); break;
            default: throw Unsupported(log ? "log_softmax" : "softmax", y.DType);
        }
    }

    private static void Softmax<T>(Strided x, Strided y, int axis, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int len = x.Shape[axis];
        if (len == 0) return;
        var lineShape = (int[])x.Shape.Clone();
        lineShape[axis] = 1;
        var lines = new StridedLoop(lineShape, [x.Strides, y.Strides], [x.Offset, y.Offset]);
        // max, subtract, exp, sum, divide: about ten simple ops per element.
        lines.Run(new SoftmaxKernel<T>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer,
            Sx = lines.InnerStrides[0], Sy = lines.InnerStrides[1],
            Length = len, StepX = x.Strides[axis], StepY = y.Strides[axis], Log = log,
        }, costPerElement: 10L * len);
    }

    private struct SoftmaxKernel<T> : IStridedKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Strided lines that sit side by side in memory are gathered this many at a time (a 64-byte row of floats).</summary>
        private const int Tile = 16;

        public T* X, Y;
        public int Sx, Sy, Length, StepX, StepY;
        public bool Log;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            bool contiguous = StepX == 1 && StepY == 1;
            // Strided lines are gathered into a buffer, computed there and scattered back. When neighbouring lines
            // are neighbours in memory (softmax over a non-last axis), a tile of them is gathered row by row, so each
            // cache line fetched serves the whole tile instead of one element. Log-softmax needs one more line of
            // scratch for the exponentials (the output holds the shifted logits meanwhile).
            int tile = contiguous ? 0 : Sx == 1 && Sy == 1 ? Math.Min(Tile, n) : 1;
            // Tile lines are padded by 64 bytes: at a power-of-two length they would otherwise all map to the same
            // L1 cache set, and the column-wise gather would evict its own writes.
            int ld = tile > 1 ? Length + 64 / sizeof(T) : Length;
            int need = tile * ld + (Log ? Length : 0);
            T[]? rented = null;
            Span<T> scratch = need * sizeof(T) <= StackScratchBytes ? stackalloc T[need] : (rented = ArrayPool<T>.Shared.Rent(need));
            Span<T> exps = Log ? scratch.Slice(tile * ld, Length) : default;
            try
            {
                if (contiguous)
                {
                    for (int i = 0; i < n; i++)
                        Line(new ReadOnlySpan<T>(X + o[0] + (long)i * Sx, Length), new Span<T>(Y + o[1] + (long)i * Sy, Length), exps, Log);
                    return;
                }
                for (int i0 = 0; i0 < n; i0 += tile)
                {
                    int g = Math.Min(tile, n - i0);
                    // Line j of the tile starts at x + j * Sx; element k of every line is at k * StepX from there.
                    T* x = X + o[0] + (long)i0 * Sx, y = Y + o[1] + (long)i0 * Sy;
                    for (int k = 0; k < Length; k++)
                    {
                        T* xk = x + (long)k * StepX;
                        for (int j = 0; j < g; j++) scratch[j * ld + k] = xk[(long)j * Sx];
                    }
                    for (int j = 0; j < g; j++)
                    {
                        var line = scratch.Slice(j * ld, Length);
                        Line(line, line, exps, Log);
                    }
                    for (int k = 0; k < Length; k++)
                    {
                        T* yk = y + (long)k * StepY;
                        for (int j = 0; j < g; j++) yk[(long)j * Sy] = scratch[j * ld + k];
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
    /// y = softmax(x) or log_softmax(x) of one contiguous line (x and y may be the same memory). A line of all -inf
    /// gives NaN (-inf - -inf), as in the reference; a NaN anywhere makes the whole line NaN.
    /// </summary>
    private static void Line<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> exps, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, m, y);
        if (log)
        {
            TensorPrimitives.Exp(y, exps);
            TensorPrimitives.Subtract(y, T.Log(TensorPrimitives.Sum<T>(exps)), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum<T>(y), y);
        }
    }
}
