// The devices that device-parameterised tests run on: the CPU and the first OpenCL device. An absent OpenCL runtime
// turns its cases into skips with the reason shown, never into silent passes or missing cases.
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Tests;

public static class TestDevices
{
    /// <summary><see cref="Device.Cpu"/> and <c>Device.OpenCL(0)</c>; tests call <see cref="Require"/> first.</summary>
    public static IEnumerable<Device> WithOpenCL()
    {
        yield return Device.Cpu;
        yield return Device.OpenCL(0);
    }

    /// <summary>Why the device cannot be used (with what to install), or null when it can.</summary>
    public static string? WhyUnavailable(Device device) => device.Kind switch
    {
        DeviceKind.OpenCL when !OpenCLRuntime.IsAvailable => OpenCLRuntime.UnavailableReason,
        DeviceKind.OpenCL when device.Index >= OpenCLRuntime.Devices.Count => $"there is no OpenCL device {device.Index}",
        _ => null,
    };

    /// <summary>Ignores the running test, with the reason shown, when the device is absent: a device test never passes without running.</summary>
    public static void Require(Device device)
    {
        if (WhyUnavailable(device) is { } reason) Assert.Ignore($"{device} is not available: {reason}");
    }
}
