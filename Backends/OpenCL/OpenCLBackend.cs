// The OpenCL backend: one context and in-order queue per device, device memory from a caching allocator, and
// kernels compiled from the embedded .cl files. The kernels live in the other partial files, one per concept.
using System.Runtime.InteropServices;
using Silk.NET.OpenCL;

namespace DotGrad.Backends.OpenCL;

/// <summary>
/// Runs every primitive on one OpenCL device. Kernels are queued in order and the host does not wait for them:
/// only <see cref="Read"/> (what <c>Item()</c>, <c>ToArray()</c> and moving to the CPU use) and
/// <see cref="Synchronize"/> block. Index errors found by a kernel are raised at that next synchronisation.
/// Results match the Reference backend exactly for copies, indexing and random fills, and to rounding for arithmetic.
/// </summary>
public sealed unsafe partial class OpenCLBackend : IBackend, IFusedKernels
{
    private static readonly Lock CreateLock = new();
    private static readonly Dictionary<int, OpenCLBackend> Instances = new();

    private readonly CL _api;
    private readonly nint _context;
    private readonly nint _queue;
    private readonly Lock _launchLock = new();
    private readonly nint _errorBuffer;
    private bool _errorCheckPending;

    private OpenCLBackend(int index)
    {
        Info = OpenCLRuntime.Device(index);
        Device = Device.OpenCL(index);
        _api = OpenCLRuntime.Api;
        nint device = Info.DeviceId;
        int status;
        _context = _api.CreateContext(null, 1, &device, null, null, &status);
        OpenCLException.Check(status, $"clCreateContext({Info.Name})");
        _queue = _api.CreateCommandQueue(_context, device, CommandQueueProperties.None, &status);
        OpenCLException.Check(status, $"clCreateCommandQueue({Info.Name})");
        Allocator = new OpenCLAllocator(_api, _context);
        Kernels = new KernelCache(_api, _context, Info);
        WorkGroup = Math.Min(256, Info.MaxWorkGroupSize);
        // Ints a kernel sets when it meets a bad index: flag, operation, value (low half), dim size, axis, value (high half).
        _errorBuffer = _api.CreateBuffer(_context, MemFlags.ReadWrite, ErrorBytes, null, &status);
        OpenCLException.Check(status, "clCreateBuffer(error flag)");
        ClearErrors();
    }

    /// <summary>The backend of OpenCL device <paramref name="index"/>, created on first use.</summary>
    public static OpenCLBackend Get(int index)
    {
        lock (CreateLock)
        {
            if (!Instances.TryGetValue(index, out var backend))
                Instances[index] = backend = new OpenCLBackend(index);
            return backend;
        }
    }

    public Device Device { get; }

    /// <summary>What the device is (name, vendor, memory, fp64 support).</summary>
    public OpenCLDeviceInfo Info { get; }

    public OpenCLAllocator Allocator { get; }

    public MemoryStats Memory => Allocator.Stats;

    public void ResetPeakMemoryStats() => Allocator.ResetPeak();

    internal KernelCache Kernels { get; }

    /// <summary>The work-group size of the one-dimensional kernels.</summary>
    internal int WorkGroup { get; }

