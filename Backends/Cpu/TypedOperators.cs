// Bridges the operator structs (which overload on float, double, int and long) to a generic element type T, so one
// kernel body serves every computable dtype; the typeof tests are constants to the JIT and fold away.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DotGrad.Backends.Cpu;

internal static class TypedOperators
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<TTo> Cast<T, TTo>(ReadOnlySpan<T> x) where T : unmanaged where TTo : unmanaged => MemoryMarshal.Cast<T, TTo>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<TTo> Cast<T, TTo>(Span<T> x) where T : unmanaged where TTo : unmanaged => MemoryMarshal.Cast<T, TTo>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TTo As<T, TTo>(T x) => Unsafe.As<T, TTo>(ref x);

    // ---- unary ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Unary<TOp, T>(T x) where TOp : struct, IUnaryOperator<TOp>
    {
        if (typeof(T) == typeof(float)) return As<float, T>(TOp.Invoke(As<T, float>(x)));
        if (typeof(T) == typeof(double)) return As<double, T>(TOp.Invoke(As<T, double>(x)));
        if (typeof(T) == typeof(long)) return As<long, T>(TOp.Invoke(As<T, long>(x)));
        return As<int, T>(TOp.Invoke(As<T, int>(x)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TOp, T>(ReadOnlySpan<T> x, Span<T> y) where TOp : struct, IUnaryOperator<TOp> where T : unmanaged
    {
        if (typeof(T) == typeof(float)) TOp.Invoke(Cast<T, float>(x), Cast<T, float>(y));
        else if (typeof(T) == typeof(double)) TOp.Invoke(Cast<T, double>(x), Cast<T, double>(y));
        else if (typeof(T) == typeof(long)) TOp.Invoke(Cast<T, long>(x), Cast<T, long>(y));
        else TOp.Invoke(Cast<T, int>(x), Cast<T, int>(y));
    }

    // ---- binary ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Binary<TOp, T>(T a, T b) where TOp : struct, IBinaryOperator<TOp>
    {
        if (typeof(T) == typeof(float)) return As<float, T>(TOp.Invoke(As<T, float>(a), As<T, float>(b)));
        if (typeof(T) == typeof(double)) return As<double, T>(TOp.Invoke(As<T, double>(a), As<T, double>(b)));
        if (typeof(T) == typeof(long)) return As<long, T>(TOp.Invoke(As<T, long>(a), As<T, long>(b)));
        return As<int, T>(TOp.Invoke(As<T, int>(a), As<T, int>(b)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOp, T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where TOp : struct, IBinaryOperator<TOp> where T : unmanaged
    {
        if (typeof(T) == typeof(float)) TOp.Invoke(Cast<T, float>(a), Cast<T, float>(b), Cast<T, float>(y));
        else if (typeof(T) == typeof(double)) TOp.Invoke(Cast<T, double>(a), Cast<T, double>(b), Cast<T, double>(y));
        else if (typeof(T) == typeof(long)) TOp.Invoke(Cast<T, long>(a), Cast<T, long>(b), Cast<T, long>(y));
        else TOp.Invoke(Cast<T, int>(a), Cast<T, int>(b), Cast<T, int>(y));
    }

    /// <summary>Span-scalar form; false for the integer types, which have none (the caller loops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Binary<TOp, T>(ReadOnlySpan<T> a, T b, Span<T> y) where TOp : struct, IBinaryOperator<TOp> where T : unmanaged
    {
        if (typeof(T) == typeof(float)) TOp.Invoke(Cast<T, float>(a), As<T, float>(b), Cast<T, float>(y));
        else if (typeof(T) == typeof(double)) TOp.Invoke(Cast<T, double>(a), As<T, double>(b), Cast<T, double>(y));
        else return false;
        return true;
    }

    /// <summary>Scalar-span form; false for the integer types, which have none (the caller loops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Binary<TOp, T>(T a, ReadOnlySpan<T> b, Span<T> y) where TOp : struct, IBinaryOperator<TOp> where T : unmanaged
    {
        if (typeof(T) == typeof(float)) TOp.Invoke(As<T, float>(a), Cast<T, float>(b), Cast<T, float>(y));
        else if (typeof(T) == typeof(double)) TOp.Invoke(As<T, double>(a), Cast<T, double>(b), Cast<T, double>(y));
        else return false;
        return true;
    }

    // ---- compare (Bool inputs compare as 0/1 integers, like the reference) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Compare<TOp, T>(T a, T b) where TOp : struct, ICompareOperator<TOp>
    {
        if (typeof(T) == typeof(float)) return TOp.Invoke(As<T, float>(a), As<T, float>(b));
        if (typeof(T) == typeof(double)) return TOp.Invoke(As<T, double>(a), As<T, double>(b));
        if (typeof(T) == typeof(byte)) return TOp.Invoke((int)As<T, byte>(a), As<T, byte>(b));
        if (typeof(T) == typeof(long)) return TOp.Invoke(As<T, long>(a), As<T, long>(b));
        return TOp.Invoke(As<T, int>(a), As<T, int>(b));
    }

    // ---- reduce ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Identity<TOp, T>() where TOp : struct, IReduceOperator<TOp>
    {
        if (typeof(T) == typeof(float)) return As<float, T>((float)TOp.Identity);
        if (typeof(T) == typeof(double)) return As<double, T>(TOp.Identity);
        if (typeof(T) == typeof(long)) return As<long, T>(TOp.IdentityInt64);
        return As<int, T>(TOp.IdentityInt32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Aggregate<TOp, T>(ReadOnlySpan<T> x) where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return As<float, T>(TOp.Aggregate(Cast<T, float>(x)));
        if (typeof(T) == typeof(double)) return As<double, T>(TOp.Aggregate(Cast<T, double>(x)));
        if (typeof(T) == typeof(long)) return As<long, T>(TOp.Aggregate(Cast<T, long>(x)));
        return As<int, T>(TOp.Aggregate(Cast<T, int>(x)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Accumulate<TOp, T>(Span<T> acc, ReadOnlySpan<T> x) where TOp : struct, IReduceOperator<TOp> where T : unmanaged
    {
        if (typeof(T) == typeof(float)) TOp.Accumulate(Cast<T, float>(acc), Cast<T, float>(x));
        else if (typeof(T) == typeof(double)) TOp.Accumulate(Cast<T, double>(acc), Cast<T, double>(x));
        else if (typeof(T) == typeof(long)) TOp.Accumulate(Cast<T, long>(acc), Cast<T, long>(x));
        else TOp.Accumulate(Cast<T, int>(acc), Cast<T, int>(x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Combine<TOp, T>(T a, T b) where TOp : struct, IReduceOperator<TOp>
    {
        if (typeof(T) == typeof(float)) return As<float, T>(TOp.Combine(As<T, float>(a), As<T, float>(b)));
        if (typeof(T) == typeof(double)) return As<double, T>(TOp.Combine(As<T, double>(a), As<T, double>(b)));
        if (typeof(T) == typeof(long)) return As<long, T>(TOp.Combine(As<T, long>(a), As<T, long>(b)));
        return As<int, T>(TOp.Combine(As<T, int>(a), As<T, int>(b)));
    }
}
