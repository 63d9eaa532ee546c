// Helpers shared by every DotGrad kernel program. The host prepends #define lines (T, the operator
// expressions) and, for Float64, the cl_khr_fp64 pragma.
//
// Views: an element of a strided view lives at offset + sum(coord[d] * stride[d]). Shapes and strides travel
// as int8 vectors (rank <= 8 after the host merged contiguous dims); dims are innermost last.

#define MAX_RANK 8

// Unpacks an int8 into an array so dims can be indexed by a variable.
#define UNPACK(vec, arr) int arr[MAX_RANK]; vstore8((vec), 0, arr)

// The element offset of row-major position i in a view of the given shape, strides and offset.
inline int offset_of(int i, int rank, const int* shape, const int* stride, int offset)
{
    for (int d = rank - 1; d >= 0; --d)
    {
        int size = shape[d];
        int q = i / size;
        offset += (i - q * size) * stride[d];
        i = q;
    }
    return offset;
}

// Records the first bad index a kernel meets: err = {flag, operation, value, dim size}. The host raises it at
// its next synchronisation. Only the work item that wins the flag writes the details.
inline void report_bad_index(__global int* err, int op, int value, int size)
{
    if (atomic_cmpxchg(&err[0], 0, 1) == 0)
    {
        err[1] = op;
        err[2] = value;
        err[3] = size;
    }
}
