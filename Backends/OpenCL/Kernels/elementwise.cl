// Elementwise kernels: unary, binary, comparison and select. The host defines the element type T and the
// operator as a macro (UNARY(x), BINARY(a, b) or COMPARE(a, b)) from the operator struct's OpenCL
// expression, so the CPU and OpenCL backends share one definition of each operator.
//
// Two layouts per kernel: "linear" when every operand is one run with a constant step (contiguous, or a
// broadcast scalar with step 0), "strided" for any view of rank <= 8. Inputs already have the output's
// shape (broadcasting is a stride of 0).

#ifdef UNARY
__kernel void unary_linear(__global const T* x, int xo, int xs, __global T* y, int yo, int ys, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    T v = x[xo + i * xs];
    y[yo + i * ys] = UNARY(v);
}

__kernel void unary_strided(__global const T* x, int xo, int8 xs, __global T* y, int yo, int8 ys, int8 shape, int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(xs, sx); UNPACK(ys, sy);
    T v = x[offset_of(i, rank, sh, sx, xo)];
    y[offset_of(i, rank, sh, sy, yo)] = UNARY(v);
}
#endif

#ifdef BINARY
__kernel void binary_linear(__global const T* a, int ao, int as, __global const T* b, int bo, int bs, __global T* y, int yo, int ys, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    T va = a[ao + i * as], vb = b[bo + i * bs];
    y[yo + i * ys] = BINARY(va, vb);
}

__kernel void binary_strided(__global const T* a, int ao, int8 as, __global const T* b, int bo, int8 bs, __global T* y, int yo, int8 ys, int8 shape, int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(as, sa); UNPACK(bs, sb); UNPACK(ys, sy);
    T va = a[offset_of(i, rank, sh, sa, ao)], vb = b[offset_of(i, rank, sh, sb, bo)];
    y[offset_of(i, rank, sh, sy, yo)] = BINARY(va, vb);
}
#endif

#ifdef COMPARE
// Bool results are one byte, 0 or 1.
__kernel void compare_strided(__global const T* a, int ao, int8 as, __global const T* b, int bo, int8 bs, __global uchar* y, int yo, int8 ys, int8 shape, int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(as, sa); UNPACK(bs, sb); UNPACK(ys, sy);
    T va = a[offset_of(i, rank, sh, sa, ao)], vb = b[offset_of(i, rank, sh, sb, bo)];
    y[offset_of(i, rank, sh, sy, yo)] = (COMPARE(va, vb)) ? 1 : 0;
}
#endif

#ifdef WHERE
// y = cond ? a : b; T is moved as raw bits, so every dtype works.
__kernel void where_strided(__global const uchar* c, int co, int8 cs, __global const T* a, int ao, int8 as, __global const T* b, int bo, int8 bs, __global T* y, int yo, int8 ys, int8 shape, int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(cs, sc); UNPACK(as, sa); UNPACK(bs, sb); UNPACK(ys, sy);
    y[offset_of(i, rank, sh, sy, yo)] = c[offset_of(i, rank, sh, sc, co)] ? a[offset_of(i, rank, sh, sa, ao)] : b[offset_of(i, rank, sh, sb, bo)];
}
#endif
