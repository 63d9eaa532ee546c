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
            case DType.BFloat16: ((ushort*)p)[offset] = BFloat16.FromSingle((float)value).Bits; break;
            case DType.Float16: ((Half*)p)[offset] = (Half)value; break;
            case DType.Bool: ((byte*)p)[offset] = value != 0 ? (byte)1 : (byte)0; break; // NaN != 0: true, as in C
            default: throw new NotSupportedException(s.DType.ToString());
        }
    }

    /// <summary>Float to Int32 truncates toward zero, like a C cast; NaN and out-of-range values saturate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToInt32(double value) => double.IsNaN(value) ? 0 : (int)Math.Clamp(Math.Truncate(value), int.MinValue, int.MaxValue);

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
