// The MLP of the reference steps: 784 -> 512 -> 512 -> 10 with ReLU, for flattened MNIST-sized inputs.
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Benchmarks;

/// <summary><c>Linear(784, 512)</c>, ReLU, <c>Linear(512, 512)</c>, ReLU, <c>Linear(512, 10)</c>: [B, 784] -> [B, 10].</summary>
public sealed class ReferenceMlp : Module<Tensor, Tensor>
{
    /// <summary>Input features (a flattened 28 x 28 image), hidden width and classes.</summary>
    public const int Inputs = 784, Hidden = 512, Classes = 10;

    public ReferenceMlp(Generator? generator = null, Device? device = null)
    {
        Fc1 = AddModule("fc1", new Linear(Inputs, Hidden, generator: generator, device: device));
        Fc2 = AddModule("fc2", new Linear(Hidden, Hidden, generator: generator, device: device));
        Fc3 = AddModule("fc3", new Linear(Hidden, Classes, generator: generator, device: device));
    }

    /// <summary>Linear(784, 512).</summary>
    public Linear Fc1 { get; }
    /// <summary>Linear(512, 512).</summary>
    public Linear Fc2 { get; }
    /// <summary>Linear(512, 10).</summary>
    public Linear Fc3 { get; }

    /// <summary>[B, 784] -> [B, 10] logits.</summary>
    public override Tensor Forward(Tensor x)
    {
        var h = Fc1.Call(x).Relu();     // [B, 512]
        h = Fc2.Call(h).Relu();         // [B, 512]
        return Fc3.Call(h);             // [B, 10]
    }
}
