// Unary functions: one small class per op, forward (a backend kernel) and backward (tensor ops) side by side.
// Each doc comment states the derivative the backward implements. The activations' first-order backwards run one
// fused kernel (RawOps.ActivationBackward); with createGraph they stay tensor ops, so they can be differentiated again.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>Shared forward of the unary functions: run the kernel, then record the node if gradients are wanted.</summary>
public abstract class UnaryFunction : Function
{
    /// <summary>The input x.</summary>
    protected Tensor X => Inputs[0];

    /// <summary>The output y, for derivatives written in terms of it (exp, tanh, sigmoid, ...).</summary>
    protected Tensor Y { get; private set; } = null!;

    internal static Tensor Run<TOp, TFn>(Tensor x) where TOp : struct, IUnaryOperator<TOp> where TFn : UnaryFunction, new()
    {
        var y = RawOps.Unary<TOp>(x);
        return Record(y, () => new TFn { Y = y }, x);
    }

    protected override void ReleaseSaved() => Y = null!;
}

/// <summary>-x. d/dx = -1.</summary>
public sealed class Neg : UnaryFunction
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x) => Run<NegOp, Neg>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [-dOut];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Neg>("unary").Op("neg", x => x[0].Neg(), d => d.Unary(-2, 2));
}

/// <summary>|x|. d/dx = sign(x) (0 at 0, like PyTorch).</summary>
public sealed class Abs : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<AbsOp, Abs>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * X.Sign()];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Abs>("unary")
        .Op("abs", x => x[0].Abs(), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), twice: false, uses: [typeof(Sign)]);
}

/// <summary>sign(x). d/dx = 0 everywhere it exists.</summary>
public sealed class Sign : UnaryFunction
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x) => Run<SignOp, Sign>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * 0.0];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sign>("unary")
        .Op("sign", x => x[0].Sign(), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), twice: false);
}

/// <summary>e^x. d/dx = e^x = y.</summary>
public sealed class Exp : UnaryFunction
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x) => Run<ExpOp, Exp>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * Y];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Exp>("unary").Op("exp", x => x[0].Exp(), d => d.Unary(-2, 2));
}

/// <summary>ln x. d/dx = 1/x.</summary>
public sealed class Log : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<LogOp, Log>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut / X];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Log>("unary").Op("log", x => x[0].Log(), d => d.Unary(0.2, 3));
}

/// <summary>ln(1 + x), accurate for small |x| (<c>torch.log1p</c>). d/dx = 1/(1 + x).</summary>
public sealed class Log1p : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<Log1pOp, Log1p>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut / (X + 1.0)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Log1p>("unary").Op("log1p", x => x[0].Log1p(), d => d.Unary(-0.7, 3));
}

/// <summary>sqrt x. d/dx = 1/(2 sqrt x) = 1/(2y).</summary>
public sealed class Sqrt : UnaryFunction
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x) => Run<SqrtOp, Sqrt>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut / (Y * 2.0)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sqrt>("unary").Op("sqrt", x => x[0].Sqrt(), d => d.Unary(0.2, 3));
}

/// <summary>1/sqrt x. d/dx = -1/2 x^(-3/2) = -y^3 / 2.</summary>
public sealed class Rsqrt : UnaryFunction
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x) => Run<RsqrtOp, Rsqrt>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * Y.Pow(3) * -0.5];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Rsqrt>("unary").Op("rsqrt", x => x[0].Rsqrt(), d => d.Unary(0.2, 3));
}

/// <summary>1/x. d/dx = -1/x^2 = -y^2.</summary>
public sealed class Reciprocal : UnaryFunction
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x) => Run<ReciprocalOp, Reciprocal>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [-(dOut * Y.Square())];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Reciprocal>("unary")
        .Op("reciprocal", x => x[0].Reciprocal(), d => d.One(d.Magnitude(d.Shape(), 0.3, 2)));
}

/// <summary>x^2. d/dx = 2x.</summary>
public sealed class Square : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<SquareOp, Square>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * X * 2.0];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Square>("unary").Op("square", x => x[0].Square(), d => d.Unary(-2, 2));
}

/// <summary>sin x. d/dx = cos x.</summary>
public sealed class Sin : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<SinOp, Sin>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * X.Cos()];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sin>("unary").Op("sin", x => x[0].Sin(), d => d.Unary(-3, 3));
}

/// <summary>cos x. d/dx = -sin x.</summary>
public sealed class Cos : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<CosOp, Cos>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [-(dOut * X.Sin())];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Cos>("unary").Op("cos", x => x[0].Cos(), d => d.Unary(-3, 3));
}

