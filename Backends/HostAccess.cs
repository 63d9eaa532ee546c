// Element access to host memory for any dtype, and the index arithmetic of strided views.
using System.Runtime.CompilerServices;

namespace DotGrad.Backends;

/// <summary>Typed pointers into host storages, per-element conversion through double, and offset arithmetic.</summary>
public static unsafe class HostAccess
{
    /// <summary>Pointer to the view's first element, typed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T* Ptr<T>(in Strided v) where T : unmanaged => (T*)((HostStorage)v.Storage).Pointer + v.Offset;

    /// <summary>Reads the element at an element offset (relative to the storage start) as a double.</summary>
    public static double Get(Storage s, int offset)
    {
        void* p = ((HostStorage)s).Pointer;
        return s.DType switch
        {
            DType.Float32 => ((float*)p)[offset],
            DType.Float64 => ((double*)p)[offset],
            DType.Int32 => ((int*)p)[offset],
            DType.Int64 => ((long*)p)[offset], // exact up to 2^53; GetInt64 reads every value exactly
            DType.BFloat16 => BFloat16.FromBits(((ushort*)p)[offset]).ToSingle(),
            DType.Float16 => (double)((Half*)p)[offset],
            DType.Bool => ((byte*)p)[offset] != 0 ? 1.0 : 0.0,
            _ => throw new NotSupportedException(s.DType.ToString()),
        };
    }

    /// <summary>Writes a double into the element at an element offset, converting to the storage's dtype.</summary>
    public static void Set(Storage s, int offset, double value)
    {
        void* p = ((HostStorage)s).Pointer;
        switch (s.DType)
        {
            case DType.Float32: ((float*)p)[offset] = (float)value; break;
            case DType.Float64: ((double*)p)[offset] = value; break;
            case DType.Int32: ((int*)p)[offset] = ToInt32(value); break;
            case DType.Int64: ((long*)p)[offset] = ToInt64(value); break;
            case DType.BFloat16: ((ushort*)p)[offset] = BFloat16.FromSingle((float)value).Bits; break;
            case DType.Float16: ((Half*)p)[offset] = (Half)value; break;
            case DType.Bool: ((byte*)p)[offset] = value != 0 ? (byte)1 : (byte)0; break; // NaN != 0: true, as in C
            default: throw new NotSupportedException(s.DType.ToString());
        }
    }

    /// <summary>Float to Int32 truncates toward zero, like a C cast; NaN and out-of-range values saturate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToInt32(double value) => double.IsNaN(value) ? 0 : (int)Math.Clamp(Math.Truncate(value), int.MinValue, int.MaxValue);

    /// <summary>
    /// Float to Int64 truncates toward zero; NaN gives 0 and out-of-range values saturate (C leaves both undefined;
    /// this is what .NET's own conversion does, and what Int32 does here).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ToInt64(double value) =>
        double.IsNaN(value) ? 0
        : value >= 9223372036854775808.0 ? long.MaxValue   // 2^63, the first double above long.MaxValue
        : value < -9223372036854775808.0 ? long.MinValue
        : (long)value;

    /// <summary>Whether a dtype's values are integers that a long holds exactly (Int32, Int64, Bool).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsIntegral(DType dtype) => dtype is DType.Int32 or DType.Int64 or DType.Bool;

    /// <summary>Reads an Int32, Int64 or Bool element exactly as a long (a double holds an Int64 exactly only up to 2^53).</summary>
    public static long GetInt64(Storage s, int offset)
    {
        void* p = ((HostStorage)s).Pointer;
        return s.DType switch
        {
            DType.Int64 => ((long*)p)[offset],
            DType.Int32 => ((int*)p)[offset],
            DType.Bool => ((byte*)p)[offset] != 0 ? 1 : 0,
            _ => ToInt64(Get(s, offset)),
        };
    }

    /// <summary>
    /// Writes a long into an Int32, Int64 or Bool element: to Int32 it wraps (keeps the low 32 bits, two's complement),
    /// as C++ and PyTorch convert int64 to int32; to Bool, non-zero is true. Other dtypes round it like a cast.
    /// </summary>
    public static void SetInt64(Storage s, int offset, long value)
    {
        void* p = ((HostStorage)s).Pointer;
        switch (s.DType)
        {
            case DType.Int64: ((long*)p)[offset] = value; break;
            case DType.Int32: ((int*)p)[offset] = unchecked((int)value); break;
            case DType.Bool: ((byte*)p)[offset] = value != 0 ? (byte)1 : (byte)0; break;
            case DType.Float32: ((float*)p)[offset] = value; break; // one rounding, long to float, as C does
            case DType.BFloat16: ((ushort*)p)[offset] = BFloat16.FromSingle(value).Bits; break; // through float, as PyTorch
            default: Set(s, offset, value); break;
        }
    }

    /// <summary>
    /// Copies one element between storages, converting the dtype. Integers (Int32, Int64, Bool) move through a long,
    /// exactly; an Int64 source to a float type rounds once; anything else goes through double (<see cref="Get"/>, <see cref="Set"/>).
    /// This is the semantics of every cast: the other backends are held to it.
    /// </summary>
    public static void CopyElement(Storage src, int srcOffset, Storage dst, int dstOffset)
    {
        if (src.DType == DType.Int64 || (IsIntegral(src.DType) && IsIntegral(dst.DType)))
            SetInt64(dst, dstOffset, GetInt64(src, srcOffset));
        else
            Set(dst, dstOffset, Get(src, srcOffset));
    }

    /// <summary>The element offset of the element with row-major position <paramref name="linear"/> in the view.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OffsetOf(int linear, int[] shape, int[] strides, int offset)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int size = shape[d];
            offset += linear % size * strides[d];
            linear /= size;
        }
        return offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OffsetOf(int linear, in Strided v) => OffsetOf(linear, v.Shape, v.Strides, v.Offset);
}