    public Storage Allocate(DType dtype, int length, bool zero = false)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "OpenCLBackend.Allocate: the length must be >= 0");
        if (dtype == DType.Float64 && !Info.SupportsFloat64)
            throw new NotSupportedException($"OpenCL: device {Info.Name} does not support Float64 (it lacks cl_khr_fp64); use Float32, or Device.Cpu for Float64");
        long bytes = (long)length * dtype.ElementSize();
        var (buffer, capacity) = Allocator.Rent(bytes);
        var storage = new OpenCLStorage(dtype, length, Device, Allocator, buffer, capacity);
        if (zero && bytes > 0) FillBytes(buffer, 0, bytes, stackalloc byte[4]);
        return storage;
    }

    /// <summary>Fills <paramref name="bytes"/> bytes at <paramref name="offset"/> with a repeated pattern (1, 2, 4 or 8 bytes).</summary>
    private void FillBytes(nint buffer, long offset, long bytes, ReadOnlySpan<byte> pattern)
    {
        fixed (byte* p = pattern)
            OpenCLException.Check(_api.EnqueueFillBuffer(_queue, buffer, p, (nuint)pattern.Length, (nuint)offset, (nuint)bytes, 0, null, null), "clEnqueueFillBuffer");
    }

    /// <summary>Queues a kernel over <paramref name="global"/> work items in groups of <paramref name="local"/> (null: the driver picks).</summary>
    internal void Launch(nint kernel, ReadOnlySpan<nuint> global, ReadOnlySpan<nuint> local, params ReadOnlySpan<KernelArg> args)
    {
        foreach (var g in global)
            if (g == 0) return;
        // clSetKernelArg on a shared kernel object is not thread-safe: set and enqueue under one lock.
        lock (_launchLock)
        {
            for (int i = 0; i < args.Length; i++)
            {
                var bytes = args[i].Bytes;
                fixed (byte* b = bytes)
                    OpenCLException.Check(_api.SetKernelArg(kernel, (uint)i, (nuint)bytes.Length, b), $"clSetKernelArg({i})");
            }
            fixed (nuint* g = global)
            fixed (nuint* l = local)
                OpenCLException.Check(_api.EnqueueNdrangeKernel(_queue, kernel, (uint)global.Length, null, g, local.IsEmpty ? null : l, 0, null, null), "clEnqueueNDRangeKernel");
        }
    }

    /// <summary>Queues a one-dimensional kernel over <paramref name="n"/> items (rounded up to whole work groups; kernels check the bound).</summary>
    internal void Launch1D(nint kernel, long n, params ReadOnlySpan<KernelArg> args)
    {
        nuint group = (nuint)WorkGroup;
        nuint global = ((nuint)n + group - 1) / group * group;
        Launch(kernel, [global], [group], args);
    }

    /// <summary>The error buffer kernels report bad indices into; the next synchronisation raises them.</summary>
    internal KernelArg ErrorBuffer
    {
        get
        {
            _errorCheckPending = true;
            return KernelArg.Buffer(_errorBuffer);
        }
    }

    private const int ErrorBytes = 32;

    private void ClearErrors() => FillBytes(_errorBuffer, 0, ErrorBytes, stackalloc byte[4]);

    private void RaiseKernelErrors()
    {
        if (!_errorCheckPending) return;
        Span<int> error = stackalloc int[ErrorBytes / 4];
        fixed (int* p = error)
            OpenCLException.Check(_api.EnqueueReadBuffer(_queue, _errorBuffer, true, 0, ErrorBytes, p, 0, null, null), "clEnqueueReadBuffer(error flag)");
        _errorCheckPending = false;
        if (error[0] == 0) return;
        ClearErrors();
        // The same exception and message as the CPU backends, which raise it at the call.
        string op = error[1] switch { 1 => "index_select", 2 => "gather", 3 => "scatter_add", _ => "an index kernel" };
        long idx = (long)error[5] << 32 | (uint)error[2];
        int size = error[3], axis = error[4];
        throw new ArgumentOutOfRangeException("index", idx, $"{op}: index {idx} is out of range for dim {axis} of size {size} (expected 0 <= index < {size})");
    }

    /// <summary>The OpenCL C name of a dtype's storage element.</summary>
    internal static string CType(DType dtype) => dtype switch
    {
        DType.Float32 => "float",
        DType.Float64 => "double",
        DType.Int32 => "int",
        DType.Int64 => "long",
        DType.Bool => "uchar",
        DType.BFloat16 or DType.Float16 => "ushort",
        _ => throw new NotSupportedException($"OpenCL: dtype {dtype} has no kernels"),
    };

    /// <summary>An unsigned type of the dtype's width, for kernels that only move bits (copy, gather, fill).</summary>
    internal static string BitsType(DType dtype) => dtype.ElementSize() switch
    {
        1 => "uchar",
        2 => "ushort",
        4 => "uint",
        _ => "ulong",
    };

    internal static NotSupportedException Unsupported(string op, DType dtype) =>
        new($"{op}: dtype {dtype} is not supported by the OpenCL kernels; cast to Float32 (or Float64/Int32) first");

    public override string ToString() => $"OpenCLBackend({Info})";
}
