// The bfloat16 storage format: the top 16 bits of a float32 (8-bit exponent, 7-bit mantissa).
using System.Runtime.CompilerServices;

namespace DotGrad.Backends;

/// <summary>
/// A bfloat16 value: float32's sign and exponent with a 7-bit mantissa. Conversion from float rounds to nearest,
/// ties to even, and keeps NaN a NaN (a quiet one), like PyTorch's <c>torch.bfloat16</c>.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    public readonly ushort Bits;

    private BFloat16(ushort bits) => Bits = bits;

    public static BFloat16 FromBits(ushort bits) => new(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFF_FFFF) > 0x7F80_0000) return new BFloat16((ushort)((u >> 16) | 0x0040)); // NaN stays NaN
        uint roundingBias = 0x7FFF + ((u >> 16) & 1); // round to nearest, ties to even
        return new BFloat16((ushort)((u + roundingBias) >> 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    public static explicit operator BFloat16(float value) => FromSingle(value);
    public static explicit operator BFloat16(double value) => FromSingle((float)value);
    public static explicit operator float(BFloat16 value) => value.ToSingle();
    public static explicit operator double(BFloat16 value) => value.ToSingle();

    public bool Equals(BFloat16 other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);
    public override int GetHashCode() => Bits;
    public override string ToString() => ToSingle().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
