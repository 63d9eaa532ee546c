// DotGrad's torch.nn.functional: composite ops written once from public tensor primitives, so that each reads as
// its math and its gradient comes from the primitives' backward. Losses, norms and attention live in the partial
// files Functional.Losses.cs, Functional.Norms.cs and Functional.Attention.cs.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// Composite neural-network functions (PyTorch's <c>torch.nn.functional</c>): activations, losses, normalisation
/// and attention. Each is the readable definition and the test oracle for any fused kernel of the same op.
/// </summary>
public static partial class Functional
{
    private const double Sqrt2 = 1.4142135623730951;
    private const double Sqrt2OverPi = 0.7978845608028654; // sqrt(2 / pi)

    /// <summary>
    /// GELU from primitives, the oracle for the fused <see cref="Tensor.Gelu"/>.
    /// "none" (exact): x * 0.5 * (1 + erf(x / sqrt 2)) = x Phi(x).
    /// "tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    /// Same forms and names as <c>torch.nn.functional.gelu(x, approximate=...)</c>.
    /// </summary>
    public static Tensor GeluComposite(Tensor x, string approximate = "none")
    {
        ArgumentNullException.ThrowIfNull(x);
        return approximate switch
        {
            "none" => x * 0.5 * ((x / Sqrt2).Erf() + 1.0),
            "tanh" => x * 0.5 * (((x + x.Pow(3) * 0.044715) * Sqrt2OverPi).Tanh() + 1.0),
            _ => throw new ArgumentException($"gelu: approximate must be 'none' or 'tanh', got '{approximate}'", nameof(approximate)),
        };
    }

    /// <summary>SiLU (swish) from primitives, x * sigmoid(x): the oracle for the fused <see cref="Tensor.Silu"/>, as <c>F.silu</c>.</summary>
    public static Tensor SiluComposite(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x * x.Sigmoid();
    }

    /// <summary>The reductions a loss accepts, like PyTorch's <c>reduction=</c> argument.</summary>
    private static void CheckReduction(string op, string reduction)
    {
        if (reduction is not ("mean" or "sum" or "none"))
            throw new ArgumentException($"{op}: reduction must be 'mean', 'sum' or 'none', got '{reduction}'", nameof(reduction));
    }

    private static void CheckFloat(string op, string name, Tensor t)
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{op}: expected {name} to be Float32 or Float64, got {t.DType}; convert with .To(DType.Float32)", name);
    }

    private static void CheckSameDType(string op, Tensor a, string aName, Tensor b, string bName)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: expected {bName} to have {aName}'s dtype {a.DType}, got {b.DType}; convert one with .To(dtype)", bName);
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: expected {aName} and {bName} on one device, got {a.Device} and {b.Device}; move one with .To(device)", bName);
    }

    private static string Fmt(int[] shape) => ShapeMath.Format(shape);
}
