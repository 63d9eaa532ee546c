// Indexing primitives: index_select, gather, scatter_add. Bad indices are found by the kernels and raised at
// the next synchronisation (see OpenCLBackend.Synchronize).
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    private const int IndexSelectOp = 1, GatherOp = 2, ScatterAddOp = 3;

    /// <summary>The OpenCL C type of an index tensor's elements: int or long (the tensor layer admits only those).</summary>
    private static string IndexType(DType dtype) => dtype switch
    {
        DType.Int32 => "int",
        DType.Int64 => "long",
        _ => throw new NotSupportedException($"OpenCL: an index of dtype {dtype}; expected Int32 or Int64"),
    };

    public void IndexSelect(Strided x, int axis, Strided index, Strided y)
    {
        int n = y.Count;
        if (n == 0) return;
        string defines = $"#define T {BitsType(y.DType)}\n#define IDX {IndexType(index.DType)}\n#define OP {IndexSelectOp}";
        Launch1D(Kernels.Kernel("index.cl", defines, "index_select"), n,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(x.Strides, "index_select"),
            KernelArg.Buffer(index.Storage), index.Offset, index.Rank == 0 ? 0 : index.Strides[0],
            KernelArg.Buffer(y.Storage), y.Offset, Int8.From(y.Strides, "index_select"), Int8.From(y.Shape, "index_select", pad: 1),
            y.Rank, axis, x.Shape[axis], n, ErrorBuffer);
    }

    public void Gather(Strided x, int axis, Strided index, Strided y)
    {
        int n = y.Count;
        if (n == 0) return;
        string defines = $"#define T {BitsType(y.DType)}\n#define IDX {IndexType(index.DType)}\n#define OP {GatherOp}";
        Launch1D(Kernels.Kernel("index.cl", defines, "gather"), n,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(x.Strides, "gather"),
            KernelArg.Buffer(index.Storage), index.Offset, Int8.From(index.Strides, "gather"),
            KernelArg.Buffer(y.Storage), y.Offset, Int8.From(y.Strides, "gather"), Int8.From(y.Shape, "gather", pad: 1),
            y.Rank, axis, x.Shape[axis], n, ErrorBuffer);
    }

    /// <summary>
    /// Deterministic scatter_add in two passes: find the first bad index (src order), then let each target
    /// element add its sources in src order. The second pass costs (src size on the axis) reads per target
    /// element: cheap for the embedding-sized axes this library trains, and free of float atomics, so every
    /// run gives the same bits as the CPU backends.
    /// </summary>
    public void ScatterAdd(Strided y, int axis, Strided index, Strided src)
    {
        if (src.Count == 0) return;
        if (y.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)) throw Unsupported("scatter_add", y.DType);
        string defines = $"#define T {CType(y.DType)}\n#define IDX {IndexType(index.DType)}\n#define OP {ScatterAddOp}";
        var limit = Allocate(DType.Int32, 1);
        try
        {
            Fill(new Strided(limit, [1], [1], 0), int.MaxValue);
            var srcShape = Int8.From(src.Shape, "scatter_add", pad: 1);
            var indexStrides = Int8.From(index.Strides, "scatter_add");
            Launch1D(Kernels.Kernel("index.cl", defines, "scatter_find_bad"), src.Count,
                KernelArg.Buffer(index.Storage), index.Offset, indexStrides, srcShape, src.Rank, axis, y.Shape[axis], src.Count,
                KernelArg.Buffer(limit), ErrorBuffer);
            var targetShape = (int[])src.Shape.Clone();
            targetShape[axis] = y.Shape[axis];
            int targets = ShapeMath.Count(targetShape);
            Launch1D(Kernels.Kernel("index.cl", defines, "scatter_add"), targets,
                KernelArg.Buffer(y.Storage), y.Offset, Int8.From(y.Strides, "scatter_add"),
                KernelArg.Buffer(index.Storage), index.Offset, indexStrides,
                KernelArg.Buffer(src.Storage), src.Offset, Int8.From(src.Strides, "scatter_add"),
                srcShape, Int8.From(targetShape, "scatter_add", pad: 1), src.Rank, axis, targets, KernelArg.Buffer(limit));
        }
        finally
        {
            // The queue runs in order, so the buffer can go back to the pool before the kernels ran.
            limit.Release();
        }
    }
}
