// Layer norm over the last axis of x [lines, len], forward and backward. Defines: T, GROUP (the work-group size,
// a power of two).
//
// layernorm_tile and layernorm_backward_tile are tiled as softmax_tile is: `cols` rows of x (lines) per work group,
// `rows = GROUP / cols` work items per line (one group per line when cols = 1), sums by local-memory trees.
// layernorm_params sums dweight and dbias over the lines: each group takes `cols` adjacent columns and
// `GROUP / cols` work items down each column, over one of `parts` slices of the lines; with parts > 1 the host adds
// the slices up afterwards.
//
// Lines are addressed as in softmax.cl: lshape and each view's *ls strides place a line's first element, and the
// elements of a line are *step apart. mean and rstd have one element per line. weight, bias, dweight and dbias are
// [len] with a stride; a has_* flag of 0 means the operand is absent (its buffer argument is a stand-in).

// Sums `value` over the rows of each column of the tile into every work item of that column. The trailing
// barrier lets the caller reuse `partial`.
#define TREE_SUM(partial, value)                                                  \
    partial[lid] = (value);                                                       \
    barrier(CLK_LOCAL_MEM_FENCE);                                                 \
    for (int s = rows / 2; s > 0; s /= 2)                                         \
    {                                                                             \
        if (row < s) partial[lid] += partial[lid + s * cols];                     \
        barrier(CLK_LOCAL_MEM_FENCE);                                             \
    }                                                                             \
    value = partial[col];                                                         \
    barrier(CLK_LOCAL_MEM_FENCE)

// Two sums at once, with one barrier per level for both.
#define TREE_SUM2(pa, a, pb, b)                                                   \
    pa[lid] = (a);                                                                \
    pb[lid] = (b);                                                                \
    barrier(CLK_LOCAL_MEM_FENCE);                                                 \
    for (int s = rows / 2; s > 0; s /= 2)                                         \
    {                                                                             \
        if (row < s)                                                              \
        {                                                                         \
            pa[lid] += pa[lid + s * cols];                                        \
            pb[lid] += pb[lid + s * cols];                                        \
        }                                                                         \
        barrier(CLK_LOCAL_MEM_FENCE);                                             \
    }                                                                             \
    a = pa[col];                                                                  \
    b = pb[col];                                                                  \
    barrier(CLK_LOCAL_MEM_FENCE)

// Per line: mean = x[0] + delta with delta = sum(x - x[0]) / len, var = sum(dev^2) / len with each deviation
// formed as dev = (x - x[0]) - delta, rstd = 1 / sqrt(var + eps), y = dev * rstd * w + b. The first difference is
// exact for values near x[0], so a constant line gives exactly its value and var 0, and a line with |mean| >> std
// loses nothing to the rounding of the mean. x and y may be the same memory: each element is read in all three
// passes before its own write.
__kernel void layernorm_tile(__global const T* x, int xo, int8 xls, int xstep,
                             __global const T* w, int wo, int wstep, int has_w,
                             __global const T* b, int bo, int bstep, int has_b,
                             __global T* y, int yo, int8 yls, int ystep,
                             __global T* mean, int mo, int8 mls,
                             __global T* rstd, int ro, int8 rls,
                             int8 lshape, int lrank, int lines, int len, int cols, T eps)
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

    T k0 = end > 0 ? x[xb] : 0;
    T sum = 0;
    for (int k = row; k < end; k += rows) sum += x[xb + k * xstep] - k0;
    TREE_SUM(partial, sum);
    T delta = sum / (T)len; // 0 / 0 = NaN for an empty line, as in the reference

    T squares = 0;
    for (int k = row; k < end; k += rows)
    {
        T d = x[xb + k * xstep] - k0 - delta;
        squares += d * d;
    }
    TREE_SUM(partial, squares);
    T r = (T)1 / sqrt(squares / (T)len + eps);

    for (int k = row; k < end; k += rows)
    {
        T v = (x[xb + k * xstep] - k0 - delta) * r;
        if (has_w) v *= w[wo + k * wstep];
        if (has_b) v += b[bo + k * bstep];
        y[yb + k * ystep] = v;
    }
    if (active && row == 0)
    {
        UNPACK(mls, lm); UNPACK(rls, lr);
        mean[offset_of(line, lrank, ls, lm, mo)] = k0 + delta;
        rstd[offset_of(line, lrank, ls, lr, ro)] = r;
    }
}

