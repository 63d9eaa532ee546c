// The feed-forward sub-layer of a transformer block: a plain two-layer MLP or a gated one (SwiGLU, GeGLU).
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// The position-wise feed-forward network, [..., width] -> [..., width]:
/// <code>
/// Plain    y = W2 act(W1 x)                    fc [hidden, width], proj [width, hidden]
/// SwiGlu   y = Wd (silu(Wg x) * (Wu x))        gate, up [hidden, width], down [width, hidden]
/// GeGlu    y = Wd (gelu(Wg x) * (Wu x))        same shapes as SwiGlu
/// </code>
/// <para><c>act</c> is the <c>activation</c> argument and applies to the plain MLP; SwiGLU always gates with SiLU and
/// GeGLU with GELU (tanh-approximated when the activation is <see cref="Activation.GeluTanh"/>, exact otherwise).
/// A gated MLP has three matrices instead of two, so at equal parameter count its hidden width is about 2/3 of a
/// plain one's (8/3 width instead of 4 width, rounded to a multiple of 64 or 128 in real models).</para>
/// </summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    public Mlp(int width, int hidden, MlpKind kind = MlpKind.Plain, Activation activation = Activation.Gelu, bool bias = true,
               Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "Mlp: width must be positive");
        if (hidden <= 0) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "Mlp: hidden (MlpHidden) must be positive");
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Mlp: unknown MlpKind");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, "Mlp: unknown Activation");
        Width = width;
        Hidden = hidden;
        Kind = kind;
        Activation = activation;
        if (kind == MlpKind.Plain)
        {
            Fc = AddModule("fc", new Linear(width, hidden, bias, generator, dtype, device));
            Output = AddModule("proj", new Linear(hidden, width, bias, generator, dtype, device));
        }
        else
        {
            Gate = AddModule("gate", new Linear(width, hidden, bias, generator, dtype, device));
            Up = AddModule("up", new Linear(width, hidden, bias, generator, dtype, device));
            Output = AddModule("down", new Linear(hidden, width, bias, generator, dtype, device));
        }
    }

    public int Width { get; }
    public int Hidden { get; }
    public MlpKind Kind { get; }
    public Activation Activation { get; }
    /// <summary>W1 of the plain MLP.</summary>
    public Linear? Fc { get; }
    /// <summary>Wg of a gated MLP.</summary>
    public Linear? Gate { get; }
    /// <summary>Wu of a gated MLP.</summary>
    public Linear? Up { get; }
    /// <summary>The last projection (W2 or Wd): the one that writes into the residual stream (GPT-2 scales its init).</summary>
    public Linear Output { get; }

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Size(-1) != Width)
            throw new ArgumentException($"Mlp: expected input [..., width] with width = {Width}, got shape {Format(x.Shape)}", nameof(x));
        var h = Kind switch                                                          // [..., width] -> [..., hidden]
        {
            MlpKind.Plain => Activations.Apply(Activation, Fc!.Call(x)),             // act(fc(x)): [..., hidden]
            MlpKind.SwiGlu => Gate!.Call(x).Silu() * Up!.Call(x),                    // [..., hidden] * [..., hidden]
            _ => Gate!.Call(x).Gelu(Activation == Activation.GeluTanh ? "tanh" : "none") * Up!.Call(x), // [..., hidden] * [..., hidden]
        };
        return Output.Call(h);                                                       // [..., hidden] -> [..., width]
    }
}
