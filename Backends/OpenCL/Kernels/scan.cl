// Scans and sorts along one axis. Lines are x's shape with 1 on the axis (dims merged by the host), passed as
// lshape with each operand's strides over it, plus each operand's step along the axis. The host defines T (the
// element type); cumsum also gets ACC (the accumulator: double for Float32 where the device has fp64, as PyTorch's
// CPU kernel accumulates; uint for Int32, so overflow wraps) and STORE_ACC(v) (the cast back to T); sort gets
// IS_NAN(v) (0 for Int32, where C's isnan does not apply). Each program holds the kernel whose macros it was given.

// y = cumsum(x) along the axis, from the end when reverse. One work item per line keeps a running total, the same
// sequence of roundings as the CPU backends; a line is not split across work items (a simple kernel: the lines this
// library meets are short, and a single very long line runs on one work item).
#ifdef ACC
__kernel void cumsum(__global const T* x, int xo, int8 xs, int xstep, __global T* y, int yo, int8 ys, int ystep,
                     int8 lshape, int rank, int lines, int len, int reverse)
{
    int j = get_global_id(0);
    if (j >= lines) return;
    UNPACK(lshape, sh); UNPACK(xs, sx); UNPACK(ys, sy);
    int xb = offset_of(j, rank, sh, sx, xo), yb = offset_of(j, rank, sh, sy, yo);
    ACC total = 0;
    for (int s = 0; s < len; ++s)
    {
        int k = reverse ? len - 1 - s : s;
        total += (ACC)x[xb + k * xstep];
        y[yb + k * ystep] = STORE_ACC(total);
    }
}
#endif

#ifdef IS_NAN

// -1, 0 or 1 as a is below, equal to or above b, with every NaN equal to every other and above every number.
inline int compare_values(T a, T b)
{
    if (IS_NAN(a)) return IS_NAN(b) ? 0 : 1;
    if (IS_NAN(b)) return -1;
    return a < b ? -1 : (a > b ? 1 : 0);
}

// Stable sort by rank: one work item per element counts the elements of its line that go before it (a smaller
// value, or an equal one at a smaller position; reversed values when descending) and writes itself at that rank.
// The order is strict, so ranks are distinct and the result is stable. O(len) reads per element, len^2 per line:
// simple and parallel, fine for the rows this library sorts (logits, top-k); not a merge sort for huge lines.
__kernel void sort_rank(__global const T* x, int xo, int8 xs, int xstep, __global T* v, int vo, int8 vs, int vstep,
                        __global int* ix, int io, int8 is, int istep, int8 lshape, int rank, int n, int len, int descending)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int j = i / len, p = i - j * len;
    UNPACK(lshape, sh); UNPACK(xs, sx); UNPACK(vs, sv); UNPACK(is, si);
    int xb = offset_of(j, rank, sh, sx, xo);
    T a = x[xb + p * xstep];
    int r = 0;
    for (int q = 0; q < len; ++q)
    {
        int c = compare_values(x[xb + q * xstep], a);
        if (descending) c = -c;
        r += (c < 0 || (c == 0 && q < p)) ? 1 : 0;
    }
    v[offset_of(j, rank, sh, sv, vo) + r * vstep] = a;
    ix[offset_of(j, rank, sh, si, io) + r * istep] = p;
}
#endif
