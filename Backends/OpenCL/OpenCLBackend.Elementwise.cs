// Elementwise primitives: unary, binary, compare and where, from the operator structs' OpenCL expressions.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>
    /// The merged geometry of an elementwise launch: the output shape and each operand's strides after merging
    /// dims that are contiguous in all of them. Rank 0 or 1 takes the "linear" kernels.
    /// </summary>
    private readonly struct Geometry
    {
        public Geometry(string op, params ReadOnlySpan<Strided> views)
        {
            var strides = new int[views.Length][];
            for (int k = 0; k < views.Length; k++) strides[k] = views[k].Strides;
            (Shape, Strides) = ShapeMath.Coalesce(views[0].Shape, strides);
            Count = views[0].Count;
            if (Shape.Length > Int8.Max) Int8.From(Shape, op); // throws with the op's name
        }

        public int[] Shape { get; }
        public int[][] Strides { get; }
        public int Count { get; }
        public int Rank => Shape.Length;
        public bool IsLinear => Shape.Length <= 1;

        /// <summary>Operand k's step in the linear layout.</summary>
        public int Step(int k) => Shape.Length == 0 ? 0 : Strides[k][0];

        public Int8 StridesOf(int k) => Int8.From(Strides[k], "elementwise");
        public Int8 ShapeVector => Int8.From(Shape, "elementwise", pad: 1);
    }

    private static string ElementType(DType dtype, string op, bool supportsInt32, bool supportsInt64)
    {
        return dtype switch
        {
            DType.Float32 or DType.Float64 => CType(dtype),
            DType.Int32 when supportsInt32 => "int",
            DType.Int64 when supportsInt64 => "long",
            DType.Int32 or DType.Int64 => throw new NotSupportedException($"{op} is not defined on {dtype}"),
            _ => throw Unsupported(op, dtype),
        };
    }

    /// <summary>The operator's expression for a dtype: its integer forms where C's floating-point functions do not apply.</summary>
    private static string Expression(DType dtype, string general, string int32, string int64) => dtype switch
    {
        DType.Int32 => int32,
        DType.Int64 => int64,
        _ => general,
    };

    public void Unary<TOp>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp>
    {
        string t = ElementType(y.DType, TOp.Name, TOp.SupportsInt32, TOp.SupportsInt64);
        string expression = Expression(y.DType, TOp.OpenCL, TOp.OpenCLInt32, TOp.OpenCLInt64);
        string defines = $"#define T {t}\n#define UNARY(x) ({expression})";
        var g = new Geometry(TOp.Name, y, x);
        if (g.IsLinear)
            Launch1D(Kernels.Kernel("elementwise.cl", defines, "unary_linear"), g.Count,
                KernelArg.Buffer(x.Storage), x.Offset, g.Step(1), KernelArg.Buffer(y.Storage), y.Offset, g.Step(0), g.Count);
        else
            Launch1D(Kernels.Kernel("elementwise.cl", defines, "unary_strided"), g.Count,
                KernelArg.Buffer(x.Storage), x.Offset, g.StridesOf(1), KernelArg.Buffer(y.Storage), y.Offset, g.StridesOf(0), g.ShapeVector, g.Rank, g.Count);
    }

    public void Binary<TOp>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp>
    {
        string t = ElementType(y.DType, TOp.Name, TOp.SupportsInt32, TOp.SupportsInt64);
        string expression = Expression(y.DType, TOp.OpenCL, TOp.OpenCLInt32, TOp.OpenCLInt64);
        string defines = $"#define T {t}\n#define BINARY(a, b) ({expression})";
        var g = new Geometry(TOp.Name, y, a, b);
        if (g.IsLinear)
            Launch1D(Kernels.Kernel("elementwise.cl", defines, "binary_linear"), g.Count,
                KernelArg.Buffer(a.Storage), a.Offset, g.Step(1), KernelArg.Buffer(b.Storage), b.Offset, g.Step(2),
                KernelArg.Buffer(y.Storage), y.Offset, g.Step(0), g.Count);
        else
            Launch1D(Kernels.Kernel("elementwise.cl", defines, "binary_strided"), g.Count,
                KernelArg.Buffer(a.Storage), a.Offset, g.StridesOf(1), KernelArg.Buffer(b.Storage), b.Offset, g.StridesOf(2),
                KernelArg.Buffer(y.Storage), y.Offset, g.StridesOf(0), g.ShapeVector, g.Rank, g.Count);
    }

    public void Compare<TOp>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp>
    {
        if (a.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64 or DType.Bool)) throw Unsupported(TOp.Name, a.DType);
        string defines = $"#define T {CType(a.DType)}\n#define COMPARE(a, b) ({TOp.OpenCL})";
        var g = new Geometry(TOp.Name, y, a, b);
        Launch1D(Kernels.Kernel("elementwise.cl", defines, "compare_strided"), g.Count,
            KernelArg.Buffer(a.Storage), a.Offset, g.StridesOf(1), KernelArg.Buffer(b.Storage), b.Offset, g.StridesOf(2),
            KernelArg.Buffer(y.Storage), y.Offset, g.StridesOf(0), g.ShapeVector, g.Rank, g.Count);
    }

    public void Where(Strided cond, Strided a, Strided b, Strided y)
    {
        string defines = $"#define T {BitsType(y.DType)}\n#define WHERE";
        var g = new Geometry("where", y, cond, a, b);
        Launch1D(Kernels.Kernel("elementwise.cl", defines, "where_strided"), g.Count,
            KernelArg.Buffer(cond.Storage), cond.Offset, g.StridesOf(1), KernelArg.Buffer(a.Storage), a.Offset, g.StridesOf(2),
            KernelArg.Buffer(b.Storage), b.Offset, g.StridesOf(3), KernelArg.Buffer(y.Storage), y.Offset, g.StridesOf(0),
            g.ShapeVector, g.Rank, g.Count);
    }
}
