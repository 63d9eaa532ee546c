// Indexing kernels: index_select, gather and a deterministic scatter_add. The host defines T (the element
// type; index_select and gather move raw bits, so T is an unsigned type of the element's width), IDX (the index
// type, int or long) and OP, the operation's number in error reports (1 index_select, 2 gather, 3 scatter_add).
//
// A bad index is not fatal inside a kernel: it is reported through err (see report_bad_index) and raised by
// the host at its next synchronisation, with the same message the CPU backends give.

#define BAD(idx, size) ((idx) < 0 || (idx) >= (size))

// y = x.index_select(axis, index): y has x's shape with index's length on the axis; one work item per y element.
__kernel void index_select(__global const T* x, int xo, int8 xs, __global const IDX* index, int io, int is,
                           __global T* y, int yo, int8 ys, int8 shape, int rank, int axis, int size, int n, __global int* err)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(xs, sx); UNPACK(ys, sy);
    int r = i, xoff = xo, yoff = yo;
    for (int d = rank - 1; d >= 0; --d)
    {
        int c = r % sh[d];
        r /= sh[d];
        yoff += c * sy[d];
        if (d == axis)
        {
            IDX idx = index[io + c * is];
            if (BAD(idx, size)) { report_bad_index(err, OP, idx, size, axis); y[yoff] = 0; return; }
            c = (int)idx;
        }
        xoff += c * sx[d];
    }
    y[yoff] = x[xoff];
}

// y[p] = x[p with p[axis] = index[p]]: index and y share a shape; one work item per y element.
__kernel void gather(__global const T* x, int xo, int8 xs, __global const IDX* index, int io, int8 is,
                     __global T* y, int yo, int8 ys, int8 shape, int rank, int axis, int size, int n, __global int* err)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(xs, sx); UNPACK(is, si); UNPACK(ys, sy);
    IDX raw = index[offset_of(i, rank, sh, si, io)];
    int yoff = offset_of(i, rank, sh, sy, yo);
    if (BAD(raw, size)) { report_bad_index(err, OP, raw, size, axis); y[yoff] = 0; return; }
    int idx = (int)raw;
    int r = i, xoff = xo;
    for (int d = rank - 1; d >= 0; --d)
    {
        int c = r % sh[d];
        r /= sh[d];
        xoff += (d == axis ? idx : c) * sx[d];
    }
    y[yoff] = x[xoff];
}

// Pass 1 of scatter_add: the row-major position of the first bad index in src order (limit starts at INT_MAX).
__kernel void scatter_find_bad(__global const IDX* index, int io, int8 is, int8 shape, int rank, int axis, int size, int n,
                               __global int* limit, __global int* err)
{
    int i = get_global_id(0);
    if (i >= n) return;
    UNPACK(shape, sh); UNPACK(is, si);
    IDX idx = index[offset_of(i, rank, sh, si, io)];
    if (BAD(idx, size))
    {
        atomic_min(limit, i);
        report_bad_index(err, OP, idx, size, axis);
    }
}

// Pass 2: y[..., j, ...] += src[..., i, ...] for every i with index[..., i, ...] == j, in increasing i. One work
// item owns one y element and adds in the same order as a sequential loop over src, so results are
// deterministic and bit-identical to the CPU backends, with no atomics. Only src positions before the first
// bad index take part, as when a sequential loop stops there. The work items cover src's shape with the
// axis replaced by y's size on it (tshape); y elements outside that are untouched.
__kernel void scatter_add(__global T* y, int yo, int8 ys, __global const IDX* index, int io, int8 is,
                          __global const T* src, int so, int8 ss, int8 sshape, int8 tshape, int rank, int axis, int n,
                          __global const int* limit)
{
    int t = get_global_id(0);
    if (t >= n) return;
    UNPACK(tshape, th); UNPACK(sshape, sh); UNPACK(ys, sy); UNPACK(is, si); UNPACK(ss, sv);
    // Coordinates of this y element; the src/index offsets and row-major position with the axis coordinate 0.
    int r = t, yoff = yo, ioff = io, soff = so, pos = 0, posStride = 1, axisPosStride = 1, j = 0;
    int coord[MAX_RANK];
    for (int d = rank - 1; d >= 0; --d)
    {
        coord[d] = r % th[d];
        r /= th[d];
    }
    for (int d = rank - 1; d >= 0; --d)
    {
        yoff += coord[d] * sy[d];
        if (d == axis) { j = coord[d]; axisPosStride = posStride; }
        else { ioff += coord[d] * si[d]; soff += coord[d] * sv[d]; pos += coord[d] * posStride; }
        posStride *= sh[d];
    }
    int stop = *limit;
    T acc = y[yoff];
    for (int i = 0; i < sh[axis]; ++i)
    {
        if (pos + i * axisPosStride >= stop) continue;
        if (index[ioff + i * si[axis]] == j) acc = acc + src[soff + i * sv[axis]];
    }
    y[yoff] = acc;
}
