// One optimizer step on the parameters of a small GPT (width 128, depth 4, about 0.8M parameters, Float32), per
// optimizer: what each costs per step beside the forward and backward, on the CPU backend and the first OpenCL device.
using BenchmarkDotNet.Attributes;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Benchmarks;

[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class OptimizerStepBenchmarks
{
    /// <summary>"cpu", and "opencl:0" only where an OpenCL runtime is installed.</summary>
    public static IEnumerable<string> Devices => OpenCLRuntime.IsAvailable ? ["cpu", "opencl:0"] : ["cpu"];

    [ParamsSource(nameof(Devices))]
    public string DeviceName = "cpu";

    [Params("sgd-momentum", "adamw", "adafactor", "adafactor-bv", "lion", "sm3", "muon", "dualized")]
    public string Optimizer = "adamw";

    private Device _device;
    private Gpt _model = null!;
    private Optimizer _opt = null!;

    [GlobalSetup]
    public void Setup()
    {
        var device = _device = Device.Parse(DeviceName);
        _model = new Gpt(new GptConfig(VocabSize: 256, ContextLength: 64, Width: 128, Depth: 4, Heads: 4, TiedHead: false), new Generator(1), device: device);
        var ps = _model.Parameters().ToArray();
        _opt = Optimizer switch
        {
            "sgd-momentum" => new Sgd(ps, new SgdOptions { Lr = 0.1, Momentum = 0.9 }),
            "adamw" => new AdamW(ps),
            "adafactor" => new Adafactor(ps, new AdafactorOptions { MinDimToFactor = 32 }),
            "adafactor-bv" => new Adafactor(ps, AdafactorOptions.ScalingVit()),
            "lion" => new Lion(ps),
            "sm3" => new Sm3(ps),
            "muon" => DotGrad.Optim.Muon.ForModel(_model),
            "dualized" => new Dualized(_model),
            _ => throw new ArgumentException($"unknown optimizer {Optimizer}"),
        };
        // Fixed gradients, drawn once: the benchmark measures the update alone.
        var g = new Generator(2);
        foreach (var p in ps) p.Grad = (Tensor.Randn(p.Shape, g, p.DType, device) * 0.01).DetachFromDisposeScope();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _opt.Dispose();
        _model.Dispose();
    }

    [Benchmark(Description = "optimizer step, small GPT")]
    public void Step()
    {
        _opt.Step();
        Backend.For(_device).Synchronize();
    }
}
