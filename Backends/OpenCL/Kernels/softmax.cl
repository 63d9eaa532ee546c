// Numerically stable softmax and log-softmax along one axis. Defines: T, GROUP (the work-group size, a power
// of two).
//
// Work groups are tiles as in reduce.cl: `cols` lines per group, `rows = GROUP / cols` work items per line
// (one group per line when cols = 1). Three passes over each line: its max (a local-memory tree), the sum of
// exp(x - max) (another tree), then the outputs. Subtracting the max keeps exp from overflowing; the
// arithmetic is the reference's, so a line holding NaN or +inf, or only -inf, gives NaN as it does there.

// Max that propagates NaN, as the reference's Math.Max does.
#define MAX_NAN(a, b) ((isnan(a) || (a) > (b)) ? (a) : (b))

// Combines the rows of each column of `partial` into row 0 with OP; every work item then reads its column's
// result. The trailing barrier lets the caller reuse `partial`.
#define TREE(OP, value)                                                           \
    partial[lid] = (value);                                                       \
    barrier(CLK_LOCAL_MEM_FENCE);                                                 \
    for (int s = rows / 2; s > 0; s /= 2)                                         \
    {                                                                             \
        if (row < s)                                                              \
        {                                                                         \
            T a = partial[lid], b = partial[lid + s * cols];                      \
            partial[lid] = OP(a, b);                                              \
        }                                                                         \
        barrier(CLK_LOCAL_MEM_FENCE);                                             \
    }                                                                             \
    value = partial[col];                                                         \
    barrier(CLK_LOCAL_MEM_FENCE)

#define ADD(a, b) ((a) + (b))

// Line elements are xstep (ystep) apart; lshape and the *ls strides place each line's first element.
// x and y may be the same memory: every element is read in all three passes before its own write.
__kernel void softmax_tile(__global const T* x, int xo, int8 xls, int xstep,
                           __global T* y, int yo, int8 yls, int ystep,
                           int8 lshape, int lrank, int lines, int len, int cols, int log_softmax)
{
    __local T partial[GROUP];
    int lid = get_local_id(0);
    int col = lid % cols, row = lid / cols, rows = GROUP / cols;
    int line = get_group_id(0) * cols + col;
    bool active = line < lines;
    UNPACK(lshape, ls); UNPACK(xls, lx); UNPACK(yls, ly);
    int xb = active ? offset_of(line, lrank, ls, lx, xo) : 0;
    int yb = active ? offset_of(line, lrank, ls, ly, yo) : 0;
    // Work items past the last line only take part in the barriers.
    int end = active ? len : 0;

    T m = -INFINITY;
    for (int k = row; k < end; k += rows)
    {
        T v = x[xb + k * xstep];
        m = MAX_NAN(m, v);
    }
    TREE(MAX_NAN, m);

    T sum = 0;
    for (int k = row; k < end; k += rows) sum += exp(x[xb + k * xstep] - m);
    TREE(ADD, sum);

    T log_sum = log(sum);
    for (int k = row; k < end; k += rows)
    {
        T shifted = x[xb + k * xstep] - m;
        y[yb + k * ystep] = log_softmax ? shifted - log_sum : exp(shifted) / sum;
    }
}
