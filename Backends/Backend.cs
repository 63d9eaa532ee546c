// Finds the backend that runs a device's kernels.
using DotGrad.Backends.Reference;

namespace DotGrad.Backends;

/// <summary>
/// The device-to-backend table. Cpu and Reference are always present; other backends (OpenCL) register a
/// factory, so the tensor layer never names a concrete backend.
/// </summary>
public static class Backend
{
    private static readonly Dictionary<DeviceKind, Func<int, IBackend>> Factories = new()
    {
        [DeviceKind.Cpu] = _ => Cpu.CpuBackend.Instance,
        [DeviceKind.Reference] = _ => ReferenceBackend.Instance,
    };

    /// <summary>Makes <paramref name="kind"/> available; <paramref name="factory"/> maps a device index to its backend.</summary>
    public static void Register(DeviceKind kind, Func<int, IBackend> factory)
    {
        lock (Factories) Factories[kind] = factory;
    }

    public static IBackend For(Device device)
    {
        Func<int, IBackend>? factory;
        lock (Factories) Factories.TryGetValue(device.Kind, out factory);
        if (factory is null)
            throw new InvalidOperationException($"no backend is available for device {device}; the {device.Kind} backend is not loaded");
        return factory(device.Index);
    }
}
