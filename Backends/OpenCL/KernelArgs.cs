// Kernel arguments as the host passes them: buffers, scalars and the int8 vectors that carry shapes and strides.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DotGrad.Backends.OpenCL;

/// <summary>Eight ints, passed to kernels as an OpenCL <c>int8</c>: a shape or strides of rank up to <see cref="Max"/>.</summary>
[InlineArray(Max)]
internal struct Int8
{
    public const int Max = 8;
    private int _element;

    /// <summary>Packs dims (innermost last), padding with <paramref name="pad"/>; throws for rank above 8.</summary>
    public static Int8 From(ReadOnlySpan<int> values, string op, int pad = 0)
    {
        if (values.Length > Max)
            throw new NotSupportedException($"{op}: the OpenCL kernels take at most {Max} dims after merging contiguous ones; this view has {values.Length}. Make it contiguous first");
        var v = new Int8();
        for (int i = 0; i < Max; i++) v[i] = i < values.Length ? values[i] : pad;
        return v;
    }
}

/// <summary>One kernel argument: up to 32 bytes of value (a cl_mem handle, a scalar or an int8).</summary>
internal readonly struct KernelArg
{
    private readonly Int8 _data;

    private KernelArg(Int8 data, int size)
    {
        _data = data;
        Size = size;
    }

    public int Size { get; }

    public ReadOnlySpan<byte> Bytes => MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(in _data[0], Int8.Max))[..Size];

    private static KernelArg Of<T>(T value) where T : unmanaged
    {
        var data = new Int8();
        MemoryMarshal.Write(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref data[0], Int8.Max)), in value);
        return new KernelArg(data, Unsafe.SizeOf<T>());
    }

    public static implicit operator KernelArg(int value) => Of(value);
    public static implicit operator KernelArg(float value) => Of(value);
    public static implicit operator KernelArg(double value) => Of(value);
    public static implicit operator KernelArg(ulong value) => Of(value);
    public static implicit operator KernelArg(Int8 value) => new(value, 32);
    /// <summary>An argument of 1 to 32 raw bytes (a uchar or ushort element, for instance).</summary>
    public static KernelArg Raw(ReadOnlySpan<byte> bytes)
    {
        var data = new Int8();
        bytes.CopyTo(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref data[0], Int8.Max)));
        return new KernelArg(data, bytes.Length);
    }

    public static KernelArg Buffer(Storage storage) => Of(((OpenCLStorage)storage).Buffer);
    public static KernelArg Buffer(nint buffer) => Of(buffer);
}
