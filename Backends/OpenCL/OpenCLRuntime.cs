// Loading the OpenCL API and discovering devices, once per process; the one place that turns "no OpenCL here"
// into an error that says what to install.
using System.Text;
using Silk.NET.OpenCL;

namespace DotGrad.Backends.OpenCL;

/// <summary>
/// The OpenCL API and the devices of every platform, numbered across platforms in the order the drivers list
/// them (<see cref="Device.OpenCL(int)"/> takes that number). Discovery runs once, on first use.
/// </summary>
public static unsafe class OpenCLRuntime
{
    private const int PlatformNotFound = -1001;

    private static readonly Lazy<Discovery> State = new(Discover, LazyThreadSafetyMode.ExecutionAndPublication);

    private sealed record Discovery(CL? Api, IReadOnlyList<OpenCLDeviceInfo> Devices, OpenCLUnavailableException? Error);

    /// <summary>True when at least one OpenCL device can be used.</summary>
    public static bool IsAvailable => State.Value.Error is null;

    /// <summary>Why OpenCL cannot be used (with what to install), or null when it can.</summary>
    public static string? UnavailableReason => State.Value.Error?.Message;

    /// <summary>Every OpenCL device (empty when OpenCL is not available).</summary>
    public static IReadOnlyList<OpenCLDeviceInfo> Devices => State.Value.Devices;

    /// <summary>The API, or the one clear error when OpenCL is missing.</summary>
    internal static CL Api => State.Value.Api ?? throw State.Value.Error!;

    /// <summary>Device <paramref name="index"/>, or a clear error when there is no such device.</summary>
    public static OpenCLDeviceInfo Device(int index)
    {
        var state = State.Value;
        if (state.Error is not null) throw state.Error;
        if (index < 0 || index >= state.Devices.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"Device.OpenCL({index}): there are {state.Devices.Count} OpenCL device(s) (opencl:0 .. opencl:{state.Devices.Count - 1}); run 'dotgrad devices' to list them");
        return state.Devices[index];
    }

    private static Discovery Discover()
    {
        CL api;
        try
        {
            api = CL.GetApi();
        }
        catch (Exception e) when (e is FileNotFoundException or DllNotFoundException or PlatformNotSupportedException)
        {
            return new Discovery(null, [], Diagnose(e, 0, 0));
        }

        uint platformCount = 0;
        int status = api.GetPlatformIDs(0, null, &platformCount);
        var error = Diagnose(null, status, (int)platformCount);
        if (error is null && platformCount == 0) error = Diagnose(null, PlatformNotFound, 0);
        if (error is not null) return new Discovery(null, [], error);

        var platforms = new nint[platformCount];
        fixed (nint* p = platforms) OpenCLException.Check(api.GetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");

        var devices = new List<OpenCLDeviceInfo>();
        foreach (var platform in platforms)
        {
            uint count = 0;
            // A platform with no devices answers CL_DEVICE_NOT_FOUND (-1): skip it.
            if (api.GetDeviceIDs(platform, DeviceType.All, 0, null, &count) != 0 || count == 0) continue;
            var ids = new nint[count];
            fixed (nint* d = ids) OpenCLException.Check(api.GetDeviceIDs(platform, DeviceType.All, count, d, null), "clGetDeviceIDs");
            string platformName = PlatformString(api, platform, PlatformInfo.Name);
            foreach (var id in ids) devices.Add(Describe(api, platform, platformName, id, devices.Count));
        }
        if (devices.Count == 0)
            return new Discovery(null, [], new OpenCLUnavailableException($"the {platformCount} OpenCL platform(s) report no devices"));
        return new Discovery(api, devices, null);
    }

    /// <summary>
    /// Maps the ways OpenCL can be missing to one error: the loader library cannot be loaded (<paramref name="loadError"/>),
    /// no driver is registered (clGetPlatformIDs answers -1001 or finds no platform), or another failure status.
    /// Null when nothing is wrong.
    /// </summary>
    internal static OpenCLUnavailableException? Diagnose(Exception? loadError, int platformStatus, int platformCount)
    {
        if (loadError is not null)
            return new OpenCLUnavailableException("the OpenCL loader library (libOpenCL.so.1) could not be loaded", loadError);
        if (platformStatus == PlatformNotFound || (platformStatus == 0 && platformCount == 0))
            return new OpenCLUnavailableException("the OpenCL loader found no driver (no ICD is registered in /etc/OpenCL/vendors)");
        if (platformStatus != 0)
            return new OpenCLUnavailableException($"clGetPlatformIDs failed with {OpenCLException.Name(platformStatus)} ({platformStatus})");
        return null;
    }

    private static OpenCLDeviceInfo Describe(CL api, nint platform, string platformName, nint id, int index)
    {
        string extensions = DeviceString(api, id, DeviceInfo.Extensions);
        ulong fpConfig = DeviceValue<ulong>(api, id, DeviceInfo.SingleFPConfig);
        const ulong CorrectlyRounded = 1 << 7; // CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT
        return new OpenCLDeviceInfo(
            index,
            DeviceString(api, id, DeviceInfo.Name).Trim(),
            DeviceString(api, id, DeviceInfo.Vendor).Trim(),
            platformName.Trim(),
            DeviceString(api, id, DeviceInfo.Version).Trim(),
            DeviceString(api, id, DeviceInfo.DriverVersion).Trim(),
            (DeviceValue<ulong>(api, id, DeviceInfo.Type) & (ulong)DeviceType.Gpu) != 0,
            (int)DeviceValue<uint>(api, id, DeviceInfo.MaxComputeUnits),
            (int)DeviceValue<uint>(api, id, DeviceInfo.MaxClockFrequency),
            (long)DeviceValue<ulong>(api, id, DeviceInfo.GlobalMemSize),
            (long)DeviceValue<ulong>(api, id, DeviceInfo.LocalMemSize),
            (long)DeviceValue<ulong>(api, id, DeviceInfo.MaxMemAllocSize),
            (int)DeviceValue<nuint>(api, id, DeviceInfo.MaxWorkGroupSize),
            extensions.Split(' ').Contains("cl_khr_fp64"),
            (fpConfig & CorrectlyRounded) != 0,
            extensions.Trim())
        {
            PlatformId = platform,
            DeviceId = id,
        };
    }

    private static T DeviceValue<T>(CL api, nint device, DeviceInfo what) where T : unmanaged
    {
        T value = default;
        OpenCLException.Check(api.GetDeviceInfo(device, what, (nuint)sizeof(T), &value, null), $"clGetDeviceInfo({what})");
        return value;
    }

    private static string DeviceString(CL api, nint device, DeviceInfo what)
    {
        nuint size = 0;
        OpenCLException.Check(api.GetDeviceInfo(device, what, 0, null, &size), $"clGetDeviceInfo({what})");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes) OpenCLException.Check(api.GetDeviceInfo(device, what, size, b, null), $"clGetDeviceInfo({what})");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    private static string PlatformString(CL api, nint platform, PlatformInfo what)
    {
        nuint size = 0;
        OpenCLException.Check(api.GetPlatformInfo(platform, what, 0, null, &size), $"clGetPlatformInfo({what})");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes) OpenCLException.Check(api.GetPlatformInfo(platform, what, size, b, null), $"clGetPlatformInfo({what})");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }
}
