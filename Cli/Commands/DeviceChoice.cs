// The --device option shared by every command that computes: parsing "cpu", "opencl" or "opencl:N", and checking
// that the device is there before any work starts, so a missing driver is a usage error and not a crash mid-run.
using System.CommandLine;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Cli.Commands;

internal static class DeviceChoice
{
    /// <summary>A fresh --device option; its default is DOTGRAD_DEVICE when set, else the CPU.</summary>
    public static Option<string> CreateOption() => new("--device")
    {
        Description = "Where to compute: cpu, opencl or opencl:N (see 'dotgrad devices'); default DOTGRAD_DEVICE or cpu",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Tensor.DeviceVariable) is { Length: > 0 } v ? v : "cpu",
    };

    /// <summary>The device <paramref name="text"/> names, or a <see cref="UserError"/> saying why it cannot be used.</summary>
    public static Device Resolve(string? text)
    {
        Device device;
        try
        {
            device = Device.Parse(text ?? "cpu");
        }
        catch (ArgumentException)
        {
            throw new UserError($"--device '{text}' is not a device; use cpu, opencl or opencl:N (N counts the OpenCL devices 'dotgrad devices' lists, from 0)");
        }
        if (device.Kind != DeviceKind.OpenCL) return device;
        if (!OpenCLRuntime.IsAvailable)
            throw new UserError($"--device {device}: {OpenCLRuntime.UnavailableReason?.TrimEnd('.')}. Install an OpenCL driver (see 'dotgrad devices') or use --device cpu");
        int count = OpenCLRuntime.Devices.Count;
        if (device.Index >= count)
            throw new UserError($"--device {device}: there {(count == 1 ? "is 1 OpenCL device" : $"are {count} OpenCL devices")} (opencl:0 to opencl:{count - 1}); 'dotgrad devices' lists them");
        return device;
    }
}
