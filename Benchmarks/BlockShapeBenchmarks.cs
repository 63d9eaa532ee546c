// One ViT block, forward and backward, at two So400m shapes: the original (16 heads of 72, MLP 4304) and variant (b)
// (18 heads of 64, MLP 4352, a multiple of 128), on 2 x 256 tokens in Float32: the shapes study's question under
// BenchmarkDotNet's statistics. Variant (b) does 0.7% more FLOPs per token than the original.
//
//   dotnet run -c Release --project Benchmarks -- --filter '*BlockShape*'
using BenchmarkDotNet.Attributes;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;
using DotGrad.Models;

namespace DotGrad.Benchmarks;

[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class BlockShapeBenchmarks
{
    private const int Batch = 2, Tokens = 256;

    /// <summary>"cpu", and "opencl:0" only where an OpenCL runtime is installed.</summary>
    public static IEnumerable<string> Devices => OpenCLRuntime.IsAvailable ? ["cpu", "opencl:0"] : ["cpu"];

    [ParamsSource(nameof(Devices))]
    public string DeviceName = "cpu";

    /// <summary>"so400m" (1152 / 16 heads / 4304) or "so400m-b" (1152 / 18 heads / 4352).</summary>
    [Params("so400m", "so400m-b")]
    public string Shape = "so400m";

    private Device _device;
    private TransformerBlock _block = null!;
    private Tensor _x = null!, _dy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _device = Device.Parse(DeviceName);
        var vit = Shape == "so400m" ? VitConfig.So400m(14, 1000) : VitConfig.So400mHead64Mlp4352(14, 1000);
        var g = new Generator(1);
        _block = new TransformerBlock(vit.Block, g, DType.Float32, _device);
        _x = Tensor.Randn([Batch, Tokens, vit.Width], g, DType.Float32, _device).RequireGrad();
        _dy = Tensor.Randn([Batch, Tokens, vit.Width], g, DType.Float32, _device);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _block.Dispose();
        _x.Dispose();
        _dy.Dispose();
    }

    [Benchmark(Description = "ViT block [2, 256, 1152] forward + backward")]
    public void ForwardBackward()
    {
        using (Tensor.NewDisposeScope())
            _block.Call(_x).Backward(_dy);
        // OpenCL kernels are queued, not run: wait for them so the device time is measured.
        Backend.For(_device).Synchronize();
        _x.ZeroGrad();
        foreach (var p in _block.Parameters()) p.ZeroGrad();
    }
}
