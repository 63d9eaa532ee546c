// One transformer block on one device, ready to time: its parameters, an input that needs a gradient (as every
// block's input does inside a model) and an upstream gradient, all drawn once. A step is the forward pass, the
// backward pass into the input and every weight, and a wait for the device.
using System.Diagnostics;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Cli.Study;

internal sealed class BlockBench : IDisposable
{
    private readonly TransformerBlock _block;
    private readonly Tensor _x, _dy;
    private readonly IBackend _backend;

    public BlockBench(BlockConfig config, Device device, int batch, int tokens, ulong seed)
    {
        if (batch <= 0 || tokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), $"BlockBench: batch and tokens must be positive, got batch {batch}, tokens {tokens}");
        var generator = new Generator(seed);
        _block = new TransformerBlock(config, generator, DType.Float32, device);
        _x = Tensor.Randn([batch, tokens, config.Width], generator, DType.Float32, device).RequireGrad();   // [B, T, C]
        _dy = Tensor.Randn([batch, tokens, config.Width], generator, DType.Float32, device);                // [B, T, C]
        _backend = Backend.For(device);
        Parameters = _block.ParameterCount();
    }

    /// <summary>The block's parameter count.</summary>
    public long Parameters { get; }

    /// <summary>Forward, backward with the fixed upstream gradient, wait for the device, drop the gradients.</summary>
    public void Step()
    {
        using (Tensor.NewDisposeScope())
        {
            var y = _block.Call(_x);                 // [B, T, C]
            y.Backward(_dy);                         // dx and every dW
        }
        _backend.Synchronize();
        _x.ZeroGrad();
        foreach (var p in _block.Parameters()) p.ZeroGrad();
    }

    /// <summary>Seconds per step over <paramref name="iterations"/> steps in a row.</summary>
    public double Time(int iterations)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) Step();
        return watch.Elapsed.TotalSeconds / iterations;
    }

    public void Dispose()
    {
        _block.Dispose();
        _x.Dispose();
        _dy.Dispose();
    }
}
