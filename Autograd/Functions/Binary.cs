// Binary functions. Broadcasting and dtype promotion happen before the op as explicit (differentiable) casts and
// expands, so every backward here returns gradients of the output's shape and Expand's backward does the summing.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>Shared forward of the binary functions.</summary>
public abstract class BinaryFunction : Function
{
    protected Tensor A => Inputs[0];
    protected Tensor B => Inputs[1];

    internal static Tensor Run<TOp, TFn>(Tensor a, Tensor b, bool floatOnly = false)
        where TOp : struct, IBinaryOperator<TOp> where TFn : BinaryFunction, new()
    {
        if (!Autograd.IsRecording([a, b])) return RawOps.Binary<TOp>(a, b, floatOnly);
        var (x, y) = Broadcast(a, b, RawOps.BinaryDType<TOp>(a, b, floatOnly), TOp.Name);
        return Record(RawOps.Binary<TOp>(x, y, floatOnly), () => new TFn(), x, y);
    }

    /// <summary>Casts and expands both operands to the common dtype and shape, through recorded ops.</summary>
    internal static (Tensor, Tensor) Broadcast(Tensor a, Tensor b, DType dtype, string op)
    {
        RawOps.CheckSameDevice(op, a, b);
        var shape = ShapeMath.Broadcast(a.ShapeRef, b.ShapeRef, op);
        return (Conform(a, dtype, shape), Conform(b, dtype, shape));
    }

    internal static Tensor Conform(Tensor t, DType dtype, int[] shape)
    {
        if (t.DType != dtype) t = t.To(dtype);
        return t.ShapeRef.SequenceEqual(shape) ? t : t.Expand(shape);
    }
}

/// <summary>a + b. d/da = 1, d/db = 1.</summary>
public sealed class Add : BinaryFunction
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor a, Tensor b) => Run<AddOp, Add>(a, b);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut, dOut];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Add>("binary").Op("add", x => x[0] + x[1], d => d.Pair(-2, 2, -2, 2), uses: [typeof(Expand)]);
}

/// <summary>a - b. d/da = 1, d/db = -1.</summary>
public sealed class Sub : BinaryFunction
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor a, Tensor b) => Run<SubOp, Sub>(a, b);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut, B.RequiresGrad ? -dOut : null];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sub>("binary").Op("sub", x => x[0] - x[1], d => d.Pair(-2, 2, -2, 2), uses: [typeof(Expand)]);
}

/// <summary>a * b. d/da = b, d/db = a.</summary>
public sealed class Mul : BinaryFunction
{
    public static Tensor Apply(Tensor a, Tensor b) => Run<MulOp, Mul>(a, b);
    protected internal override Tensor?[] Backward(Tensor dOut) =>
        [A.RequiresGrad ? dOut * B : null, B.RequiresGrad ? dOut * A : null];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Mul>("binary").Op("mul", x => x[0] * x[1], d => d.Pair(-2, 2, -2, 2), uses: [typeof(Expand)]);
}

/// <summary>a / b (true division: integers give Float32). d/da = 1/b, d/db = -a/b^2.</summary>
public sealed class Div : BinaryFunction
{
    public static Tensor Apply(Tensor a, Tensor b) => Run<DivOp, Div>(a, b, floatOnly: true);
    protected internal override Tensor?[] Backward(Tensor dOut) =>
        [A.RequiresGrad ? dOut / B : null, B.RequiresGrad ? -(dOut * A / B.Square()) : null];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Div>("binary").Op("div", x => x[0] / x[1], d => d.PairDivisor(), uses: [typeof(Expand)]);
}

/// <summary>
/// a^b with C's pow semantics. d/da = b a^(b-1); d/db = a^b ln a, taken as 0 where a = 0 and b &gt;= 0 (PyTorch's
/// rule, so that 0^b with b &gt; 0 has a finite exponent gradient). Unlike PyTorch, Int32 ^ Int32 computes in Float32.
/// </summary>
public sealed class Pow : BinaryFunction
{
    public static Tensor Apply(Tensor a, Tensor b) => Run<PowOp, Pow>(a, b, floatOnly: true);
    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        Tensor? da = null, db = null;
        if (A.RequiresGrad) da = dOut * B * A.Pow(B - 1.0);
        if (B.RequiresGrad)
        {
            var zeroBase = Tensor.Where(A.Eq(0.0), B.Ge(0.0), Tensor.Scalar(0, DType.Bool, A.Device));
            var safeA = Tensor.Where(zeroBase, Tensor.Scalar(1, A.DType, A.Device), A);
            db = Tensor.Where(zeroBase, Tensor.Scalar(0, dOut.DType, dOut.Device), dOut * A.Pow(B) * safeA.Log());
        }
        return [da, db];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Pow>("binary")
        .Op("pow", x => x[0].Pow(x[1]), d => d.Pair(0.3, 2, -2, 2), uses: [typeof(Expand)])
        .Op("pow_scalar", x => x[0].Pow(2.5), d => d.Unary(0.3, 2), family: "unary")
        .Op("pow_scalar_negative_base", x => x[0].Pow(3.0), d => d.Unary(-2, 2), family: "unary");
}

