// Unary functions: one small class per op. The forward runs a backend kernel; the backward (the autograd
// issue) goes beside it, and the doc comment states the derivative it will implement.
using DotGrad.Backends;

namespace DotGrad.Autograd.Functions;

/// <summary>-x. d/dx = -1.</summary>
public sealed class Neg { public static Tensor Forward(Tensor x) => Kernels.Unary<NegOp>(x); }

/// <summary>|x|. d/dx = sign(x) (0 at 0, like PyTorch).</summary>
public sealed class Abs { public static Tensor Forward(Tensor x) => Kernels.Unary<AbsOp>(x); }

/// <summary>sign(x). d/dx = 0.</summary>
public sealed class Sign { public static Tensor Forward(Tensor x) => Kernels.Unary<SignOp>(x); }

/// <summary>e^x. d/dx = e^x (the output).</summary>
public sealed class Exp { public static Tensor Forward(Tensor x) => Kernels.Unary<ExpOp>(x); }

/// <summary>ln x. d/dx = 1/x.</summary>
public sealed class Log { public static Tensor Forward(Tensor x) => Kernels.Unary<LogOp>(x); }

/// <summary>sqrt x. d/dx = 1/(2 sqrt x).</summary>
public sealed class Sqrt { public static Tensor Forward(Tensor x) => Kernels.Unary<SqrtOp>(x); }

/// <summary>1/sqrt x. d/dx = -1/2 x^(-3/2).</summary>
public sealed class Rsqrt { public static Tensor Forward(Tensor x) => Kernels.Unary<RsqrtOp>(x); }

/// <summary>1/x. d/dx = -1/x^2.</summary>
public sealed class Reciprocal { public static Tensor Forward(Tensor x) => Kernels.Unary<ReciprocalOp>(x); }

/// <summary>x^2. d/dx = 2x.</summary>
public sealed class Square { public static Tensor Forward(Tensor x) => Kernels.Unary<SquareOp>(x); }

/// <summary>sin x. d/dx = cos x.</summary>
public sealed class Sin { public static Tensor Forward(Tensor x) => Kernels.Unary<SinOp>(x); }

/// <summary>cos x. d/dx = -sin x.</summary>
public sealed class Cos { public static Tensor Forward(Tensor x) => Kernels.Unary<CosOp>(x); }

/// <summary>tanh x. d/dx = 1 - tanh^2 x.</summary>
public sealed class Tanh { public static Tensor Forward(Tensor x) => Kernels.Unary<TanhOp>(x); }

/// <summary>sigmoid x = 1/(1+e^-x). d/dx = s (1 - s).</summary>
public sealed class Sigmoid { public static Tensor Forward(Tensor x) => Kernels.Unary<SigmoidOp>(x); }

/// <summary>max(x, 0). d/dx = 1 for x &gt; 0, else 0 (0 at the kink, like PyTorch).</summary>
public sealed class Relu { public static Tensor Forward(Tensor x) => Kernels.Unary<ReluOp>(x); }

/// <summary>erf x. d/dx = 2/sqrt(pi) e^(-x^2).</summary>
public sealed class Erf { public static Tensor Forward(Tensor x) => Kernels.Unary<ErfOp>(x); }

/// <summary>Exact GELU x Phi(x). d/dx = Phi(x) + x phi(x).</summary>
public sealed class Gelu { public static Tensor Forward(Tensor x) => Kernels.Unary<GeluOp>(x); }

/// <summary>Tanh GELU 0.5x(1 + tanh u), u = sqrt(2/pi)(x + 0.044715x^3). d/dx = 0.5(1 + tanh u) + 0.5x(1 - tanh^2 u) u'.</summary>
public sealed class GeluTanh { public static Tensor Forward(Tensor x) => Kernels.Unary<GeluTanhOp>(x); }

/// <summary>SiLU x sigmoid(x). d/dx = s (1 + x (1 - s)).</summary>
public sealed class Silu { public static Tensor Forward(Tensor x) => Kernels.Unary<SiluOp>(x); }
