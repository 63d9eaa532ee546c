// PyTorch's lerp, the form its optimizers write their moving averages in (exp_avg.lerp_(grad, 1 - beta1)).
namespace DotGrad.Optim;

internal static class Interpolation
{
    /// <summary>
    /// <c>a + w (b - a)</c>, computed as PyTorch's <c>torch.lerp</c> computes it: from <paramref name="a"/> when
    /// w &lt; 0.5 and from <paramref name="b"/> (<c>b - (1 - w)(b - a)</c>) otherwise, so that w = 1 gives b exactly.
    /// It is the moving average <c>(1 - w) a + w b</c> of the papers, rounded the way PyTorch rounds it.
    /// </summary>
    public static Tensor Lerp(Tensor a, Tensor b, double w) =>
        Math.Abs(w) < 0.5 ? a + (b - a) * w : b - (b - a) * (1 - w);
}
