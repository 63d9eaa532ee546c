// Copies with dtype conversion, and fills of strided views.
//
// The host defines SRC and DST (storage element types), LOAD(p, i) reading element i of the source as the
// intermediate type IT, and STORE(p, i, v) writing an IT into the destination. The conversions follow the
// Reference backend, which converts through double: float to int truncates toward zero and saturates (NaN
// gives 0); anything non-zero (NaN included) is true; BFloat16 rounds to nearest even through float; Float16
// rounds to nearest even directly from double. A same-dtype copy moves raw bits (SRC = DST, IT = SRC).

#ifdef LOAD
__kernel void copy_linear(__global const SRC* x, int xo, int xs, __global DST* y, int yo, int ys, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    IT v = LOAD(x, xo + i * xs);
    STORE(y, yo + i * ys, v);
}

__kernel void copy_strided(__global const SRC* x, int xo, int8 xs, __global DST* y, int yo, int8 ys, int8 shape, int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(xs, sx); UNPACK(ys, sy);
    IT v = LOAD(x, offset_of(i, rank, sh, sx, xo));
    STORE(y, offset_of(i, rank, sh, sy, yo), v);
}
#endif

#ifdef BITS
// Writes one bit pattern (the value already converted to the dtype on the host) into every element.
__kernel void fill_strided(__global BITS* y, int yo, int8 ys, int8 shape, int rank, int n, BITS value)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(ys, sy);
    y[offset_of(i, rank, sh, sy, yo)] = value;
}
#endif
