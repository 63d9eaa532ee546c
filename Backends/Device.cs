// Where a tensor's storage lives and which backend runs its kernels.
namespace DotGrad.Backends;

/// <summary>The kind of machine a device is.</summary>
public enum DeviceKind
{
    /// <summary>The SIMD, multi-core CPU backend: the default.</summary>
    Cpu,
    /// <summary>Plain scalar loops over CPU memory: slow, obviously correct, the oracle every other backend is tested against.</summary>
    Reference,
    /// <summary>An OpenCL device (GPU or CPU runtime such as POCL).</summary>
    OpenCL,
}

/// <summary>
/// A device: a kind and an index (the OpenCL device number; 0 for the CPU kinds).
/// Tensors on different devices never mix in one operation; move them with <c>tensor.To(device)</c>.
/// </summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    /// <summary>The SIMD CPU backend.</summary>
    public static Device Cpu => new(DeviceKind.Cpu);

    /// <summary>The scalar reference backend over CPU memory.</summary>
    public static Device Reference => new(DeviceKind.Reference);

    /// <summary>The OpenCL device with this index, counted across all platforms.</summary>
    public static Device OpenCL(int index = 0)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "Device.OpenCL: the device index must be >= 0");
        return new Device(DeviceKind.OpenCL, index);
    }

    /// <summary>True when the storage is ordinary host memory (Cpu and Reference share it).</summary>
    public bool IsHostMemory => Kind is DeviceKind.Cpu or DeviceKind.Reference;

    /// <summary>Parses "cpu", "reference", "opencl" or "opencl:N".</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "reference") return Reference;
        if (t == "opencl") return OpenCL(0);
        if (t.StartsWith("opencl:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(7), out var i) && i >= 0) return OpenCL(i);
        throw new ArgumentException($"Device.Parse: expected 'cpu', 'reference', 'opencl' or 'opencl:N', got '{text}'", nameof(text));
    }

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Reference => "reference",
        _ => $"opencl:{Index}",
    };
}
