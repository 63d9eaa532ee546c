// Comparison operators giving Bool masks; IEEE semantics (every comparison with NaN is false, except ne).
namespace DotGrad.Backends;

public readonly struct EqOp : ICompareOperator<EqOp>
{
    public static string Name => "eq";
    public static string OpenCL => "(a == b)";
    public static bool Invoke(float a, float b) => a == b;
    public static bool Invoke(double a, double b) => a == b;
    public static bool Invoke(int a, int b) => a == b;
    public static bool Invoke(long a, long b) => a == b;
}

public readonly struct NeOp : ICompareOperator<NeOp>
{
    public static string Name => "ne";
    public static string OpenCL => "(a != b)";
    public static bool Invoke(float a, float b) => a != b;
    public static bool Invoke(double a, double b) => a != b;
    public static bool Invoke(int a, int b) => a != b;
    public static bool Invoke(long a, long b) => a != b;
}

public readonly struct LtOp : ICompareOperator<LtOp>
{
    public static string Name => "lt";
    public static string OpenCL => "(a < b)";
    public static bool Invoke(float a, float b) => a < b;
    public static bool Invoke(double a, double b) => a < b;
    public static bool Invoke(int a, int b) => a < b;
    public static bool Invoke(long a, long b) => a < b;
}

public readonly struct LeOp : ICompareOperator<LeOp>
{
    public static string Name => "le";
    public static string OpenCL => "(a <= b)";
    public static bool Invoke(float a, float b) => a <= b;
    public static bool Invoke(double a, double b) => a <= b;
    public static bool Invoke(int a, int b) => a <= b;
    public static bool Invoke(long a, long b) => a <= b;
}

public readonly struct GtOp : ICompareOperator<GtOp>
{
    public static string Name => "gt";
    public static string OpenCL => "(a > b)";
    public static bool Invoke(float a, float b) => a > b;
    public static bool Invoke(double a, double b) => a > b;
    public static bool Invoke(int a, int b) => a > b;
    public static bool Invoke(long a, long b) => a > b;
}

public readonly struct GeOp : ICompareOperator<GeOp>
{
    public static string Name => "ge";
    public static string OpenCL => "(a >= b)";
    public static bool Invoke(float a, float b) => a >= b;
    public static bool Invoke(double a, double b) => a >= b;
    public static bool Invoke(int a, int b) => a >= b;
    public static bool Invoke(long a, long b) => a >= b;
}
