// Binary elementwise operators: math definition (scalar), vectorized span forms, OpenCL C expression, test domains.
using System.Numerics.Tensors;

namespace DotGrad.Backends;

public readonly struct AddOp : IBinaryOperator<AddOp>
{
    public static string Name => "add";
    public static string OpenCL => "(a + b)";
    public static float Invoke(float a, float b) => a + b;
    public static double Invoke(double a, double b) => a + b;
    public static bool SupportsInt32 => true;
    public static int Invoke(int a, int b) => a + b;
    public static bool SupportsInt64 => true;
    public static long Invoke(long a, long b) => a + b;
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Add(a, b, y);
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(b, a, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Add(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Add(a, b, y);
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Add(b, a, y);
    public static void Invoke(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y) => TensorPrimitives.Add(a, b, y);
    public static void Invoke(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y) => TensorPrimitives.Add(a, b, y);
}

public readonly struct SubOp : IBinaryOperator<SubOp>
{
    public static string Name => "sub";
    public static string OpenCL => "(a - b)";
    public static float Invoke(float a, float b) => a - b;
    public static double Invoke(double a, double b) => a - b;
    public static bool SupportsInt32 => true;
    public static int Invoke(int a, int b) => a - b;
    public static bool SupportsInt64 => true;
    public static long Invoke(long a, long b) => a - b;
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y) => TensorPrimitives.Subtract(a, b, y);
}

public readonly struct MulOp : IBinaryOperator<MulOp>
{
    public static string Name => "mul";
    public static string OpenCL => "(a * b)";
    public static float Invoke(float a, float b) => a * b;
    public static double Invoke(double a, double b) => a * b;
    public static bool SupportsInt32 => true;
    public static int Invoke(int a, int b) => a * b;
    public static bool SupportsInt64 => true;
    public static long Invoke(long a, long b) => a * b;
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(b, a, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Multiply(b, a, y);
    public static void Invoke(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y) => TensorPrimitives.Multiply(a, b, y);
}

/// <summary>True division on floating types. (The tensor layer promotes Int32 operands to Float32 first, as PyTorch does.)</summary>
public readonly struct DivOp : IBinaryOperator<DivOp>
{
    public static string Name => "div";
    public static string OpenCL => "(a / b)";
    public static (double Lo, double Hi) DomainB => (0.5, 10);
    public static float Invoke(float a, float b) => a / b;
    public static double Invoke(double a, double b) => a / b;
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Divide(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Divide(a, b, y);
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Divide(a, b, y);
}

/// <summary>a^b with C's pow semantics (pow(x, 0) = 1 even for NaN x; negative base with a non-integer exponent is NaN).</summary>
public readonly struct PowOp : IBinaryOperator<PowOp>
{
    public static string Name => "pow";
    public static string OpenCL => "pow(a, b)";
    public static (double Lo, double Hi) DomainA => (0.1, 5);
    public static (double Lo, double Hi) DomainB => (-3, 3);
    public static float Invoke(float a, float b) => MathF.Pow(a, b);
    public static double Invoke(double a, double b) => Math.Pow(a, b);
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y)
    {
        // x^2 and x^1 get exact, fast forms; pow(x, 2) through exp/log would lose bits and time. (Not x^0.5:
        // C's pow(-0, 0.5) is +0 and pow(-inf, 0.5) is +inf, where sqrt gives -0 and NaN.)
        if (b == 2f) TensorPrimitives.Multiply(a, a, y);
        else if (b == 1f) a.CopyTo(y);
        else TensorPrimitives.Pow(a, b, y);
    }
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Pow(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y)
    {
        if (b == 2.0) TensorPrimitives.Multiply(a, a, y);
        else if (b == 1.0) a.CopyTo(y);
        else TensorPrimitives.Pow(a, b, y);
    }
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Pow(a, b, y);
}

/// <summary>Elementwise maximum; NaN propagates, like <c>torch.maximum</c>.</summary>
public readonly struct MaximumOp : IBinaryOperator<MaximumOp>
{
    public static string Name => "maximum";
    public static string OpenCL => "((isnan(a) || a > b) ? a : b)";
    public static string OpenCLInt32 => "max(a, b)";
    public static float Invoke(float a, float b) => MathF.Max(a, b);
    public static double Invoke(double a, double b) => Math.Max(a, b);
    public static bool SupportsInt32 => true;
    public static int Invoke(int a, int b) => Math.Max(a, b);
    public static bool SupportsInt64 => true;
    public static long Invoke(long a, long b) => Math.Max(a, b);
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Max(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Max(a, b, y);
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Max(b, a, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Max(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Max(a, b, y);
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Max(b, a, y);
    public static void Invoke(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y) => TensorPrimitives.Max(a, b, y);
    public static void Invoke(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y) => TensorPrimitives.Max(a, b, y);
}

/// <summary>Elementwise minimum; NaN propagates, like <c>torch.minimum</c>.</summary>
public readonly struct MinimumOp : IBinaryOperator<MinimumOp>
{
    public static string Name => "minimum";
    public static string OpenCL => "((isnan(a) || a < b) ? a : b)";
    public static string OpenCLInt32 => "min(a, b)";
    public static float Invoke(float a, float b) => MathF.Min(a, b);
    public static double Invoke(double a, double b) => Math.Min(a, b);
    public static bool SupportsInt32 => true;
    public static int Invoke(int a, int b) => Math.Min(a, b);
    public static bool SupportsInt64 => true;
    public static long Invoke(long a, long b) => Math.Min(a, b);
    public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Min(a, b, y);
    public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Min(a, b, y);
    public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Min(b, a, y);
    public static void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Min(a, b, y);
    public static void Invoke(ReadOnlySpan<double> a, double b, Span<double> y) => TensorPrimitives.Min(a, b, y);
    public static void Invoke(double a, ReadOnlySpan<double> b, Span<double> y) => TensorPrimitives.Min(b, a, y);
    public static void Invoke(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y) => TensorPrimitives.Min(a, b, y);
    public static void Invoke(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y) => TensorPrimitives.Min(a, b, y);
}
