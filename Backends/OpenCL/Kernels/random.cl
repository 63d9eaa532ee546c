// Seeded random fills with Philox4x32-10 (Salmon et al., SC 2011), the same generator as the CPU backends:
// element i uses counter (offset + i) under the 64-bit seed, so every device and thread count gives the same
// numbers. The host defines KIND (0 uniform, 1 normal, 2 integer), FT (the arithmetic type: double where
// the device has it, which reproduces the CPU bit for bit; float otherwise), DST and STORE(p, i, v).

#define M0 0xD2511F53u
#define M1 0xCD9E8D57u
#define W0 0x9E3779B9u
#define W1 0xBB67AE85u

inline uint4 philox(ulong counter, ulong key)
{
    uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
    uint k0 = (uint)key, k1 = (uint)(key >> 32);
    for (int round = 0; round < 10; ++round)
    {
        uint hi0 = mul_hi(M0, c0), lo0 = M0 * c0;
        uint hi1 = mul_hi(M1, c2), lo1 = M1 * c2;
        uint n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        k0 += W0;
        k1 += W1;
    }
    return (uint4)(c0, c1, c2, c3);
}

// Uniform on [0, 1): 24 random bits for single precision, 53 for double.
inline FT uniform24(uint r) { return (FT)(r >> 8) * (FT)(1.0f / 16777216.0f); }
inline FT uniform53(uint hi, uint lo) { return (FT)(((((ulong)hi) << 32) | lo) >> 11) * (FT)(1.0 / 9007199254740992.0); }

// a, b: the distribution's parameters (uniform [a, b), normal mean a and std b); for integers, a is the low
// bound and range = b - a. single: whether the destination is single precision (24-bit uniforms).
__kernel void fill_random(__global DST* y, int yo, int n, ulong seed, ulong offset, FT a, FT b, long low, ulong range, int single)
{
    int i = get_global_id(0);
    if (i >= n) return;
    uint4 r = philox(offset + (ulong)i, seed);
#if KIND == 0
    FT v = a + (b - a) * (single ? uniform24(r.x) : uniform53(r.x, r.y));
#elif KIND == 1
    // Box-Muller on two independent uniforms; u1 in (0, 1] keeps the log finite.
    FT u1 = (FT)1 - uniform53(r.x, r.y);
    FT u2 = uniform53(r.z, r.w);
    FT v = a + b * sqrt((FT)-2 * log(u1)) * cos((FT)2 * (FT)M_PI * u2);
#else
    ulong bits = (((ulong)r.x) << 32) | r.y;
    FT v = (FT)(low + (long)(bits % range));
#endif
    STORE(y, yo + i, v);
}
