// Copy with dtype conversion, and fill.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    public void Copy(Strided x, Strided y)
    {
        var g = new Geometry("copy", y, x);
        string defines = CopyDefines(x.DType, y.DType);
        if (g.IsLinear)
            Launch1D(Kernels.Kernel("copy.cl", defines, "copy_linear"), g.Count,
                KernelArg.Buffer(x.Storage), x.Offset, g.Step(1), KernelArg.Buffer(y.Storage), y.Offset, g.Step(0), g.Count);
        else
            Launch1D(Kernels.Kernel("copy.cl", defines, "copy_strided"), g.Count,
                KernelArg.Buffer(x.Storage), x.Offset, g.StridesOf(1), KernelArg.Buffer(y.Storage), y.Offset, g.StridesOf(0), g.ShapeVector, g.Rank, g.Count);
    }

    /// <summary>
    /// The conversion macros of copy.cl for one pair of dtypes. Converting through double where the device has
    /// it reproduces the Reference backend bit for bit (it converts every element through double).
    /// </summary>
    private string CopyDefines(DType from, DType to)
    {
        if (from == to)
        {
            string bits = BitsType(from);
            return $"#define SRC {bits}\n#define DST {bits}\n#define IT {bits}\n#define LOAD(p, i) (p[i])\n#define STORE(p, i, v) (p[i] = (v))";
        }
        // Integers among themselves move through an integer (int, or long when one side is Int64), exactly; an Int64
        // source also converts to a float type straight from long, one rounding, as the Reference does.
        bool integral = from is DType.Int32 or DType.Int64 or DType.Bool && to is DType.Int32 or DType.Int64 or DType.Bool;
        bool wide = from == DType.Int64 || to == DType.Int64;
        string it = integral || from == DType.Int64 ? (wide ? "long" : "int") : Info.SupportsFloat64 ? "double" : "float";
        if (!integral && !Info.SupportsFloat64 && (from == DType.Float64 || to == DType.Float64))
            throw new NotSupportedException($"OpenCL: device {Info.Name} does not support Float64 (it lacks cl_khr_fp64)");
        string load = from switch
        {
            DType.Bool => "((IT)(p[i] != 0))",
            DType.BFloat16 => "((IT)bf16_to_float(p[i]))",
            DType.Float16 => "((IT)vload_half((i), (__global const half*)(p)))",
            _ => "((IT)p[i])",
        };
        string store = StoreMacro(to, integral, from == DType.Int64);
        return $"#define SRC {CType(from)}\n#define DST {CType(to)}\n#define IT {it}\n#define LOAD(p, i) {load}\n#define STORE(p, i, v) {store}";
    }

    /// <summary>STORE(p, i, v): writes an intermediate value v into element i of a destination of dtype <paramref name="to"/>.</summary>
    /// <remarks>
    /// Long to int keeps the low 32 bits (through uint, which C defines as modular), as the Reference's cast does;
    /// float to an integer truncates and saturates with NaN to 0 (the _sat_rtz conversions); a long value goes to
    /// Float16 through double where the device has it (vstore_half takes float or double, not long).
    /// </remarks>
    private string StoreMacro(DType to, bool integral, bool fromLong = false) => to switch
    {
        DType.Bool => "(p[i] = ((v) != 0) ? 1 : 0)",
        DType.Int32 when fromLong => "(p[i] = as_int((uint)(v)))",
        DType.Int32 when !integral => "(p[i] = convert_int_sat_rtz(v))",
        DType.Int64 when !integral => "(p[i] = convert_long_sat_rtz(v))",
        DType.BFloat16 => "(p[i] = float_to_bf16((float)(v)))",
        DType.Float16 when fromLong => $"vstore_half_rte(({(Info.SupportsFloat64 ? "double" : "float")})(v), (i), (__global half*)(p))",
        DType.Float16 => "vstore_half_rte((v), (i), (__global half*)(p))",
        _ => "(p[i] = (DST)(v))",
    };

    public void Fill(Strided y, double value)
    {
        // The element's bits, converted on the host exactly as the Reference backend converts.
        int size = y.DType.ElementSize();
        Span<byte> bits = stackalloc byte[8];
        var host = new HostStorage(y.DType, 1, DotGrad.Backends.Device.Cpu);
        try
        {
            HostAccess.Set(host, 0, value);
            host.AsBytes().CopyTo(bits);
        }
        finally
        {
            host.Release();
        }
        var g = new Geometry("fill", y);
        if (g.Count == 0) return;
        if (g.IsLinear && g.Step(0) == 1)
        {
            FillBytes(((OpenCLStorage)y.Storage).Buffer, (long)y.Offset * size, (long)g.Count * size, bits[..size]);
            return;
        }
        Launch1D(Kernels.Kernel("copy.cl", $"#define BITS {BitsType(y.DType)}", "fill_strided"), g.Count,
            KernelArg.Buffer(y.Storage), y.Offset, g.StridesOf(0), g.ShapeVector, g.Rank, g.Count, KernelArg.Raw(bits[..size]));
    }
}
