// Reduction operators: sum, max and min, with vectorized whole-run and row-accumulate forms.
using System.Numerics.Tensors;

namespace DotGrad.Backends;

public readonly struct SumOp : IReduceOperator<SumOp>
{
    public static string Name => "sum";
    public static string OpenCL => "a + b";
    public static double Identity => 0.0;
    public static int IdentityInt32 => 0;
    public static long IdentityInt64 => 0;
    public static float Combine(float a, float b) => a + b;
    public static double Combine(double a, double b) => a + b;
    public static int Combine(int a, int b) => a + b;
    public static long Combine(long a, long b) => a + b;
    public static float Aggregate(ReadOnlySpan<float> x) => TensorPrimitives.Sum(x);
    public static double Aggregate(ReadOnlySpan<double> x) => TensorPrimitives.Sum(x);
    public static int Aggregate(ReadOnlySpan<int> x) => TensorPrimitives.Sum(x);
    public static long Aggregate(ReadOnlySpan<long> x) => TensorPrimitives.Sum(x);
    public static void Accumulate(Span<float> acc, ReadOnlySpan<float> x) => TensorPrimitives.Add(acc, x, acc);
    public static void Accumulate(Span<double> acc, ReadOnlySpan<double> x) => TensorPrimitives.Add(acc, x, acc);
    public static void Accumulate(Span<int> acc, ReadOnlySpan<int> x) => TensorPrimitives.Add(acc, x, acc);
    public static void Accumulate(Span<long> acc, ReadOnlySpan<long> x) => TensorPrimitives.Add(acc, x, acc);
}

/// <summary>Maximum; NaN propagates (a NaN anywhere in the run gives NaN), like <c>torch.amax</c>.</summary>
public readonly struct MaxOp : IReduceOperator<MaxOp>
{
    public static string Name => "max";
    public static string OpenCL => "((isnan(a) || a > b) ? a : b)";
    public static string OpenCLInt32 => "max(a, b)";
    public static double Identity => double.NegativeInfinity;
    public static int IdentityInt32 => int.MinValue;
    public static long IdentityInt64 => long.MinValue;
    public static float Combine(float a, float b) => MathF.Max(a, b);
    public static double Combine(double a, double b) => Math.Max(a, b);
    public static int Combine(int a, int b) => Math.Max(a, b);
    public static long Combine(long a, long b) => Math.Max(a, b);
    public static float Aggregate(ReadOnlySpan<float> x) => x.IsEmpty ? float.NegativeInfinity : TensorPrimitives.Max(x);
    public static double Aggregate(ReadOnlySpan<double> x) => x.IsEmpty ? double.NegativeInfinity : TensorPrimitives.Max(x);
    public static int Aggregate(ReadOnlySpan<int> x) => x.IsEmpty ? int.MinValue : TensorPrimitives.Max(x);
    public static long Aggregate(ReadOnlySpan<long> x) => x.IsEmpty ? long.MinValue : TensorPrimitives.Max(x);
    public static void Accumulate(Span<float> acc, ReadOnlySpan<float> x) => TensorPrimitives.Max(acc, x, acc);
    public static void Accumulate(Span<double> acc, ReadOnlySpan<double> x) => TensorPrimitives.Max(acc, x, acc);
    public static void Accumulate(Span<int> acc, ReadOnlySpan<int> x) => TensorPrimitives.Max(acc, x, acc);
    public static void Accumulate(Span<long> acc, ReadOnlySpan<long> x) => TensorPrimitives.Max(acc, x, acc);
}

/// <summary>Minimum; NaN propagates, like <c>torch.amin</c>.</summary>
public readonly struct MinOp : IReduceOperator<MinOp>
{
    public static string Name => "min";
    public static string OpenCL => "((isnan(a) || a < b) ? a : b)";
    public static string OpenCLInt32 => "min(a, b)";
    public static double Identity => double.PositiveInfinity;
    public static int IdentityInt32 => int.MaxValue;
    public static long IdentityInt64 => long.MaxValue;
    public static float Combine(float a, float b) => MathF.Min(a, b);
    public static double Combine(double a, double b) => Math.Min(a, b);
    public static int Combine(int a, int b) => Math.Min(a, b);
    public static long Combine(long a, long b) => Math.Min(a, b);
    public static float Aggregate(ReadOnlySpan<float> x) => x.IsEmpty ? float.PositiveInfinity : TensorPrimitives.Min(x);
    public static double Aggregate(ReadOnlySpan<double> x) => x.IsEmpty ? double.PositiveInfinity : TensorPrimitives.Min(x);
    public static int Aggregate(ReadOnlySpan<int> x) => x.IsEmpty ? int.MaxValue : TensorPrimitives.Min(x);
    public static long Aggregate(ReadOnlySpan<long> x) => x.IsEmpty ? long.MaxValue : TensorPrimitives.Min(x);
    public static void Accumulate(Span<float> acc, ReadOnlySpan<float> x) => TensorPrimitives.Min(acc, x, acc);
    public static void Accumulate(Span<double> acc, ReadOnlySpan<double> x) => TensorPrimitives.Min(acc, x, acc);
    public static void Accumulate(Span<int> acc, ReadOnlySpan<int> x) => TensorPrimitives.Min(acc, x, acc);
    public static void Accumulate(Span<long> acc, ReadOnlySpan<long> x) => TensorPrimitives.Min(acc, x, acc);
}
