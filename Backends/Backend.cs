// Finds the backend that runs a device's kernels.
using DotGrad.Backends.Reference;

namespace DotGrad.Backends;

/// <summary>
/// The device-to-backend table. Cpu and Reference are always present; other backends (OpenCL) register a
/// factory, so the tensor layer never names a concrete backend.
/// </summary>
public static class Backend
{
    // Looked up on every operation and written almost never: readers see an immutable array, writers swap it.
    private static volatile Func<int, IBackend>?[] _factories = Initial();

    private static Func<int, IBackend>?[] Initial()
    {
        var table = new Func<int, IBackend>?[Enum.GetValues<DeviceKind>().Length];
        table[(int)DeviceKind.Cpu] = _ => Cpu.CpuBackend.Instance;
        table[(int)DeviceKind.Reference] = _ => ReferenceBackend.Instance;
        table[(int)DeviceKind.OpenCL] = OpenCL.OpenCLBackend.Get;
        return table;
    }

    /// <summary>Makes <paramref name="kind"/> available; <paramref name="factory"/> maps a device index to its backend.</summary>
    public static void Register(DeviceKind kind, Func<int, IBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        lock (typeof(Backend))
        {
            var table = (Func<int, IBackend>?[])_factories.Clone();
            table[(int)kind] = factory;
            _factories = table;
        }
    }

    public static IBackend For(Device device)
    {
        var factory = _factories[(int)device.Kind]
            ?? throw new InvalidOperationException($"no backend is available for device {device}; the {device.Kind} backend is not loaded");
        return factory(device.Index);
    }
}
