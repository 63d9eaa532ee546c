// Row softmax and a whole-tensor sum through the tensor API, on the CPU backend and on the first OpenCL device.
using BenchmarkDotNet.Attributes;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Benchmarks;

[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class OpenCLReduceBenchmarks
{
    private const int Elements = 1 << 20;

    /// <summary>"cpu", and "opencl:0" only where an OpenCL runtime is installed.</summary>
    public static IEnumerable<string> Devices => OpenCLRuntime.IsAvailable ? ["cpu", "opencl:0"] : ["cpu"];

    [ParamsSource(nameof(Devices))]
    public string DeviceName = "cpu";

    [Params(64, 1024)]
    public int Cols;

    private Device _device;
    private Tensor _rows = null!, _flat = null!;

    private int Rows => Elements / Cols;

    [GlobalSetup]
    public void Setup()
    {
        _device = Device.Parse(DeviceName);
        // Drawn on the CPU and moved, so every device sees the same numbers.
        using var rows = Tensor.Randn([Rows, Cols], new Generator(5));
        using var flat = Tensor.Randn([Elements], new Generator(6));
        _rows = rows.To(_device);
        _flat = flat.To(_device);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rows.Dispose();
        _flat.Dispose();
    }

    [Benchmark(Description = "softmax rows [1M / cols, cols]")]
    public void SoftmaxRows()
    {
        using var y = _rows.Softmax(-1);
        // OpenCL kernels are queued, not run: wait for them so the device time is measured.
        Backend.For(_device).Synchronize();
    }

    [Benchmark(Description = "sum of 1M elements")]
    public void SumAll()
    {
        using var s = _flat.Sum();
        Backend.For(_device).Synchronize();
    }
}
