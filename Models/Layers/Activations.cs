// Elementwise activations as modules, and one helper that applies the Activation a block config names.
namespace DotGrad.Models;

/// <summary>Applies an <see cref="Activation"/> by kind: what blocks and MLPs call with their config's choice.</summary>
public static class Activations
{
    /// <summary>The divisor of the scaled GELU: GELU's peak slope is 1.128998 (at x = sqrt 2), so <c>gelu(x) / 1.1289</c> has slope at most 1 (to 3e-6).</summary>
    public const double ScaledGeluDivisor = 1.1289;

    /// <summary><paramref name="kind"/> applied to <paramref name="x"/> elementwise (differentiable).</summary>
    public static Tensor Apply(Activation kind, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return kind switch
        {
            Activation.Gelu => x.Gelu(),
            Activation.GeluTanh => x.Gelu("tanh"),
            Activation.ScaledGelu => x.Gelu() / ScaledGeluDivisor,
            Activation.Relu => x.Relu(),
            Activation.Silu => x.Silu(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Activations.Apply: unknown activation"),
        };
    }

    /// <summary>A module for <paramref name="kind"/> (to place an activation in a list of layers).</summary>
    public static Module<Tensor, Tensor> Create(Activation kind) => kind switch
    {
        Activation.Gelu => new Gelu(),
        Activation.GeluTanh => new Gelu("tanh"),
        Activation.ScaledGelu => new ScaledGelu(),
        Activation.Relu => new ReLU(),
        Activation.Silu => new Silu(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Activations.Create: unknown activation"),
    };
}

/// <summary><c>max(x, 0)</c>, PyTorch's <c>nn.ReLU</c>.</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Relu();
}

/// <summary>
/// GELU, PyTorch's <c>nn.GELU(approximate)</c>: "none" is exact, <c>x Φ(x)</c> with erf (PyTorch's default);
/// "tanh" is <c>0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))</c> (flax's default).
/// </summary>
public sealed class Gelu : Module<Tensor, Tensor>
{
    public Gelu(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"Gelu: approximate must be 'none' or 'tanh', got '{approximate}'", nameof(approximate));
        Approximate = approximate;
    }

    public string Approximate { get; }

    public override Tensor Forward(Tensor x) => x.Gelu(Approximate);
}

/// <summary><c>gelu(x) / 1.1289</c> (exact GELU): slope at most 1, as the dualized (modula) models need.</summary>
public sealed class ScaledGelu : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => Activations.Apply(Activation.ScaledGelu, x);
}

/// <summary><c>x sigmoid(x)</c>, PyTorch's <c>nn.SiLU</c> (swish).</summary>
public sealed class Silu : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Silu();
}
