// The machine a study ran on, for its report: CPU model (from /proc/cpuinfo where there is one), cores, OS, .NET, device,
// and how busy it is (the load average, from /proc/loadavg), for studies that time things.
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

    /// <summary>
    /// The 1-minute load average from /proc/loadavg (the number of processes running or waiting for a core), or null
    /// where there is none: above the core count, other work competed with a measurement.
    /// </summary>
    public static double? LoadAverage()
    {
        try
        {
            if (!File.Exists("/proc/loadavg")) return null;
            string first = File.ReadAllText("/proc/loadavg").Split(' ', 2)[0];
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (IOException)
        {
            return null;
        }
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
