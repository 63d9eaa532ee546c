// Square SGEMM through the tensor API on the first OpenCL device, with the CPU backend alongside for comparison,
// and the GFLOP/s column (2 N^3 / mean time) to set against the device's peak.
//
//   dotnet run -c Release --project Benchmarks -- --filter '*OpenCLGemm*'
//   DOTGRAD_GEMM_SIZES=256,512 dotnet run -c Release --project Benchmarks -- --filter '*OpenCLGemm*'   (some sizes)
using BenchmarkDotNet.Attributes;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Benchmarks;

[Config(typeof(GemmBenchmarkConfig))]
public class OpenCLGemmBenchmarks
{
    /// <summary>N, from DOTGRAD_GEMM_SIZES (comma-separated) when set: the big sizes take minutes on a CPU runtime.</summary>
    public static IEnumerable<int> Sizes =>
        Environment.GetEnvironmentVariable("DOTGRAD_GEMM_SIZES") is { Length: > 0 } sizes
            ? sizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)
            : [256, 512, 1024, 2048, 4096];

    /// <summary>"opencl:0" and "cpu"; without an OpenCL runtime only "cpu", and a line that says why.</summary>
    public static IEnumerable<string> Devices
    {
        get
        {
            if (OpenCLRuntime.IsAvailable) return ["opencl:0", "cpu"];
            Console.WriteLine($"OpenCLGemmBenchmarks: OpenCL is unavailable, so only the cpu rows run: {OpenCLRuntime.UnavailableReason}");
            return ["cpu"];
        }
    }

    [ParamsSource(nameof(Sizes))]
    public int N { get; set; }

    [ParamsSource(nameof(Devices))]
    public string DeviceName { get; set; } = "cpu";

    private Device _device;
    private Tensor _a = null!, _b = null!;

    [GlobalSetup]
    public void Setup()
    {
        _device = Device.Parse(DeviceName);
        // Drawn on the CPU and moved, so every device multiplies the same numbers.
        using var a = Tensor.Randn([N, N], new Generator(1));
        using var b = Tensor.Randn([N, N], new Generator(2));
        _a = a.To(_device);
        _b = b.To(_device);
        if (_device.Kind == DeviceKind.OpenCL)
            Console.WriteLine($"// {OpenCLBackend.Get(_device.Index).Info}, tiling {OpenCLBackend.Get(_device.Index).Tiling(DType.Float32)?.ToString() ?? "none (naive)"}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Benchmark(Description = "sgemm [N, N] @ [N, N]")]
    public void Sgemm()
    {
        using var c = _a.MatMul(_b);
        // OpenCL kernels are queued, not run: wait for them so the device time is measured.
        Backend.For(_device).Synchronize();
    }
}
