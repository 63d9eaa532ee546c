// Elementwise add and GELU on 1M float32 elements on the OpenCL device, beside the CPU backend, in one run so
// the ratio is meaningful. Each OpenCL call waits for its kernel (Synchronize), so device time is measured.
using BenchmarkDotNet.Attributes;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class OpenCLElementwiseBenchmarks
{
    private const int N = 1 << 20;
    private Tensor _a = null!, _b = null!;
    private IBackend _backend = null!;

    /// <summary>"cpu" or "opencl"; the OpenCL cases fail with the runtime's reason when it is not installed.</summary>
    [Params("cpu", "opencl")]
    public string Device { get; set; } = "cpu";

    [GlobalSetup]
    public void Setup()
    {
        if (Device == "opencl" && !OpenCLRuntime.IsAvailable) throw new InvalidOperationException(OpenCLRuntime.UnavailableReason);
        var device = DotGrad.Backends.Device.Parse(Device);
        var g = new Generator(1);
        _a = Tensor.Randn([N], g, DType.Float32, device);
        _b = Tensor.Randn([N], g, DType.Float32, device);
        _backend = Backend.For(device);
        _backend.Synchronize();
    }

    [Benchmark(Description = "add 1M")]
    public void Add()
    {
        using var c = _a + _b;
        _backend.Synchronize();
    }

    [Benchmark(Description = "gelu 1M (exact)")]
    public void Gelu()
    {
        using var c = _a.Gelu();
        _backend.Synchronize();
    }
}
