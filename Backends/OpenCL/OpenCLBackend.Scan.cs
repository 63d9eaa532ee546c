// Cumsum and sort along one axis (kernels in scan.cl): cumsum one work item per line, sort one work item per element
// placing it at its rank. Simple kernels for correctness on any OpenCL 1.2 device, not tuned for very long lines.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    public void CumSum(Strided x, Strided y, int axis, bool reverse)
    {
        if (x.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)) throw Unsupported("cumsum", x.DType);
        if (x.Count == 0) return;
        var (lineShape, strides) = LinesOf(x.Shape, axis, x.Strides, y.Strides);
        int lines = ShapeMath.Count(lineShape);
        string acc = x.DType switch
        {
            DType.Int32 => "uint",
            DType.Int64 => "ulong",
            DType.Float32 when !Info.SupportsFloat64 => "float",
            _ => "double",
        };
        string store = x.DType switch { DType.Int32 => "as_int(v)", DType.Int64 => "as_long(v)", _ => $"({CType(x.DType)})(v)" };
        string defines = $"#define T {CType(x.DType)}\n#define ACC {acc}\n#define STORE_ACC(v) {store}";
        Launch1D(Kernels.Kernel("scan.cl", defines, "cumsum"), lines,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(strides[0], "cumsum"), x.Strides[axis],
            KernelArg.Buffer(y.Storage), y.Offset, Int8.From(strides[1], "cumsum"), y.Strides[axis],
            Int8.From(lineShape, "cumsum", pad: 1), lineShape.Length, lines, x.Shape[axis], reverse ? 1 : 0);
    }

    public void Sort(Strided x, Strided values, Strided indices, int axis, bool descending)
    {
        if (x.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)) throw Unsupported("sort", x.DType);
        if (x.Count == 0) return;
        var (lineShape, strides) = LinesOf(x.Shape, axis, x.Strides, values.Strides, indices.Strides);
        string defines = $"#define T {CType(x.DType)}\n#define IS_NAN(v) {(x.DType is DType.Int32 or DType.Int64 ? "0" : "isnan(v)")}";
        Launch1D(Kernels.Kernel("scan.cl", defines, "sort_rank"), x.Count,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(strides[0], "sort"), x.Strides[axis],
            KernelArg.Buffer(values.Storage), values.Offset, Int8.From(strides[1], "sort"), values.Strides[axis],
            KernelArg.Buffer(indices.Storage), indices.Offset, Int8.From(strides[2], "sort"), indices.Strides[axis],
            Int8.From(lineShape, "sort", pad: 1), lineShape.Length, x.Count, x.Shape[axis], descending ? 1 : 0);
    }

    /// <summary>The lines along an axis: the shape with 1 there, merged (Coalesce drops the axis), with each operand's strides.</summary>
    private static (int[] Shape, int[][] Strides) LinesOf(int[] shape, int axis, params int[][] strides)
    {
        var lineShape = (int[])shape.Clone();
        lineShape[axis] = 1;
        return ShapeMath.Coalesce(lineShape, strides);
    }
}
