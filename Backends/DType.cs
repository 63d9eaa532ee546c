// Element types a tensor can hold, and what each one costs and allows.
namespace DotGrad.Backends;

/// <summary>
/// The element type of a tensor. Float32 is the working type, Float64 is for gradient checks and references,
/// Int32 and Int64 hold token ids, labels and indices (Int64 is PyTorch's default integer, <c>torch.long</c>),
/// Bool holds masks (the result of comparisons).
/// BFloat16 and Float16 are storage formats: they can be created, viewed, copied and cast, and arithmetic
/// on them asks for a cast to Float32 first (unlike PyTorch, which computes in them directly).
/// </summary>
public enum DType
{
    Float32,
    Float64,
    Int32,
    BFloat16,
    Float16,
    Bool,
    Int64,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.BFloat16 or DType.Float16 => 2,
        DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for every floating-point type, storage-only ones included.</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float32 or DType.Float64 or DType.BFloat16 or DType.Float16;

    /// <summary>True for the signed integer types, Int32 and Int64 (not Bool).</summary>
    public static bool IsInteger(this DType dtype) => dtype is DType.Int32 or DType.Int64;

    /// <summary>
    /// True for the dtypes an index, a label or a token id may have: Int32 and Int64, as PyTorch takes int32 and int64
    /// indices (<c>torch.long</c> being its default). Every op that reads indices asks this one question.
    /// </summary>
    public static bool IsIndex(this DType dtype) => dtype is DType.Int32 or DType.Int64;

    /// <summary>True for the types kernels compute in directly: Float32, Float64, Int32 and Int64.</summary>
    public static bool IsComputable(this DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64;

    /// <summary>The dtype whose elements are stored as the CLR type <paramref name="type"/>, or null.</summary>
    public static DType? FromClrType(Type? type) => type switch
    {
        _ when type == typeof(float) => DType.Float32,
        _ when type == typeof(double) => DType.Float64,
        _ when type == typeof(int) => DType.Int32,
        _ when type == typeof(long) => DType.Int64,
        _ when type == typeof(bool) => DType.Bool,
        _ when type == typeof(Half) => DType.Float16,
        _ when type == typeof(BFloat16) => DType.BFloat16,
        _ => null,
    };
}
