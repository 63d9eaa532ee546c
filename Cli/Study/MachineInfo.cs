// The machine a study ran on, for its report: CPU model (from /proc/cpuinfo where there is one), cores, OS, .NET, device.
using System.Runtime.InteropServices;

namespace DotGrad.Cli.Study;

internal static class MachineInfo
{
    public static IEnumerable<(string Key, string Value)> Describe(string device)
    {
        yield return ("CPU", CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString());
        yield return ("cores", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("OS", RuntimeInformation.OSDescription);
        yield return (".NET", RuntimeInformation.FrameworkDescription);
        yield return ("device", device);
    }

    private static string? CpuModel()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
