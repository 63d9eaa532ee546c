// What one OpenCL device is and can do, read once at discovery.
namespace DotGrad.Backends.OpenCL;

/// <summary>The properties of one OpenCL device that DotGrad uses or shows (<c>dotgrad devices</c>).</summary>
public sealed record OpenCLDeviceInfo(
    int Index,
    string Name,
    string Vendor,
    string Platform,
    string Version,
    string DriverVersion,
    bool IsGpu,
    int ComputeUnits,
    int MaxClockMHz,
    long GlobalMemoryBytes,
    long LocalMemoryBytes,
    long MaxAllocationBytes,
    int MaxWorkGroupSize,
    bool SupportsFloat64,
    bool CorrectlyRoundedDivideSqrt,
    string Extensions)
{
    internal nint PlatformId { get; init; }
    internal nint DeviceId { get; init; }

    public override string ToString() =>
        $"opencl:{Index} {Name} ({Vendor}; {Platform}; {Version}; {ComputeUnits} compute units, " +
        $"{GlobalMemoryBytes / (1024 * 1024)} MiB, local {LocalMemoryBytes / 1024} KiB, work group {MaxWorkGroupSize}, " +
        $"fp64 {(SupportsFloat64 ? "yes" : "no")})";
}