// dx per line: with xhat = (x - mean) * rstd and g = dy * w, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
__kernel void layernorm_backward_tile(__global const T* dy, int go, int8 gls, int gstep,
                                      __global const T* x, int xo, int8 xls, int xstep,
                                      __global const T* w, int wo, int wstep, int has_w,
                                      __global const T* mean, int mo, int8 mls,
                                      __global const T* rstd, int ro, int8 rls,
                                      __global T* dx, int dxo, int8 dxls, int dxstep,
                                      int8 lshape, int lrank, int lines, int len, int cols)
{
    __local T pa[GROUP];
    __local T pb[GROUP];
    int lid = get_local_id(0);
    int col = lid % cols, row = lid / cols, rows = GROUP / cols;
    int line = get_group_id(0) * cols + col;
    bool active = line < lines;
    UNPACK(lshape, ls); UNPACK(gls, lg); UNPACK(xls, lx); UNPACK(mls, lm); UNPACK(rls, lr); UNPACK(dxls, ld);
    int gb = active ? offset_of(line, lrank, ls, lg, go) : 0;
    int xb = active ? offset_of(line, lrank, ls, lx, xo) : 0;
    T m = active ? mean[offset_of(line, lrank, ls, lm, mo)] : 0;
    T r = active ? rstd[offset_of(line, lrank, ls, lr, ro)] : 0;
    int end = active ? len : 0;

    T g_sum = 0, gx_sum = 0;
    for (int k = row; k < end; k += rows)
    {
        T g = dy[gb + k * gstep];
        if (has_w) g *= w[wo + k * wstep];
        T xhat = (x[xb + k * xstep] - m) * r;
        g_sum += g;
        gx_sum += g * xhat;
    }
    TREE_SUM2(pa, g_sum, pb, gx_sum);
    T g_mean = g_sum / (T)len, gx_mean = gx_sum / (T)len;

    int dxb = active ? offset_of(line, lrank, ls, ld, dxo) : 0;
    for (int k = row; k < end; k += rows)
    {
        T g = dy[gb + k * gstep];
        if (has_w) g *= w[wo + k * wstep];
        T xhat = (x[xb + k * xstep] - m) * r;
        dx[dxb + k * dxstep] = r * (g - g_mean - xhat * gx_mean);
    }
}

// dweight[c] = sum over lines of dy * xhat and dbias[c] = sum over lines of dy, for the lines of slice `part`
// (of `parts`); slice p writes its sums at p * part_stride past the output's offset.
__kernel void layernorm_params(__global const T* dy, int go, int8 gls, int gstep,
                               __global const T* x, int xo, int8 xls, int xstep,
                               __global const T* mean, int mo, int8 mls,
                               __global const T* rstd, int ro, int8 rls,
                               __global T* dw, int dwo, int dwstep, int has_dw,
                               __global T* db, int dbo, int dbstep, int has_db,
                               int part_stride, int8 lshape, int lrank, int lines, int len, int cols, int parts)
{
    __local T pa[GROUP];
    __local T pb[GROUP];
    int lid = get_local_id(0);
    int col = lid % cols, row = lid / cols, rows = GROUP / cols;
    int tiles = (len + cols - 1) / cols;
    int tile = get_group_id(0) % tiles, part = get_group_id(0) / tiles;
    int c = tile * cols + col;
    bool active = c < len;
    int per = (lines + parts - 1) / parts;
    int first = part * per, last = min(lines, first + per);
    UNPACK(lshape, ls); UNPACK(gls, lg); UNPACK(xls, lx); UNPACK(mls, lm); UNPACK(rls, lr);

    T w_sum = 0, b_sum = 0;
    for (int l = first + row; active && l < last; l += rows)
    {
        T g = dy[offset_of(l, lrank, ls, lg, go) + c * gstep];
        T xhat = (x[offset_of(l, lrank, ls, lx, xo) + c * xstep] - mean[offset_of(l, lrank, ls, lm, mo)]) * rstd[offset_of(l, lrank, ls, lr, ro)];
        w_sum += g * xhat;
        b_sum += g;
    }
    TREE_SUM2(pa, w_sum, pb, b_sum);
    if (active && row == 0)
    {
        if (has_dw) dw[dwo + part * part_stride + c * dwstep] = w_sum;
        if (has_db) db[dbo + part * part_stride + c * dbstep] = b_sum;
    }
}
