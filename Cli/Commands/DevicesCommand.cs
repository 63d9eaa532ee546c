// dotgrad devices: the CPU and every OpenCL device with its properties, or why there are no OpenCL devices.
using System.CommandLine;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DotGrad.Backends.OpenCL;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Commands;

internal static class DevicesCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("devices", "List the CPU and every OpenCL device with its properties, or say why there are none");
        command.SetAction(_ => Run(context));
        return command;
    }

    private static int Run(CliContext context)
    {
        var cpu = Tables.Create(context, "Device", "Name", ">Cores", "SIMD", ">Memory", "Float64");
        Tables.Row(cpu, "cpu", CpuName(), Environment.ProcessorCount.ToString(), Simd(),
                   Tables.Bytes(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes), "yes");
        context.Console.Write(cpu);

        if (!OpenCLRuntime.IsAvailable)
        {
            context.Out.WriteLine($"No OpenCL devices. {OpenCLRuntime.UnavailableReason?.TrimEnd('.')}.");
            context.Out.WriteLine("'clinfo -l' shows what the OpenCL loader finds; meanwhile everything runs on --device cpu.");
            return ExitCodes.Success;
        }

        // One column per device: an OpenCL device has too many properties for one row of a terminal.
        var devices = OpenCLRuntime.Devices;
        var table = Tables.Create(context, ["Property", .. devices.Select(d => $"opencl:{d.Index}")]);
        void Property(string name, Func<OpenCLDeviceInfo, string> value) => Tables.Row(table, [name, .. devices.Select(value)]);
        Property("Name", d => d.Name);
        Property("Vendor", d => d.Vendor);
        Property("Platform", d => d.Platform);
        Property("Type", d => d.IsGpu ? "GPU" : "CPU or other");
        Property("Compute units", d => d.ComputeUnits.ToString());
        Property("Clock", d => $"{d.MaxClockMHz} MHz");
        Property("Global memory", d => Tables.Bytes(d.GlobalMemoryBytes));
        Property("Local memory", d => Tables.Bytes(d.LocalMemoryBytes));
        Property("Max allocation", d => Tables.Bytes(d.MaxAllocationBytes));
        Property("Max work group", d => d.MaxWorkGroupSize.ToString());
        Property("Float64", d => d.SupportsFloat64 ? "yes" : "no");
        Property("OpenCL version", d => d.Version);
        Property("Driver version", d => d.DriverVersion);
        context.Console.Write(table);
        context.Out.WriteLine($"{devices.Count} OpenCL device(s); pick one with --device opencl:N.");
        return ExitCodes.Success;
    }

    /// <summary>The processor's model name from /proc/cpuinfo on Linux, else the architecture.</summary>
    private static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is > 0 and var i)
                        return line[(i + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The widest vector instructions the CPU backend can use here.</summary>
    private static string Simd() =>
        Vector512.IsHardwareAccelerated ? "AVX-512"
        : Avx2.IsSupported ? "AVX2"
        : Vector128.IsHardwareAccelerated ? "128-bit"
        : "scalar";
}
