// Philox4x32-10, the counter-based generator behind every random tensor: the same (seed, counter) gives the
// same numbers on every backend and every run, and elements can be generated in parallel in any order.
using System.Runtime.CompilerServices;

namespace DotGrad.Backends;

/// <summary>
/// Philox4x32 with 10 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
/// Element i of a random fill uses counter (offset + i) and the 64-bit seed as key; that makes fills
/// reproducible, independent of thread count, and identical between the CPU and OpenCL kernels.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The four 32-bit outputs for one 64-bit counter under one 64-bit key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint, uint, uint, uint) Block(ulong counter, ulong key)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
            k0 += W0;
            k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>Uniform on [0, 1) with 24 random bits (every float32 step of 2^-24).</summary>
    public static float UniformFloat(uint r) => (r >> 8) * (1f / 16777216f);

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public static double UniformDouble(uint hi, uint lo) => ((((ulong)hi << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>Element <paramref name="counter"/> of a fill of the given distribution, as a double.</summary>
    public static double Sample(RandomKind kind, double a, double b, ulong seed, ulong counter, bool singlePrecision)
    {
        var (r0, r1, r2, r3) = Block(counter, seed);
        switch (kind)
        {
            case RandomKind.Uniform:
                if (singlePrecision) return a + (b - a) * UniformFloat(r0);
                return a + (b - a) * UniformDouble(r0, r1);
            case RandomKind.Normal:
                // Box-Muller on two independent uniforms; u1 in (0, 1] keeps the log finite.
                double u1 = 1.0 - UniformDouble(r0, r1);
                double u2 = UniformDouble(r2, r3);
                return a + b * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            case RandomKind.Integer:
                ulong range = (ulong)(long)(b - a);
                ulong bits = ((ulong)r0 << 32) | r1;
                return (long)a + (long)(bits % range);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown distribution");
        }
    }
}
