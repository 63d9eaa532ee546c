// The backward of softmax and log-softmax, one pass per line: a dot product (or a sum) and one fused update,
// where the tensor-op form makes four full-size passes (CompositeKernels.SoftmaxBackward is that form, the oracle).
using System.Numerics;
using System.Numerics.Tensors;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void SoftmaxBackward(Strided y, Strided dy, Strided dx, int axis, bool log)
    {
        string op = log ? "log_softmax_backward" : "softmax_backward";
        if (y.DType != dx.DType || dy.DType != dx.DType)
            throw new ArgumentException($"{op}: expected y, dy and dx of one dtype, got {y.DType}, {dy.DType} and {dx.DType}");
        int len = y.Shape[axis];
        if (len > 1 && (dx.Strides[axis] != 1 || axis != y.Rank - 1 && (y.Strides[axis] != 1 || dy.Strides[axis] != 1)))
        {
            // Lines that are not contiguous over a leading axis (softmax over dim 0) are rare in training; the
            // composite's strided primitives handle them.
            new CompositeKernels(this).SoftmaxBackward(y, dy, dx, axis, log);
            return;
        }
        if (len > 1 && (y.Strides[axis] != 1 || dy.Strides[axis] != 1))
        {
            // Along the last axis, an input with strided lines (dy often arrives as a transposed matmul product) is
            // copied contiguous once: one pass, then the line kernel, instead of the composite's four strided passes.
            var yc = y.Strides[axis] == 1 ? y : ContiguousCopy(y);
            var dyc = dy.Strides[axis] == 1 ? dy : ContiguousCopy(dy);
            try
            {
                SoftmaxBackward(yc, dyc, dx, axis, log);
            }
            finally
            {
                if (!ReferenceEquals(yc.Storage, y.Storage)) yc.Storage.Release();
                if (!ReferenceEquals(dyc.Storage, dy.Storage)) dyc.Storage.Release();
            }
            return;
        }
        switch (dx.DType)
        {
            case DType.Float32: SoftmaxBackward<float>(y, dy, dx, axis, log); break;
            case DType.Float64: SoftmaxBackward<double>(y, dy, dx, axis, log); break;
            default: throw Unsupported(op, dx.DType);
        }
    }

    /// <summary>A contiguous copy of a view in a new buffer, which the caller releases.</summary>
    private Strided ContiguousCopy(Strided x)
    {
        var copy = new Strided(Allocate(x.DType, x.Count), x.Shape, ShapeMath.ContiguousStrides(x.Shape), 0);
        Copy(x, copy);
        return copy;
    }

    private static void SoftmaxBackward<T>(Strided y, Strided dy, Strided dx, int axis, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int len = y.Shape[axis];
        if (len == 0) return;
        var lineShape = (int[])y.Shape.Clone();
        lineShape[axis] = 1;
        var lines = new StridedLoop(lineShape, [y.Strides, dy.Strides, dx.Strides], [y.Offset, dy.Offset, dx.Offset]);
        // A dot product and a subtract-multiply (or an exp): about four simple ops per element.
        lines.Run(new SoftmaxBackwardKernel<T>
        {
            Y = (T*)((HostStorage)y.Storage).Pointer, Dy = (T*)((HostStorage)dy.Storage).Pointer, Dx = (T*)((HostStorage)dx.Storage).Pointer,
            Sy = lines.InnerStrides[0], Sdy = lines.InnerStrides[1], Sdx = lines.InnerStrides[2], Length = len, Log = log,
        }, costPerElement: 4L * len);
    }

    private struct SoftmaxBackwardKernel<T> : IStridedKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Y, Dy, Dx;
        public int Sy, Sdy, Sdx, Length;
        public bool Log;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                var y = new ReadOnlySpan<T>(Y + o[0] + (long)i * Sy, Length);
                var dy = new ReadOnlySpan<T>(Dy + o[1] + (long)i * Sdy, Length);
                var dx = new Span<T>(Dx + o[2] + (long)i * Sdx, Length);
                if (Log)
                {
                    // dx = dy - exp(y) sum(dy), written as exp(y) (-sum) + dy.
                    T s = TensorPrimitives.Sum(dy);
                    TensorPrimitives.Exp(y, dx);
                    TensorPrimitives.MultiplyAdd(dx, -s, dy, dx);
                }
                else
                {
                    // dx = y (dy - sum(dy y)).
                    T s = TensorPrimitives.Dot(dy, y);
                    TensorPrimitives.Subtract(dy, s, dx);
                    TensorPrimitives.Multiply(dx, y, dx);
                }
            }
        }
    }
}
