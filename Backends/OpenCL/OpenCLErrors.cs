// The errors the OpenCL backend raises: a failed API call, a kernel that does not compile, no runtime at all.
namespace DotGrad.Backends.OpenCL;

/// <summary>An OpenCL API call failed; <see cref="Status"/> is the OpenCL error code (CL_OUT_OF_RESOURCES is -5, and so on).</summary>
public class OpenCLException : Exception
{
    public OpenCLException(string message, int status) : base(message) => Status = status;

    public int Status { get; }

    /// <summary>Throws when an API call returned an error status.</summary>
    internal static void Check(int status, string call)
    {
        if (status != 0) throw new OpenCLException($"OpenCL: {call} failed with {Name(status)} ({status})", status);
    }

    /// <summary>The symbolic name of the common OpenCL error codes, for messages.</summary>
    internal static string Name(int status) => status switch
    {
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -30 => "CL_INVALID_VALUE",
        -34 => "CL_INVALID_CONTEXT",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "an OpenCL error",
    };
}

/// <summary>A kernel program failed to compile; the message carries the compiler's build log.</summary>
public sealed class OpenCLBuildException : OpenCLException
{
    public OpenCLBuildException(string program, string device, string options, string log, int status)
        : base($"OpenCL: building kernel program '{program}' for {device} failed ({Name(status)}) with options '{options}'. Build log:\n{log}", status)
    {
        Program = program;
        BuildLog = log;
    }

    public string Program { get; }
    public string BuildLog { get; }
}

/// <summary>
/// No OpenCL device can be used: the loader library is missing, no driver (ICD) is registered, or the drivers
/// report no devices. The message says what to install.
/// </summary>
public sealed class OpenCLUnavailableException : InvalidOperationException
{
    public const string InstallHint =
        "Install an OpenCL runtime: 'apt-get install pocl-opencl-icd ocl-icd-libopencl1' gives the CPU runtime (POCL); " +
        "for a GPU install its vendor's OpenCL driver (NVIDIA, AMD ROCm or Intel compute-runtime). Or use Device.Cpu.";

    public OpenCLUnavailableException(string reason, Exception? inner = null)
        : base($"OpenCL is not available: {reason}. {InstallHint}", inner) => Reason = reason;

    /// <summary>What is missing, without the install advice.</summary>
    public string Reason { get; }
}
