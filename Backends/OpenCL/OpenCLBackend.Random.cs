// Seeded random fills with the same Philox stream as the CPU backends.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>
    /// Element i gets Philox counter (offset + i) under the seed. With fp64 the arithmetic is the Reference's
    /// (double), so uniform and integer fills are bit-identical to the CPU and normals agree to the last bit of
    /// the device's log and cos; without fp64 it runs in float.
    /// </summary>
    public void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset)
    {
        int n = y.Count;
        if (n == 0) return;
        bool fp64 = Info.SupportsFloat64;
        string ft = fp64 ? "double" : "float";
        int kindNumber = kind switch
        {
            RandomKind.Uniform => 0,
            RandomKind.Normal => 1,
            RandomKind.Integer => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "fill_random: unknown distribution"),
        };
        string defines = $"#define KIND {kindNumber}\n#define FT {ft}\n#define DST {CType(y.DType)}\n#define STORE(p, i, v) {StoreMacro(y.DType, integral: false)}";
        long low = kind == RandomKind.Integer ? (long)a : 0;
        ulong range = kind == RandomKind.Integer ? (ulong)(long)(b - a) : 1;
        KernelArg fa = fp64 ? a : (float)a, fb = fp64 ? b : (float)b;
        Launch1D(Kernels.Kernel("random.cl", defines, "fill_random"), n,
            KernelArg.Buffer(y.Storage), y.Offset, n, seed, offset, fa, fb, (ulong)low, range, y.DType == DType.Float64 ? 0 : 1);
    }
}
