// Reductions: sum/max/min over any set of axes (REDUCE), and arg-max/arg-min along one axis (ARG).
//
// The host splits x's dims into kept dims (one output each) and reduced dims (folded into that output), merges
// contiguous dims in each group and passes both as int8 shape/stride vectors. GROUP is the work-group size,
// a power of two, so the local arrays have a compile-time size.
//
// A "tile" work group serves `cols` outputs with `rows = GROUP / cols` work items each: work item
// (col, row) = local id (row * cols + col) folds every rows-th element of its output's run, then the rows of
// the tile combine in a local-memory tree. cols = 1 is one work group per output (long runs); a larger cols
// keeps reads coalesced when neighbouring outputs are neighbours in memory, or fills the group when runs are
// short. A run can also be split over `parts` work groups, each writing a partial that a second pass reduces,
// so that a few very long runs still occupy the whole device.

#ifdef REDUCE
// Defines: T, GROUP, REDUCE(a, b) folding b into the accumulator a, IDENTITY (the result for an empty run).

// The offset of element r of one output's run; rank 0 and 1 (the common cases) need no division.
inline int run_offset(int r, int rank, const int* shape, const int* stride, int base)
{
    return rank <= 1 ? base + r * stride[0] : offset_of(r, rank, shape, stride, base);
}

// One work item per output, folding its run in order: for short runs (extent small) and many outputs.
__kernel void reduce_loop(__global const T* x, int xo, int8 xks, int8 rshape, int8 rxs, int rrank,
                          __global T* y, int yo, int8 yks, int8 kshape, int krank, int outputs, int extent)
{
    int o = get_global_id(0);
    if (o >= outputs) return;
    UNPACK(kshape, ks); UNPACK(xks, kx); UNPACK(yks, ky); UNPACK(rshape, rs); UNPACK(rxs, rx);
    int base = offset_of(o, krank, ks, kx, xo);
    T acc = IDENTITY;
    for (int r = 0; r < extent; ++r)
    {
        T v = x[run_offset(r, rrank, rs, rx, base)];
        acc = REDUCE(acc, v);
    }
    y[offset_of(o, krank, ks, ky, yo)] = acc;
}

// A tile of `cols` outputs per work group (see the top of the file). Group g serves tile g / parts and writes
// part g % parts of each of its outputs at y[output offset + part]: with parts > 1, y is the [outputs, parts]
// buffer of partials and yks its strides.
__kernel void reduce_tile(__global const T* x, int xo, int8 xks, int8 rshape, int8 rxs, int rrank,
                          __global T* y, int yo, int8 yks, int8 kshape, int krank,
                          int outputs, int extent, int cols, int parts)
{
    __local T partial[GROUP];
    int lid = get_local_id(0);
    int col = lid % cols, row = lid / cols, rows = GROUP / cols;
    int tile = get_group_id(0) / parts, part = get_group_id(0) % parts;
    int o = tile * cols + col;
    UNPACK(kshape, ks); UNPACK(xks, kx); UNPACK(yks, ky); UNPACK(rshape, rs); UNPACK(rxs, rx);

    // Work items past the last output still take part in the barriers, holding the identity.
    T acc = IDENTITY;
    if (o < outputs)
    {
        int base = offset_of(o, krank, ks, kx, xo);
        for (int r = part * rows + row; r < extent; r += parts * rows)
        {
            T v = x[run_offset(r, rrank, rs, rx, base)];
            acc = REDUCE(acc, v);
        }
    }
    partial[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);

    // Halve the rows each step: row i takes row i + s of the same column.
    for (int s = rows / 2; s > 0; s /= 2)
    {
        if (row < s)
        {
            T a = partial[lid], b = partial[lid + s * cols];
            partial[lid] = REDUCE(a, b);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row == 0 && o < outputs) y[offset_of(o, krank, ks, ky, yo) + part] = partial[lid];
}
#endif

#ifdef ARG
// Defines: T, GROUP, BEATS(a, b) (a strictly better than b: > for argmax, < for argmin), IS_NAN(v).
//
// The reference scans each line in order and keeps the first strictly better value, with a NaN better than
// anything. As a combination of (value, index) candidates that is: the first NaN if there is one, otherwise
// the first position of the extreme value. It is associative, so any split of the line gives the same answer.

// Whether candidate (v, i) replaces the best so far (bv, bi); index -1 marks a work item that saw no element.
inline bool arg_beats(T v, int i, T bv, int bi)
{
    if (i < 0) return false;
    if (bi < 0) return true;
    if (IS_NAN(bv)) return IS_NAN(v) && i < bi;
    if (IS_NAN(v)) return true;
    return BEATS(v, bv) || (v == bv && i < bi);
}

// A tile of `cols` lines per work group, `GROUP / cols` work items per line. The line's elements are `step`
// apart; lshape and the *ls strides place each line's first element in x, values and indices.
__kernel void arg_tile(__global const T* x, int xo, int8 xls, int step,
                       __global T* values, int vo, int8 vls, __global long* indices, int io, int8 ils,
                       int8 lshape, int lrank, int lines, int len, int cols)
{
    __local T best_value[GROUP];
    __local int best_index[GROUP];
    int lid = get_local_id(0);
    int col = lid % cols, row = lid / cols, rows = GROUP / cols;
    int line = get_group_id(0) * cols + col;
    UNPACK(lshape, ls); UNPACK(xls, lx); UNPACK(vls, lv); UNPACK(ils, li);

    T bv = 0;
    int bi = -1;
    if (line < lines)
    {
        int base = offset_of(line, lrank, ls, lx, xo);
        // This work item's positions only increase, so its first NaN is final.
        for (int k = row; k < len && !(bi >= 0 && IS_NAN(bv)); k += rows)
        {
            T v = x[base + k * step];
            if (arg_beats(v, k, bv, bi)) { bv = v; bi = k; }
        }
    }
    best_value[lid] = bv;
    best_index[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);

    for (int s = rows / 2; s > 0; s /= 2)
    {
        if (row < s)
        {
            T v = best_value[lid + s * cols];
            int i = best_index[lid + s * cols];
            if (arg_beats(v, i, best_value[lid], best_index[lid]))
            {
                best_value[lid] = v;
                best_index[lid] = i;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row == 0 && line < lines)
    {
        values[offset_of(line, lrank, ls, lv, vo)] = best_value[lid];
        indices[offset_of(line, lrank, ls, li, io)] = best_index[lid];
    }
}
#endif