/// <summary>max(a, b). The gradient goes to the larger input; ties split it evenly (PyTorch's rule for maximum).</summary>
public sealed class Maximum : BinaryFunction
{
    public static Tensor Apply(Tensor a, Tensor b) => Run<MaximumOp, Maximum>(a, b);
    protected internal override Tensor?[] Backward(Tensor dOut) => SplitTies(dOut, A.Gt(B), A.Eq(B));

    /// <summary>dOut to the winning side, half of it to each side on a tie.</summary>
    internal static Tensor?[] SplitTies(Tensor dOut, Tensor aWins, Tensor tie)
    {
        var share = aWins.To(dOut.DType) + tie.To(dOut.DType) * 0.5; // 1 where a wins, 1/2 on ties, 0 where b wins
        return [dOut * share, dOut * (1.0 - share)];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Maximum>("binary")
        .Op("maximum", x => x[0].Maximum(x[1]), d => d.DistinctPair(), twice: false, uses: [typeof(Expand)]);
}

/// <summary>min(a, b). The gradient goes to the smaller input; ties split it evenly.</summary>
public sealed class Minimum : BinaryFunction
{
    public static Tensor Apply(Tensor a, Tensor b) => Run<MinimumOp, Minimum>(a, b);
    protected internal override Tensor?[] Backward(Tensor dOut) => Maximum.SplitTies(dOut, A.Lt(B), A.Eq(B));

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Minimum>("binary")
        .Op("minimum", x => x[0].Minimum(x[1]), d => d.DistinctPair(), twice: false, uses: [typeof(Expand)]);
}

/// <summary>
/// clamp(x, lo, hi) = min(max(x, lo), hi); lo &gt; hi gives hi everywhere, like PyTorch.
/// d/dx = 1 where lo &lt;= x &lt;= hi (bounds included, like PyTorch), else 0.
/// </summary>
public sealed class Clamp(double? min, double? max) : Function
{
    public static Tensor Apply(Tensor x, double? min, double? max)
    {
        if (min is null && max is null) throw new ArgumentException("clamp: at least one of min and max must be given");
        Tensor y;
        using (Autograd.Pause())
        {
            y = x;
            if (min is { } l) { using var s = RawOps.ScalarLike(x, l); y = RawOps.Binary<MaximumOp>(y, s); }
            if (max is { } h)
            {
                using var s = RawOps.ScalarLike(x, h);
                var z = RawOps.Binary<MinimumOp>(y, s);
                if (!ReferenceEquals(y, x)) y.Dispose();
                y = z;
            }
        }
        return Record(y, () => new Clamp(min, max), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var x = Inputs[0];
        var inside = Tensor.OnesLike(dOut);
        if (min is { } lo) inside = inside * x.Ge(lo).To(dOut.DType);
        if (max is { } hi) inside = inside * x.Le(hi).To(dOut.DType);
        return [dOut * inside];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Clamp>("unary")
        .Op("clamp", x => x[0].Clamp(-0.5, 0.5), d => d.One(d.AwayFrom(d.Shape(), -2, 2, [-0.5, 0.5], 0.05)), twice: false)
        .Op("clamp_min", x => x[0].Clamp(min: 0.25), d => d.One(d.AwayFrom(d.Shape(), -2, 2, [0.25], 0.05)), twice: false);
}

/// <summary>where(cond, a, b). d/da = dOut where cond, d/db = dOut elsewhere; no gradient to the mask.</summary>
public sealed class Where : Function
{
    public static Tensor Apply(Tensor condition, Tensor a, Tensor b)
    {
        if (!Autograd.IsRecording([a, b])) return RawOps.Where(condition, a, b);
        RawOps.CheckSameDevice("where", condition, a);
        var dtype = RawOps.Promote("where", a.DType, b.DType);
        var shape = ShapeMath.Broadcast(ShapeMath.Broadcast(condition.ShapeRef, a.ShapeRef, "where"), b.ShapeRef, "where");
        var c = BinaryFunction.Conform(condition, DType.Bool, shape);
        var x = BinaryFunction.Conform(a, dtype, shape);
        var y = BinaryFunction.Conform(b, dtype, shape);
        return Record(RawOps.Where(c, x, y), () => new Where(), c, x, y);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var zero = Tensor.Scalar(0, dOut.DType, dOut.Device);
        var c = Inputs[0];
        return [null, Tensor.Where(c, dOut, zero), Tensor.Where(c, zero, dOut)];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Where>("binary")
        .Op("where", x => Tensor.Where(x[0], x[1], x[2]), d => d.WhereSample(), uses: [typeof(Expand)])
        .Op("masked_fill", x => x[0].MaskedFill(x[1], 1.5), d => d.MaskedFillSample(), uses: [typeof(Expand)]);
}
