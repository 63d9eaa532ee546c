// Layer norm of transformer activations [4096, 768] (Float32, with weight and bias): the fused kernels against the
// composition from primitives, forward alone and forward + backward, on the CPU backend and the first OpenCL device.
using BenchmarkDotNet.Attributes;
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Benchmarks;

[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class LayerNormBenchmarks
{
    private const int Rows = 4096, C = 768;

    /// <summary>"cpu", and "opencl:0" only where an OpenCL runtime is installed.</summary>
    public static IEnumerable<string> Devices => OpenCLRuntime.IsAvailable ? ["cpu", "opencl:0"] : ["cpu"];

    [ParamsSource(nameof(Devices))]
    public string DeviceName = "cpu";

    /// <summary>true: Functional.LayerNorm (one kernel per direction); false: Functional.LayerNormComposite.</summary>
    [Params(true, false)]
    public bool Fused;

    private Device _device;
    private Tensor _x = null!, _w = null!, _b = null!, _dy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _device = Device.Parse(DeviceName);
        // Drawn on the CPU and moved, so every device sees the same numbers.
        var g = new Generator(7);
        using var x = Tensor.Randn([Rows, C], g);
        using var w = Tensor.Randn([C], g);
        using var b = Tensor.Randn([C], g);
        using var dy = Tensor.Randn([Rows, C], g);
        _x = x.To(_device).RequireGrad();
        _w = w.To(_device).RequireGrad();
        _b = b.To(_device).RequireGrad();
        _dy = dy.To(_device);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x, _w, _b, _dy }) t.Dispose();
    }

    [Benchmark(Description = "layer norm [4096, 768] forward")]
    public void Forward()
    {
        using var scope = Tensor.NewDisposeScope();
        using (Autograd.NoGrad())
            Functional.LayerNorm(_x, _w, _b, fused: Fused);
        // OpenCL kernels are queued, not run: wait for them so the device time is measured.
        Backend.For(_device).Synchronize();
    }

    [Benchmark(Description = "layer norm [4096, 768] forward + backward")]
    public void ForwardBackward()
    {
        using var scope = Tensor.NewDisposeScope(); // releases y, the saved tensors and the three gradients
        var y = Functional.LayerNorm(_x, _w, _b, fused: Fused);
        Autograd.Grad([y], [_x, _w, _b], [_dy]);
        Backend.For(_device).Synchronize();
    }
}
