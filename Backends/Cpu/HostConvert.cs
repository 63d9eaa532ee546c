// Dtype conversions for the CPU kernels, element by element and span by span. The scalar forms go through
// double exactly like HostAccess.Get/Set, which defines the semantics; the span forms are faster equivalents.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// Element types are the storage's own: float, double, int, long, ushort (BFloat16 bits), Half, byte (Bool).
/// Every span path here produces the same bits as the scalar path; the tests hold them to it. The scalar path is
/// <see cref="HostAccess.CopyElement"/>'s: integers among themselves (and Int64 to anything) go through a long,
/// everything else through double.
/// </summary>
internal static class HostConvert
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TTo As<T, TTo>(T x) => Unsafe.As<T, TTo>(ref x);

    /// <summary>An element as a double, like <see cref="HostAccess.Get"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble<T>(T v)
    {
        if (typeof(T) == typeof(float)) return As<T, float>(v);
        if (typeof(T) == typeof(double)) return As<T, double>(v);
        if (typeof(T) == typeof(int)) return As<T, int>(v);
        if (typeof(T) == typeof(long)) return As<T, long>(v);
        if (typeof(T) == typeof(ushort)) return BFloat16.FromBits(As<T, ushort>(v)).ToSingle();
        if (typeof(T) == typeof(Half)) return (double)As<T, Half>(v);
        if (typeof(T) == typeof(byte)) return As<T, byte>(v) != 0 ? 1.0 : 0.0;
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>A double as an element, like <see cref="HostAccess.Set"/> (float to int truncates and saturates, NaN to 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FromDouble<T>(double v)
    {
        if (typeof(T) == typeof(float)) return As<float, T>((float)v);
        if (typeof(T) == typeof(double)) return As<double, T>(v);
        if (typeof(T) == typeof(int)) return As<int, T>(HostAccess.ToInt32(v));
        if (typeof(T) == typeof(long)) return As<long, T>(HostAccess.ToInt64(v));
        if (typeof(T) == typeof(ushort)) return As<ushort, T>(BFloat16.FromSingle((float)v).Bits);
        if (typeof(T) == typeof(Half)) return As<Half, T>((Half)v);
        if (typeof(T) == typeof(byte)) return As<byte, T>(v != 0 ? (byte)1 : (byte)0); // NaN != 0: true
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>An Int32, Int64 or Bool element as a long, exactly (Bool as 0 or 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ToInt64<T>(T v)
    {
        if (typeof(T) == typeof(long)) return As<T, long>(v);
        if (typeof(T) == typeof(int)) return As<T, int>(v);
        return As<T, byte>(v) != 0 ? 1 : 0;
    }

    /// <summary>A long as an element, like <see cref="HostAccess.SetInt64"/>: wraps to int, rounds once to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromInt64<T>(long v)
    {
        if (typeof(T) == typeof(long)) return As<long, T>(v);
        if (typeof(T) == typeof(int)) return As<int, T>(unchecked((int)v));
        if (typeof(T) == typeof(byte)) return As<byte, T>(v != 0 ? (byte)1 : (byte)0);
        if (typeof(T) == typeof(float)) return As<float, T>(v);
        if (typeof(T) == typeof(ushort)) return As<ushort, T>(BFloat16.FromSingle(v).Bits);
        return FromDouble<T>(v);
    }

    private static bool IsIntegral<T>() => typeof(T) == typeof(int) || typeof(T) == typeof(long) || typeof(T) == typeof(byte);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TDst Convert<TSrc, TDst>(TSrc v)
    {
        if (typeof(TSrc) == typeof(long) || (IsIntegral<TSrc>() && IsIntegral<TDst>())) return FromInt64<TDst>(ToInt64(v));
        // Float32 to BFloat16 directly: through double would give the same bits, this skips two conversions.
        if (typeof(TSrc) == typeof(float) && typeof(TDst) == typeof(ushort)) return As<ushort, TDst>(BFloat16.FromSingle(As<TSrc, float>(v)).Bits);
        if (typeof(TSrc) == typeof(ushort) && typeof(TDst) == typeof(float)) return As<float, TDst>(BFloat16.FromBits(As<TSrc, ushort>(v)).ToSingle());
        return FromDouble<TDst>(ToDouble(v));
    }

    /// <summary>y = convert(x) over contiguous spans of equal length.</summary>
    public static void Convert<TSrc, TDst>(ReadOnlySpan<TSrc> x, Span<TDst> y) where TSrc : unmanaged where TDst : unmanaged
    {
        if (typeof(TSrc) == typeof(TDst) && typeof(TSrc) != typeof(byte))
        {
            // Same dtype: the bits. (Bool is excluded: the reference normalises any nonzero byte to 1.)
            MemoryMarshal.Cast<TSrc, TDst>(x).CopyTo(y);
            return;
        }
        // TensorPrimitives' truncating conversions are C casts: float <-> double round to nearest, int and long -> float
        // round to nearest (once), float -> int and long truncate and (since .NET 9) saturate with NaN -> 0, as
        // HostAccess.ToInt32 and ToInt64 do, and long -> int keeps the low 32 bits, as HostAccess.SetInt64 does.
        if (IsNumber<TSrc>() && IsNumber<TDst>())
        {
            ConvertNumbers(x, y);
            return;
        }
        if (typeof(TSrc) == typeof(float) && typeof(TDst) == typeof(Half))
        {
            TensorPrimitives.ConvertToHalf(MemoryMarshal.Cast<TSrc, float>(x), MemoryMarshal.Cast<TDst, Half>(y));
            return;
        }
        if (typeof(TSrc) == typeof(Half) && typeof(TDst) == typeof(float))
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<TSrc, Half>(x), MemoryMarshal.Cast<TDst, float>(y));
            return;
        }
        for (int i = 0; i < x.Length; i++) y[i] = Convert<TSrc, TDst>(x[i]);
    }

    private static bool IsNumber<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(int) || typeof(T) == typeof(long);

    private static void ConvertNumbers<TSrc, TDst>(ReadOnlySpan<TSrc> x, Span<TDst> y) where TSrc : unmanaged where TDst : unmanaged
    {
        if (typeof(TSrc) == typeof(float)) ConvertFrom(MemoryMarshal.Cast<TSrc, float>(x), y);
        else if (typeof(TSrc) == typeof(double)) ConvertFrom(MemoryMarshal.Cast<TSrc, double>(x), y);
        else if (typeof(TSrc) == typeof(long)) ConvertFrom(MemoryMarshal.Cast<TSrc, long>(x), y);
        else ConvertFrom(MemoryMarshal.Cast<TSrc, int>(x), y);
    }

    private static void ConvertFrom<TSrc, TDst>(ReadOnlySpan<TSrc> x, Span<TDst> y) where TSrc : unmanaged, System.Numerics.INumberBase<TSrc> where TDst : unmanaged
    {
        if (typeof(TDst) == typeof(float)) TensorPrimitives.ConvertTruncating(x, MemoryMarshal.Cast<TDst, float>(y));
        else if (typeof(TDst) == typeof(double)) TensorPrimitives.ConvertTruncating(x, MemoryMarshal.Cast<TDst, double>(y));
        else if (typeof(TDst) == typeof(long)) TensorPrimitives.ConvertTruncating(x, MemoryMarshal.Cast<TDst, long>(y));
        else TensorPrimitives.ConvertTruncating(x, MemoryMarshal.Cast<TDst, int>(y));
    }
}
