// Indexing kernels: index_select (whole inner blocks copied per index; on axis 0 of a contiguous table this is
// the embedding lookup, one span copy per token), gather and scatter_add. Index values are checked exactly as the
// reference checks them, with the same exception and message.
using System.Numerics.Tensors;
using DotGrad.Backends.Reference;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void IndexSelect(Strided x, int axis, Strided index, Strided y)
    {
        // The reference checks an index only when it copies through it, so an empty y checks nothing.
        if (y.Count == 0) return;
        int size = x.Shape[axis], m = y.Shape[axis];
        var idx = new int[m];
        int* ip = IntPointer(index);
        long* lp = LongPointer(index);
        for (int j = 0; j < m; j++) idx[j] = CheckedIndex("index_select", index, ip, lp, HostAccess.OffsetOf(j, index), size, axis);

        switch (x.DType.ElementSize())
        {
            case 1: IndexSelect<byte>(x, axis, idx, y); break;
            case 2: IndexSelect<ushort>(x, axis, idx, y); break;
            case 4: IndexSelect<int>(x, axis, idx, y); break;
            default: IndexSelect<long>(x, axis, idx, y); break;
        }
    }

    private static void IndexSelect<T>(Strided x, int axis, int[] idx, Strided y) where T : unmanaged
    {
        // y = [outer..., m, inner...]: the loop walks (outer, j) pairs, each copying one inner block. x's stride on
        // the axis is 0 in the loop because the row comes from idx[j], added by the kernel.
        int rank = y.Rank;
        var xs = (int[])x.Strides.Clone();
        xs[axis] = 0;
        var blocks = new StridedLoop(y.Shape[..(axis + 1)], [xs[..(axis + 1)], y.Strides[..(axis + 1)]], [x.Offset, y.Offset]);
        var inner = new StridedLoop(y.Shape[(axis + 1)..], [x.Strides[(axis + 1)..], y.Strides[(axis + 1)..]], [0, 0]);
        bool contiguous = inner.Inner == inner.Count && inner.InnerStrides[0] == 1 && inner.InnerStrides[1] == 1;
        blocks.Run(new IndexSelectKernel<T>
        {
            X = (T*)((HostStorage)x.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer,
            Sx = blocks.InnerStrides[0], Sy = blocks.InnerStrides[1], Step = x.Strides[axis], Idx = idx,
            Inner = inner, Contiguous = contiguous,
        }, costPerElement: inner.Count);
    }

    private struct IndexSelectKernel<T> : IStridedKernel where T : unmanaged
    {
        public T* X, Y;
        public int Sx, Sy, Step;
        public int[] Idx;
        public StridedLoop Inner;
        public bool Contiguous;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            int m = Idx.Length, j = (int)(linear % m); // the axis is the loop's last dim: j just counts and wraps
            int count = Inner.Count;
            for (int i = 0; i < n; i++)
            {
                T* x = X + o[0] + (long)i * Sx + (long)Idx[j] * Step, y = Y + o[1] + (long)i * Sy;
                if (Contiguous) new ReadOnlySpan<T>(x, count).CopyTo(new Span<T>(y, count));
                else
                {
                    var copy = new MoveKernel<T> { X = x, Y = y, Sx = Inner.InnerStrides[0], Sy = Inner.InnerStrides[1] };
                    Inner.Execute(ref copy, 0, count);
                }
                if (++j == m) j = 0;
            }
        }
    }

    /// <summary>Copies elements bit for bit (same dtype), relative to two base pointers.</summary>
    private struct MoveKernel<T> : IStridedKernel where T : unmanaged
    {
        public T* X, Y;
        public int Sx, Sy;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            T* x = X + o[0], y = Y + o[1];
            if (Sx == 1 && Sy == 1) new ReadOnlySpan<T>(x, n).CopyTo(new Span<T>(y, n));
            else for (int i = 0; i < n; i++) y[i * Sy] = x[i * Sx];
        }
    }

    public void Gather(Strided x, int axis, Strided index, Strided y)
    {
        if (y.Count == 0) return;
        // Check every index first, in the reference's order, so the first bad one is the one reported; the copy can
        // then run on any number of threads.
        int size = x.Shape[axis];
        var check = StridedLoop.Over(index);
        var validate = new CheckKernel { Op = "gather", Index = index, Ip = IntPointer(index), Lp = LongPointer(index), S = check.InnerStrides[0], Size = size, Axis = axis };
        check.Execute(ref validate, 0, check.Count);

        switch (x.DType.ElementSize())
        {
            case 1: Gather<byte>(x, axis, index, y); break;
            case 2: Gather<ushort>(x, axis, index, y); break;
            case 4: Gather<int>(x, axis, index, y); break;
            default: Gather<long>(x, axis, index, y); break;
        }
    }

    private static void Gather<T>(Strided x, int axis, Strided index, Strided y) where T : unmanaged
    {
        var xs = (int[])x.Strides.Clone();
        xs[axis] = 0; // the axis offset comes from the index value
        var loop = new StridedLoop(y.Shape, [index.Strides, y.Strides, xs], [index.Offset, y.Offset, x.Offset]);
        loop.Run(new GatherKernel<T>
        {
            Index = index, Ip = IntPointer(index), Lp = LongPointer(index), Y = (T*)((HostStorage)y.Storage).Pointer, X = (T*)((HostStorage)x.Storage).Pointer,
            Si = loop.InnerStrides[0], Sy = loop.InnerStrides[1], Sx = loop.InnerStrides[2], Step = x.Strides[axis],
        });
    }

    private struct GatherKernel<T> : IStridedKernel where T : unmanaged
    {
        public Strided Index;
        public int* Ip;
        public long* Lp;
        public T* X, Y;
        public int Si, Sy, Sx, Step;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                int off = o[0] + i * Si;
                long id = Ip != null ? Ip[off] : Lp != null ? Lp[off] : HostAccess.GetInt64(Index.Storage, off); // already checked
                Y[o[1] + i * Sy] = X[o[2] + (long)i * Sx + (long)id * Step];
            }
        }
    }

    public void ScatterAdd(Strided y, int axis, Strided index, Strided src)
    {
        switch (y.DType)
        {
            case DType.Float32: ScatterAdd<float>(y, axis, index, src); break;
            case DType.Float64: ScatterAdd<double>(y, axis, index, src); break;
            case DType.Int32: ScatterAdd<int>(y, axis, index, src); break;
            case DType.Int64: ScatterAdd<long>(y, axis, index, src); break;
            case DType.BFloat16: ScatterAdd<ushort>(y, axis, index, src); break;
            case DType.Float16: ScatterAdd<Half>(y, axis, index, src); break;
            case DType.Bool: ScatterAdd<byte>(y, axis, index, src); break;
            default: throw Unsupported("scatter_add", y.DType);
        }
    }

    /// <summary>
    /// Single-threaded on purpose: two source elements may hit one target, and a fixed order of the float additions
    /// keeps results independent of the thread count (and equal to the reference's).
    /// </summary>
    private static void ScatterAdd<T>(Strided y, int axis, Strided index, Strided src) where T : unmanaged
    {
        if (src.DType != y.DType) throw new NotSupportedException($"scatter_add: src dtype {src.DType} must match y dtype {y.DType}");
        // Nothing to add, and no index to read: an empty index has no elements even where a row loop would count rows
        // (src [2, 1, 0] has 2 rows of nothing; reading their "indices" read past the index's storage).
        if (ShapeMath.Count(src.Shape) == 0) return;
        if ((typeof(T) == typeof(float) || typeof(T) == typeof(double)) && TryScatterAddRows<T>(y, axis, index, src)) return;
        var ys = (int[])y.Strides.Clone();
        ys[axis] = 0;
        var loop = new StridedLoop(src.Shape, [index.Strides, src.Strides, ys], [index.Offset, src.Offset, y.Offset]);
        var kernel = new ScatterAddKernel<T>
        {
            Index = index, Ip = IntPointer(index), Lp = LongPointer(index), Src = (T*)((HostStorage)src.Storage).Pointer, Y = (T*)((HostStorage)y.Storage).Pointer,
            Si = loop.InnerStrides[0], Ss = loop.InnerStrides[1], Sy = loop.InnerStrides[2], Step = y.Strides[axis], Size = y.Shape[axis], Axis = axis,
        };
        loop.Execute(ref kernel, 0, loop.Count);
    }

    /// <summary>
    /// The shape of an index_select backward (and of an embedding's): the index is one position per slice along the
    /// axis (stride 0 over every other dim), and everything after the axis is one contiguous block in y and src. Then
    /// each slice of src is added to the slice of y it names as one vector add, in the order the element loop would add
    /// them: every target element receives the same float additions in the same order, so the result is identical.
    /// Returns false (nothing done) for any other layout.
    /// </summary>
    private static bool TryScatterAddRows<T>(Strided y, int axis, Strided index, Strided src) where T : unmanaged
    {
        int rank = src.Rank;
        for (int d = 0; d < rank; d++)
            if (d != axis && index.Strides[d] != 0 && src.Shape[d] > 1) return false;
        // The block after the axis: contiguous, and the same extent in y and src.
        int inner = 1;
        for (int d = rank - 1; d > axis; d--)
        {
            if (src.Shape[d] != y.Shape[d] || (src.Shape[d] > 1 && (src.Strides[d] != inner || y.Strides[d] != inner))) return false;
            inner *= src.Shape[d];
        }
        int outer = 1;
        for (int d = 0; d < axis; d++)
        {
            if (src.Shape[d] != y.Shape[d]) return false;
            outer *= src.Shape[d];
        }
        if (outer != 1) return false;                                  // leading dims: the general loop
        int count = src.Shape[axis], size = y.Shape[axis];
        int* ip = IntPointer(index);
        long* lp = LongPointer(index);
        T* Y = (T*)((HostStorage)y.Storage).Pointer + y.Offset, S = (T*)((HostStorage)src.Storage).Pointer + src.Offset;
        for (int i = 0; i < count; i++)
        {
            int id = CheckedIndex("scatter_add", index, ip, lp, index.Offset + i * index.Strides[axis], size, axis);
            T* yRow = Y + (long)id * y.Strides[axis];
            T* sRow = S + (long)i * src.Strides[axis];
            if (typeof(T) == typeof(float))
                TensorPrimitives.Add(new ReadOnlySpan<float>((float*)yRow, inner), new ReadOnlySpan<float>((float*)sRow, inner), new Span<float>((float*)yRow, inner));
            else
                TensorPrimitives.Add(new ReadOnlySpan<double>((double*)yRow, inner), new ReadOnlySpan<double>((double*)sRow, inner), new Span<double>((double*)yRow, inner));
        }
        return true;
    }

    private struct ScatterAddKernel<T> : IStridedKernel where T : unmanaged
    {
        public Strided Index;
        public int* Ip;
        public long* Lp;
        public T* Src, Y;
        public int Si, Ss, Sy, Step, Size, Axis;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++)
            {
                int id = CheckedIndex("scatter_add", Index, Ip, Lp, o[0] + i * Si, Size, Axis);
                T* y = Y + o[2] + (long)i * Sy + (long)id * Step;
                // Through double, as the reference adds: for float and double this is the plain sum (double has room
                // for a float sum's exact value); for Int32 it saturates rather than wraps, as the reference does.
                // Int64 adds in long (wrapping), as the reference does: a double would round sums beyond 2^53.
                if (typeof(T) == typeof(long)) *(long*)y += *(long*)(Src + o[1] + i * Ss);
                else *y = HostConvert.FromDouble<T>(HostConvert.ToDouble(*y) + HostConvert.ToDouble(Src[o[1] + i * Ss]));
            }
        }
    }

    private struct CheckKernel : IStridedKernel
    {
        public string Op;
        public Strided Index;
        public int* Ip;
        public long* Lp;
        public int S, Size, Axis;

        public void Run(ReadOnlySpan<int> o, int n, long linear)
        {
            for (int i = 0; i < n; i++) CheckedIndex(Op, Index, Ip, Lp, o[0] + i * S, Size, Axis);
        }
    }

    private static int* IntPointer(Strided index) => index.DType == DType.Int32 ? (int*)((HostStorage)index.Storage).Pointer : null;

    private static long* LongPointer(Strided index) => index.DType == DType.Int64 ? (long*)((HostStorage)index.Storage).Pointer : null;

    /// <summary>
    /// The index at an element offset, checked to lie in [0, size). Int32 and Int64 indices in range take the fast
    /// test; anything else goes to the reference's reader, which converts other dtypes and throws its exception.
    /// </summary>
    private static int CheckedIndex(string op, Strided index, int* ip, long* lp, int offset, int size, int axis)
    {
        if (ip != null)
        {
            int v = ip[offset];
            if ((uint)v < (uint)size) return v;
        }
        else if (lp != null)
        {
            long v = lp[offset];
            if ((ulong)v < (ulong)size) return (int)v;
        }
        return ReferenceBackend.IndexValue(op, index, offset, size, axis);
    }
}
