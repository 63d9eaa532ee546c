// Gradient clipping: by the global norm of all gradients, and adaptive clipping per output unit (AGC, NFNets).
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>Gradient clipping applied between <c>Backward()</c> and <c>Step()</c>; both scale the gradients in place.</summary>
public static class Clipping
{
    /// <summary>
    /// Clips by the global norm, as <c>torch.nn.utils.clip_grad_norm_</c> (L2): <c>N = sqrt(sum_i ||g_i||^2)</c> over
    /// every gradient, then each g is scaled by <c>min(1, maxNorm / (N + 1e-6))</c>. The 1e-6 keeps the scale finite
    /// at N = 0 and leaves a norm just at the limit a hair under it: with maxNorm 1 and N 5 the gradients end at norm
    /// 5/5.000001. Returns N before clipping. Parameters without a gradient are skipped; N = 0 leaves everything as is
    /// (unless maxNorm is 0, which zeroes every gradient, as in PyTorch).
    /// A NaN or infinite N throws (PyTorch's <c>error_if_nonfinite=True</c>) when <paramref name="errorIfNonfinite"/>.
    /// Otherwise it is returned with the gradients left unscaled, so a training loop can skip the step; here DotGrad
    /// differs from PyTorch, which multiplies by the NaN (or 0) scale.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!double.IsFinite(maxNorm) || maxNorm < 0)
            throw new ArgumentException($"Clipping.ClipGradNorm: maxNorm must be a finite number >= 0, got {maxNorm}", nameof(maxNorm));
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToArray();
        if (grads.Length == 0) return 0;
        double norm;
        using (Autograd.NoGrad())
        using (Tensor.NewDisposeScope())
        {
            // Each gradient's squared norm in Float64, summed on the device: one read, however many parameters.
            var squares = grads.Select(g => g.To(DType.Float64).Square().Sum()).ToArray();
            norm = Math.Sqrt(Tensor.Stack(squares).Sum().Item());
            if (!double.IsFinite(norm))
            {
                if (errorIfNonfinite)
                    throw new ArithmeticException($"Clipping.ClipGradNorm: the total gradient norm is {norm}; some gradient holds NaN or infinity");
                return norm;
            }
            // PyTorch multiplies by the clamped scale always; a scale of 1 changes nothing, so only a smaller one is applied.
            double scale = maxNorm / (norm + 1e-6);
            if (scale < 1)
                foreach (var g in grads) g[TensorIndex.Ellipsis] = g * scale;
        }
        return norm;
    }

    /// <summary>
    /// Adaptive gradient clipping (Brock et al., 2021, "NFNets"), per output unit u: for a (fan_out, fan_in, ...) weight
    /// the unit is a row (norms over every dim but 0); a vector or scalar is one unit. With
    /// <c>max = lambda * max(||p||_u, eps)</c>, a unit whose <c>||g||_u &gt; max</c> is scaled to norm max. The
    /// parameters named in <paramref name="exclude"/> (the final classifier, as the paper does) are left alone; a name
    /// that matches no parameter throws, so a typo does not silently clip the head.
    /// </summary>
    public static void Agc(IEnumerable<(string Name, Tensor Parameter)> parameters, double lambda = 0.01, double eps = 1e-3, IEnumerable<string>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!double.IsFinite(lambda) || lambda <= 0)
            throw new ArgumentException($"Clipping.Agc: lambda must be a finite number > 0, got {lambda}", nameof(lambda));
        if (!double.IsFinite(eps) || eps < 0)
            throw new ArgumentException($"Clipping.Agc: eps must be a finite number >= 0, got {eps}", nameof(eps));
        var list = parameters.ToArray();
        var excluded = new HashSet<string>(exclude ?? []);
        var unknown = excluded.Where(n => list.All(p => p.Name != n)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Clipping.Agc: excluded names match no parameter: {string.Join(", ", unknown)} (parameters: {string.Join(", ", list.Select(p => p.Name).Take(12))}{(list.Length > 12 ? ", ..." : "")})", nameof(exclude));

        using var _ = Autograd.NoGrad();
        foreach (var (name, p) in list)
        {
            if (excluded.Contains(name) || p.Grad is not { } g) continue;
            using var scope = Tensor.NewDisposeScope();
            var pNorm = UnitNorm(p);                                  // [fan_out, 1, ...] or [] for a vector
            var gNorm = UnitNorm(g);
            var max = pNorm.Clamp(min: eps) * lambda;
            // Scale only the units over the limit; the 1e-6 floor keeps 0/0 out of the unselected branch.
            var clipped = g * (max / gNorm.Clamp(min: 1e-6));
            g[TensorIndex.Ellipsis] = Tensor.Where(gNorm.Gt(max), clipped, g);
        }
    }

    // The L2 norm of each output unit: over every dim but 0 for rank >= 2 (kept, so it broadcasts), over all for a vector.
    private static Tensor UnitNorm(Tensor x) =>
        x.Rank <= 1 ? x.Square().Sum().Sqrt() : x.Square().Sum(Enumerable.Range(1, x.Rank - 1).ToArray(), keepDim: true).Sqrt();
}
