// Softmax cross entropy per row, forward and backward, each one pass over the logits: the loss from the row's
// logsumexp, the gradient (softmax - smoothed one-hot) * row weight without building the one-hot.
// CompositeKernels.CrossEntropy / CrossEntropyBackward are the oracles.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void CrossEntropy(Strided x, Strided labels, Strided loss, int ignoreIndex, double eps)
    {
        const string op = "cross_entropy";
        CheckCrossEntropyOperands(op, x, labels, loss);
        if (x.Shape[1] > 1 && x.Strides[1] != 1)
        {
            new CompositeKernels(this).CrossEntropy(x, labels, loss, ignoreIndex, eps);     // rows not contiguous
            return;
        }
        switch (x.DType)
        {
            case DType.Float32: CrossEntropy<float>(x, labels, loss, ignoreIndex, eps); break;
            case DType.Float64: CrossEntropy<double>(x, labels, loss, ignoreIndex, eps); break;
            default: throw Unsupported(op, x.DType);
        }
    }

    public void CrossEntropyBackward(Strided x, Strided labels, Strided rowWeight, Strided dx, double eps)
    {
        const string op = "cross_entropy_backward";
        CheckCrossEntropyOperands(op, x, labels, rowWeight);
        if (x.Shape[1] > 1 && (x.Strides[1] != 1 || dx.Strides[1] != 1))
        {
            new CompositeKernels(this).CrossEntropyBackward(x, labels, rowWeight, dx, eps);
            return;
        }
        switch (x.DType)
        {
            case DType.Float32: CrossEntropyBackward<float>(x, labels, rowWeight, dx, eps); break;
            case DType.Float64: CrossEntropyBackward<double>(x, labels, rowWeight, dx, eps); break;
            default: throw Unsupported(op, x.DType);
        }
    }

    private static void CheckCrossEntropyOperands(string op, Strided x, Strided labels, Strided perRow)
    {
        if (x.Rank != 2 || labels.Rank != 1 || perRow.Rank != 1 || labels.Shape[0] != x.Shape[0] || perRow.Shape[0] != x.Shape[0])
            throw new ArgumentException($"{op}: expected logits [M, C] with labels and per-row values [M], got {x} and {labels} and {perRow}");
        if (labels.DType != DType.Int32 || perRow.DType != x.DType)
            throw new ArgumentException($"{op}: expected Int32 labels and per-row values of the logits' dtype {x.DType}, got {labels.DType} and {perRow.DType}");
    }

    private static int CheckedLabel(string op, int label, int C) =>
        (uint)label < (uint)C ? label
            : throw new ArgumentException($"{op}: label {label} is out of range for {C} classes (expected 0 <= label < {C}, or the ignore index)");

    private static void CrossEntropy<T>(Strided x, Strided labels, Strided loss, int ignoreIndex, double eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int M = x.Shape[0], C = x.Shape[1];
        // Pointers travel into the row lambda as addresses (a lambda cannot capture a pointer).
        nint xAt = (nint)((T*)((HostStorage)x.Storage).Pointer + x.Offset), lossAt = (nint)((T*)((HostStorage)loss.Storage).Pointer + loss.Offset);
        nint labelsAt = (nint)((int*)((HostStorage)labels.Storage).Pointer + labels.Offset);
        int sx = x.Strides[0], sl = loss.Strides[0], slab = labels.Strides[0];
        T keepLabel = T.CreateChecked(1 - eps), meanShare = T.CreateChecked(C == 0 ? 0 : eps / C);
        RowChunks(M, 3L * C, (start, end) =>
        {
            T* X = (T*)xAt, L = (T*)lossAt;
            int* Lab = (int*)labelsAt;
            T[]? rented = null;
            Span<T> scratch = C * sizeof(T) <= StackScratchBytes ? stackalloc T[C] : (rented = ArrayPool<T>.Shared.Rent(C)).AsSpan(0, C);
            try
            {
                for (int i = start; i < end; i++)
                {
                    int label = Lab[(long)i * slab];
                    if (label == ignoreIndex)
                    {
                        L[(long)i * sl] = T.Zero;
                        continue;
                    }
                    label = CheckedLabel("cross_entropy", label, C);
                    var row = new ReadOnlySpan<T>(X + (long)i * sx, C);
                    // logsumexp = max + log(sum(exp(x - max))); the smoothing term needs the row's sum of logits.
                    T max = TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, max, scratch);
                    TensorPrimitives.Exp(scratch, scratch);
                    T lse = max + T.Log(TensorPrimitives.Sum<T>(scratch));
                    T value = lse - keepLabel * row[label];
                    if (eps != 0) value -= meanShare * TensorPrimitives.Sum(row);
                    L[(long)i * sl] = value;
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<T>.Shared.Return(rented);
            }
        });
    }

    private static void CrossEntropyBackward<T>(Strided x, Strided labels, Strided rowWeight, Strided dx, double eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int M = x.Shape[0], C = x.Shape[1];
        if (C == 0) return;
        nint xAt = (nint)((T*)((HostStorage)x.Storage).Pointer + x.Offset), dxAt = (nint)((T*)((HostStorage)dx.Storage).Pointer + dx.Offset);
        nint wAt = (nint)((T*)((HostStorage)rowWeight.Storage).Pointer + rowWeight.Offset);
        nint labelsAt = (nint)((int*)((HostStorage)labels.Storage).Pointer + labels.Offset);
        int sx = x.Strides[0], sd = dx.Strides[0], sw = rowWeight.Strides[0], slab = labels.Strides[0];
        T keepLabel = T.CreateChecked(1 - eps), uniform = T.CreateChecked(eps / C);
        RowChunks(M, 4L * C, (start, end) =>
        {
            T* X = (T*)xAt, D = (T*)dxAt, W = (T*)wAt;
            int* Lab = (int*)labelsAt;
            for (int i = start; i < end; i++)
            {
                int label = CheckedLabel("cross_entropy_backward", Lab[(long)i * slab], C);
                T w = W[(long)i * sw];
                var row = new ReadOnlySpan<T>(X + (long)i * sx, C);
                var d = new Span<T>(D + (long)i * sd, C);
                // p = exp(x - max) / sum; dx = p w - (eps / C) w, and -(1 - eps) w more on the label.
                T max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, d);
                TensorPrimitives.Exp(d, d);
                TensorPrimitives.Multiply(d, w / TensorPrimitives.Sum<T>(d), d);
                if (eps != 0) TensorPrimitives.Subtract(d, uniform * w, d);
                d[label] -= keepLabel * w;
            }
        });
    }

    /// <summary>Runs body(start, end) over row ranges covering [0, rows), in parallel when rows * costPerRow is large.</summary>
    private static void RowChunks(int rows, long costPerRow, Action<int, int> body)
    {
        int chunks = ChunkCount(rows * Math.Max(1, costPerRow), rows);
        if (chunks <= 1)
        {
            body(0, rows);
            return;
        }
        ParallelFor(chunks, c => body((int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks)));
    }
}
