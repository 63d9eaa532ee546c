// Creating tensors: constants, ranges, identity, host arrays, and seeded random numbers.
using System.Runtime.InteropServices;
using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    /// <summary>The environment variable that picks the default device ("cpu", "opencl", "opencl:1", ...).</summary>
    public const string DeviceVariable = "DOTGRAD_DEVICE";

    private static Device? _defaultDevice;

    /// <summary>
    /// The device new tensors go to when none is given: <see cref="Device.Cpu"/> unless the DOTGRAD_DEVICE environment
    /// variable names another (read on first use; setting this property overrides it).
    /// </summary>
    public static Device DefaultDevice
    {
        get => _defaultDevice ??= DeviceFromEnvironment(Environment.GetEnvironmentVariable(DeviceVariable));
        set => _defaultDevice = value;
    }

    /// <summary>The device a DOTGRAD_DEVICE value names; unset or empty means the CPU.</summary>
    internal static Device DeviceFromEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Device.Cpu;
        try
        {
            return Device.Parse(value);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{DeviceVariable}='{value}' does not name a device: {e.Message}", e);
        }
    }

    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    public static Tensor Zeros(int[] shape, DType dtype, Device? device = null) =>
        Empty(CheckShape(shape, "zeros"), dtype, device ?? DefaultDevice, zero: true);

    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    public static Tensor Ones(int[] shape, DType dtype, Device? device = null) => Full(shape, 1.0, dtype, device);

    /// <summary>
    /// A tensor filled with one value. The value is a double, so an Int64 fill is exact up to 2^53 in magnitude (every
    /// value a double holds); build larger Int64 values with <see cref="FromArray(Array, Device?)"/> from a <c>long[]</c>.
    /// </summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var y = Empty(CheckShape(shape, "full"), dtype, device ?? DefaultDevice);
        using (Profiler.Op("fill", null, y))
            y.Backend.Fill(y.Data, value);
        return y;
    }

    /// <summary>A rank-0 tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    public static Tensor ZerosLike(Tensor x) => Zeros(x._shape, x.DType, x.Device);
    public static Tensor OnesLike(Tensor x) => Ones(x._shape, x.DType, x.Device);
    public static Tensor FullLike(Tensor x, double value) => Full(x._shape, value, x.DType, x.Device);

    /// <summary>
    /// Values start, start + step, ... below end (<c>torch.arange</c>). Without a dtype the result is Int64 when start,
    /// end and step are all whole numbers and Float32 otherwise, as in PyTorch.
    /// </summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentException($"arange: step must be non-zero, got {step}", nameof(step));
        if ((end - start) / step < 0)
            throw new ArgumentException($"arange: the range [{start}, {end}) cannot be walked with step {step} (upper bound and step must agree in sign)");
        int n = (int)Math.Ceiling((end - start) / step);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = start + i * step;
        bool whole = start == Math.Floor(start) && end == Math.Floor(end) && step == Math.Floor(step);
        return FromDoubles(values, [n], dtype ?? (whole ? DType.Int64 : DType.Float32), device ?? DefaultDevice);
    }

    /// <summary>
    /// Integer start, end and step (Int64 unless a dtype is given, as <c>torch.arange</c>). Besides reading naturally, this overload keeps
    /// <c>Arange(-3, 0)</c> from binding to <c>Arange(int end, DType? dtype)</c>: C# converts a literal 0 to any enum.
    /// </summary>
    public static Tensor Arange(int start, int end, int step = 1, DType? dtype = null, Device? device = null) =>
        Arange((double)start, end, step, dtype, device);

    /// <summary>0, 1, ..., end - 1.</summary>
    public static Tensor Arange(int end, DType? dtype = null, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null)
    {
        if (steps < 0) throw new ArgumentException($"linspace: steps must be non-negative, got {steps}", nameof(steps));
        var values = new double[steps];
        double delta = steps > 1 ? (end - start) / (steps - 1) : 0;
        // Like PyTorch, fill the first half forward from start and the second half backward from end, so both ends are exact.
        int half = steps / 2;
        for (int i = 0; i < steps; i++) values[i] = i < half ? start + delta * i : end - delta * (steps - 1 - i);
        if (steps == 1) values[0] = start; // one step is the start, not the end (PyTorch special-cases it the same way)
        return FromDoubles(values, [steps], dtype, device ?? DefaultDevice);
    }

    /// <summary>An n x m matrix with ones on the diagonal (<c>torch.eye</c>).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32, Device? device = null)
    {
        int cols = m ?? n;
        CheckShape([n, cols], "eye");
        var values = new double[n * cols];
        for (int i = 0; i < Math.Min(n, cols); i++) values[i * cols + i] = 1;
        return FromDoubles(values, [n, cols], dtype, device ?? DefaultDevice);
    }

    /// <summary>
    /// A tensor from a C# array of float, double, int, long, bool, Half or BFloat16, of any rank (<c>float[,]</c> gives a
    /// matrix, <c>long[]</c> an Int64 vector). The data is copied.
    /// </summary>
    public static Tensor FromArray(Array data, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = new int[data.Rank];
        for (int i = 0; i < data.Rank; i++) shape[i] = data.GetLength(i);
        var element = data.GetType().GetElementType();
        var dtype = DTypeExtensions.FromClrType(element)
            ?? throw new ArgumentException($"FromArray: element type {element?.Name} is not supported; use float, double, int, long, bool, Half or BFloat16");
        var y = Empty(shape, dtype, device ?? DefaultDevice);
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            unsafe
            {
                var bytes = new ReadOnlySpan<byte>((void*)handle.AddrOfPinnedObject(), y.Count * dtype.ElementSize());
                y.Backend.Write(y.Storage, bytes);
            }
        }
        finally
        {
            handle.Free();
        }
        return y;
    }

    /// <summary>A tensor of the given shape from a flat row-major array.</summary>
    public static Tensor FromArray<T>(T[] data, int[] shape, Device? device = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(shape, "FromArray");
        if (ShapeMath.Count(shape) != data.Length)
            throw new ArgumentException($"FromArray: shape {ShapeMath.Format(shape)} needs {ShapeMath.Count(shape)} elements, the array has {data.Length}");
        using var flat = FromArray(data, device);
        return flat.ReshapeRaw((int[])shape.Clone());
    }

    private static Tensor FromDoubles(double[] values, int[] shape, DType dtype, Device device)
    {
        using var host = FromArray(values, device);
        using var shaped = host.ReshapeRaw((int[])shape.Clone()); // disposed too, or it would hold the double buffer until a GC
        return shaped.CastRaw(dtype);
    }

    /// <summary>Uniform on [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null) =>
        Random(shape, RandomKind.Uniform, 0, 1, generator, dtype, device, "rand");

    public static Tensor Rand(params int[] shape) => Rand(shape, null);

    /// <summary>Uniform on [low, high).</summary>
    public static Tensor Uniform(int[] shape, double low, double high, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (!(low <= high)) throw new ArgumentException($"uniform: expected low <= high, got low {low} and high {high}");
        return Random(shape, RandomKind.Uniform, low, high, generator, dtype, device, "uniform");
    }

    /// <summary>Standard normal (<c>torch.randn</c>).</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null) =>
        Random(shape, RandomKind.Normal, 0, 1, generator, dtype, device, "randn");

    public static Tensor Randn(params int[] shape) => Randn(shape, null);

    /// <summary>Normal with a mean and standard deviation.</summary>
    public static Tensor Normal(int[] shape, double mean, double std, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (!(std >= 0)) throw new ArgumentException($"normal: expected std >= 0, got {std}", nameof(std));
        return Random(shape, RandomKind.Normal, mean, std, generator, dtype, device, "normal");
    }

    /// <summary>Integers uniform on [low, high) (<c>torch.randint</c>); Int64 by default, as in PyTorch.</summary>
    public static Tensor Randint(int low, int high, int[] shape, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        if (high <= low) throw new ArgumentException($"randint: expected low < high, got low {low} and high {high}");
        return Random(shape, RandomKind.Integer, low, high, generator, dtype, device, "randint");
    }

    private static Tensor Random(int[] shape, RandomKind kind, double a, double b, Generator? generator, DType dtype, Device? device, string op)
    {
        CheckShape(shape, op);
        if (kind != RandomKind.Integer && !(dtype is DType.Float32 or DType.Float64))
            throw new ArgumentException($"{op}: expected dtype Float32 or Float64, got {dtype}");
        if (kind == RandomKind.Integer && dtype is DType.Bool)
            throw new ArgumentException($"{op}: dtype Bool is not supported; use Int64, Int32 or a float type");
        var gen = generator ?? Generator.Default;
        var y = Empty(shape, dtype, device ?? DefaultDevice);
        ulong offset = gen.Advance(y.Count);
        using (Profiler.Op("random", null, y))
            y.Backend.FillRandom(y.Data, kind, a, b, gen.Seed, offset);
        return y;
    }

    private static int[] CheckShape(int[] shape, string op)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{op}: sizes must be non-negative, got shape {ShapeMath.Format(shape)}", nameof(shape));
        return shape;
    }
}