/// <summary>tanh x. d/dx = 1 - tanh^2 x = 1 - y^2.</summary>
public sealed class Tanh : UnaryFunction
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x) => Run<TanhOp, Tanh>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) =>
        Autograd.IsRecording([dOut, Y]) ? [dOut * (1.0 - Y.Square())] : [RawOps.ActivationBackward(ActivationKind.Tanh, Y, dOut)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Tanh>("unary").Op("tanh", x => x[0].Tanh(), d => d.Unary(-2, 2));
}

/// <summary>sigmoid x = 1/(1+e^-x). d/dx = y (1 - y).</summary>
public sealed class Sigmoid : UnaryFunction
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x) => Run<SigmoidOp, Sigmoid>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) =>
        Autograd.IsRecording([dOut, Y]) ? [dOut * Y * (1.0 - Y)] : [RawOps.ActivationBackward(ActivationKind.Sigmoid, Y, dOut)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sigmoid>("unary").Op("sigmoid", x => x[0].Sigmoid(), d => d.Unary(-3, 3));
}

/// <summary>max(x, 0). d/dx = 1 for x &gt; 0, else 0 (0 at the kink, like PyTorch).</summary>
public sealed class Relu : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<ReluOp, Relu>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) =>
        Autograd.IsRecording([dOut, X]) ? [dOut * X.Gt(0.0).To(dOut.DType)] : [RawOps.ActivationBackward(ActivationKind.Relu, X, dOut)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Relu>("unary")
        .Op("relu", x => x[0].Relu(), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), twice: false);
}

/// <summary>erf x. d/dx = 2/sqrt(pi) e^(-x^2).</summary>
public sealed class Erf : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<ErfOp, Erf>(x);
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * (-X.Square()).Exp() * (2.0 / Math.Sqrt(Math.PI))];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Erf>("unary").Op("erf", x => x[0].Erf(), d => d.Unary(-2, 2));
}

/// <summary>
/// Exact GELU x Phi(x), Phi the standard normal CDF. d/dx = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi),
/// Phi(x) = (1 + erf(x / sqrt 2)) / 2.
/// </summary>
public sealed class Gelu : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<GeluOp, Gelu>(x);
    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        if (!Autograd.IsRecording([dOut, X])) return [RawOps.ActivationBackward(ActivationKind.Gelu, X, dOut)];  // one pass
        var cdf = ((X * (1 / Math.Sqrt(2))).Erf() + 1.0) * 0.5;
        var pdf = (X.Square() * -0.5).Exp() * (1 / Math.Sqrt(2 * Math.PI));
        return [dOut * (cdf + X * pdf)];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Gelu>("unary").Op("gelu", x => x[0].Gelu(), d => d.Unary(-3, 3));
}

/// <summary>
/// Tanh GELU x s(2u), s the sigmoid, u = sqrt(2/pi)(x + 0.044715 x^3) (= 0.5 x (1 + tanh u)).
/// d/dx = s(2u) + x s(2u)(1 - s(2u)) 2u', u' = sqrt(2/pi)(1 + 3 * 0.044715 x^2).
/// </summary>
public sealed class GeluTanh : UnaryFunction
{
    private const double C = 0.7978845608028654, K = 0.044715;
    public static Tensor Apply(Tensor x) => Run<GeluTanhOp, GeluTanh>(x);
    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        if (!Autograd.IsRecording([dOut, X])) return [RawOps.ActivationBackward(ActivationKind.GeluTanh, X, dOut)];
        var s = ((X + X.Pow(3) * K) * (2 * C)).Sigmoid();
        var du2 = (X.Square() * (3 * K) + 1.0) * (2 * C);
        return [dOut * (s + X * s * (1.0 - s) * du2)];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<GeluTanh>("unary").Op("gelu_tanh", x => x[0].Gelu("tanh"), d => d.Unary(-3, 3));
}

/// <summary>SiLU x s(x), s the sigmoid. d/dx = s (1 + x (1 - s)).</summary>
public sealed class Silu : UnaryFunction
{
    public static Tensor Apply(Tensor x) => Run<SiluOp, Silu>(x);
    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        if (!Autograd.IsRecording([dOut, X])) return [RawOps.ActivationBackward(ActivationKind.Silu, X, dOut)];
        var s = X.Sigmoid();
        return [dOut * s * (1.0 + X * (1.0 - s))];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Silu>("unary").Op("silu", x => x[0].Silu(), d => d.Unary(-3, 3));
}
