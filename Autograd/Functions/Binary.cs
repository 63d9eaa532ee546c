// Binary functions with broadcasting. Broadcasting is an explicit expand, so each backward will reduce
// the gradient back to its input's shape by summing over the expanded dims.
using DotGrad.Backends;

namespace DotGrad.Autograd.Functions;

/// <summary>a + b. d/da = 1, d/db = 1.</summary>
public sealed class Add { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<AddOp>(a, b); }

/// <summary>a - b. d/da = 1, d/db = -1.</summary>
public sealed class Sub { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<SubOp>(a, b); }

/// <summary>a * b. d/da = b, d/db = a.</summary>
public sealed class Mul { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<MulOp>(a, b); }

/// <summary>a / b (true division: integers give Float32). d/da = 1/b, d/db = -a/b^2.</summary>
public sealed class Div { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<DivOp>(a, b, floatOnly: true); }

/// <summary>
/// a^b with C's pow semantics. d/da = b a^(b-1), d/db = a^b ln a. Unlike PyTorch, Int32 ^ Int32 computes in
/// Float32 and gives Float32 (PyTorch keeps integers).
/// </summary>
public sealed class Pow { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<PowOp>(a, b, floatOnly: true); }

/// <summary>max(a, b). The gradient goes to the larger input; ties split it evenly (PyTorch's rule for maximum).</summary>
public sealed class Maximum { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<MaximumOp>(a, b); }

/// <summary>min(a, b). The gradient goes to the smaller input; ties split it evenly.</summary>
public sealed class Minimum { public static Tensor Forward(Tensor a, Tensor b) => Kernels.Binary<MinimumOp>(a, b); }

/// <summary>
/// clamp(x, lo, hi) = min(max(x, lo), hi). d/dx = 1 inside [lo, hi] (bounds included, like PyTorch), else 0.
/// When lo &gt; hi every element becomes hi, as in <c>torch.clamp</c> (that is what the formula gives).
/// </summary>
public sealed class Clamp
{
    public static Tensor Forward(Tensor x, double? min, double? max)
    {
        if (min is null && max is null) throw new ArgumentException("clamp: at least one of min and max must be given");
        var y = x;
        if (min is { } l) { using var s = Kernels.ScalarLike(x, l); y = Kernels.Binary<MaximumOp>(y, s); }
        if (max is { } h)
        {
            using var s = Kernels.ScalarLike(x, h);
            var z = Kernels.Binary<MinimumOp>(y, s);
            if (!ReferenceEquals(y, x)) y.Dispose();
            y = z;
        }
        return y;
    }
}

/// <summary>where(cond, a, b). d/da = cond, d/db = !cond; no gradient to the mask.</summary>
public sealed class Where { public static Tensor Forward(Tensor condition, Tensor a, Tensor b) => Kernels.Where(condition, a, b); }
