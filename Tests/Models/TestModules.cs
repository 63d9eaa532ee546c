// Small modules built only for the module-system tests: a block with a parameter, two layers, dropout and two
// buffers; a numbered stack of modules (a Sequential); and a net that nests them, so dotted names go three deep.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Tests.Models;

/// <summary>x + drop(fc(ln(x))) * gain, with a persistent buffer "mask" and a non-persistent one "cache".</summary>
internal sealed class TestBlock : Module<Tensor, Tensor>
{
    public readonly Tensor Gain;
    public readonly LayerNorm Ln;
    public readonly Linear Fc;
    public readonly Dropout Drop;
    public readonly Tensor Mask, Cache;

    public TestBlock(int dim, Generator g, DType dtype = DType.Float32)
    {
        Gain = AddParameter("gain", Tensor.Full([dim], 0.5, dtype));
        Ln = AddModule("ln", new LayerNorm(dim, dtype: dtype));
        Fc = AddModule("fc", new Linear(dim, dim, generator: g, dtype: dtype));
        Drop = AddModule("drop", new Dropout(0.25, g));
        Mask = AddBuffer("mask", Tensor.Ones([dim], dtype));
        Cache = AddBuffer("cache", Tensor.Zeros([dim], dtype), persistent: false);
    }

    public override Tensor Forward(Tensor x) => x + Drop.Call(Fc.Call(Ln.Call(x))) * Gain * Mask;
}

/// <summary>Modules named "0", "1", ... applied in order, like PyTorch's nn.Sequential.</summary>
internal sealed class TestSequential : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor>[] _layers;

    public TestSequential(params Module<Tensor, Tensor>[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) AddModule(i.ToString(), layers[i]);
    }

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in _layers) x = layer.Call(x);
        return x;
    }
}

/// <summary>scale * head(blocks(inp(x))): parameters at the top, in a child, and two levels down.</summary>
internal sealed class TestNet : Module<Tensor, Tensor>
{
    public const int In = 3, Dim = 8, Out = 2;
    public readonly Tensor Scale;
    public readonly Linear Inp;
    public readonly TestSequential Blocks;
    public readonly TestBlock Block0, Block1;
    public readonly Linear Head;

    public TestNet(ulong seed = 1, DType dtype = DType.Float32)
    {
        var g = new Generator(seed);
        Scale = AddParameter("scale", Tensor.Full([1], 2.0, dtype));
        Inp = AddModule("inp", new Linear(In, Dim, generator: g, dtype: dtype));
        Block0 = new TestBlock(Dim, g, dtype);
        Block1 = new TestBlock(Dim, g, dtype);
        Blocks = AddModule("blocks", new TestSequential(Block0, Block1));
        Head = AddModule("head", new Linear(Dim, Out, bias: false, generator: g, dtype: dtype));
    }

    public override Tensor Forward(Tensor x) => Head.Call(Blocks.Call(Inp.Call(x))) * Scale;

    /// <summary>The parameter names in registration order, written out by hand.</summary>
    public static readonly string[] ParameterNames =
    [
        "scale", "inp.weight", "inp.bias",
        "blocks.0.gain", "blocks.0.ln.weight", "blocks.0.ln.bias", "blocks.0.fc.weight", "blocks.0.fc.bias",
        "blocks.1.gain", "blocks.1.ln.weight", "blocks.1.ln.bias", "blocks.1.fc.weight", "blocks.1.fc.bias",
        "head.weight",
    ];

    /// <summary>1 (scale) + 3*8 + 8 (inp) + 2 * (8 gain + 16 ln + 64 + 8 fc) + 8*2 (head) = 1 + 32 + 192 + 16.</summary>
    public const long ParameterTotal = 241;
}
