// Kernel programs: readable .cl files embedded in the assembly, specialised with #define lines (element type,
// operator expression), compiled once per device and specialisation, and kept for the life of the process.
using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Silk.NET.OpenCL;

namespace DotGrad.Backends.OpenCL;

/// <summary>
/// Builds and caches kernels for one device. A program is identified by its .cl file and its defines (for
/// example <c>T=float</c> and <c>UNARY(x)=exp(x)</c>); each is compiled the first time it is asked for, and a
/// failed build raises <see cref="OpenCLBuildException"/> with the compiler's log.
/// </summary>
internal sealed unsafe class KernelCache
{
    private static readonly ConcurrentDictionary<string, string> Sources = new();
    private readonly CL _api;
    private readonly nint _context;
    private readonly OpenCLDeviceInfo _device;
    private readonly string _options;
    private readonly ConcurrentDictionary<string, Lazy<nint>> _programs = new();
    private readonly ConcurrentDictionary<(nint Program, string Name), nint> _kernels = new();
    private int _builds;

    internal KernelCache(CL api, nint context, OpenCLDeviceInfo device)
    {
        _api = api;
        _context = context;
        _device = device;
        // Correctly rounded float division and sqrt where the device offers it, so results match the CPU's.
        _options = "-cl-std=CL1.2" + (device.CorrectlyRoundedDivideSqrt ? " -cl-fp32-correctly-rounded-divide-sqrt" : "");
    }

    /// <summary>How many programs this device has compiled (a test checks that a second use compiles nothing).</summary>
    public int Builds => Volatile.Read(ref _builds);

    /// <summary>The kernel <paramref name="name"/> of program <paramref name="file"/> specialised by <paramref name="defines"/>.</summary>
    public nint Kernel(string file, string defines, string name)
    {
        var program = _programs.GetOrAdd(file + "\n" + defines, _ => new Lazy<nint>(() => Build(file, defines))).Value;
        return _kernels.GetOrAdd((program, name), key =>
        {
            int status;
            nint kernel = _api.CreateKernel(key.Program, key.Name, &status);
            OpenCLException.Check(status, $"clCreateKernel({file}:{key.Name})");
            return kernel;
        });
    }

    /// <summary>The text of an embedded kernel file (Backends/OpenCL/Kernels/NAME).</summary>
    public static string Source(string file) => Sources.GetOrAdd(file, f =>
    {
        var assembly = typeof(KernelCache).Assembly;
        using var stream = assembly.GetManifestResourceStream("DotGrad.Kernels." + f)
            ?? throw new InvalidOperationException($"OpenCL: the kernel file '{f}' is not embedded in {assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>The full source of a program: extensions it needs, its defines, the shared helpers, then the file.</summary>
    public string ProgramText(string file, string defines)
    {
        var text = new StringBuilder();
        if (defines.Contains("double", StringComparison.Ordinal))
        {
            if (!_device.SupportsFloat64)
                throw new NotSupportedException($"OpenCL: device {_device.Name} does not support Float64 (it lacks cl_khr_fp64); use Float32, or Device.Cpu for Float64");
            text.Append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
        }
        text.Append(defines).Append('\n');
        text.Append(Source("common.cl")).Append('\n');
        text.Append(Source(file));
        return text.ToString();
    }

    /// <summary>Compiles arbitrary source (used by tests to see the build-log path) and returns the program handle.</summary>
    internal nint Compile(string name, string source)
    {
        int status;
        nint program = _api.CreateProgramWithSource(_context, 1, [source], null, &status);
        OpenCLException.Check(status, $"clCreateProgramWithSource({name})");
        nint device = _device.DeviceId;
        status = _api.BuildProgram(program, 1, &device, _options, null, null);
        if (status != 0)
        {
            string log = BuildLog(program);
            _api.ReleaseProgram(program);
            throw new OpenCLBuildException(name, _device.Name, _options, log, status);
        }
        Interlocked.Increment(ref _builds);
        return program;
    }

    private nint Build(string file, string defines) => Compile(file + (defines.Length > 0 ? " [" + defines.Replace('\n', ';') + "]" : ""), ProgramText(file, defines));

    private string BuildLog(nint program)
    {
        nuint size = 0;
        if (_api.GetProgramBuildInfo(program, _device.DeviceId, ProgramBuildInfo.BuildLog, 0, null, &size) != 0 || size == 0)
            return "(the driver gave no build log)";
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes) _api.GetProgramBuildInfo(program, _device.DeviceId, ProgramBuildInfo.BuildLog, size, b, null);
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }
}
