// The devices that device-parameterised tests run on: always the CPU, and the first OpenCL device when its backend is
// loaded. Kept apart from the OpenCL backend itself, so that these tests build and run with or without it.
using DotGrad.Backends;

namespace DotGrad.Tests;

public static class TestDevices
{
    /// <summary><see cref="Device.Cpu"/>, plus <c>Device.OpenCL(0)</c> when a backend for it can be looked up.</summary>
    public static IEnumerable<Device> WithOpenCL()
    {
        yield return Device.Cpu;
        if (WhyUnavailable(Device.OpenCL(0)) is null) yield return Device.OpenCL(0);
    }

    /// <summary>
    /// Why the device's backend cannot be used, or null when it can. <see cref="Backend.For"/> reports a backend that
    /// is not loaded with <see cref="InvalidOperationException"/>, and only that is taken to mean "absent"; anything
    /// else is a real failure and propagates.
    /// </summary>
    public static string? WhyUnavailable(Device device)
    {
        try
        {
            Backend.For(device);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>Ignores the running test, with the reason shown, when the device is absent: a device test never passes without running.</summary>
    public static void Require(Device device)
    {
        if (WhyUnavailable(device) is { } reason) Assert.Ignore($"{device} is not available: {reason}");
    }
}
