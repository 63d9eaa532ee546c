// Helpers shared by every DotGrad kernel program. The host prepends #define lines (T, the operator
// expressions) and, for Float64, the cl_khr_fp64 pragma.
//
// Views: an element of a strided view lives at offset + sum(coord[d] * stride[d]). Shapes and strides travel
// as int8 vectors (rank <= 8 after the host merged contiguous dims); dims are innermost last.

// No implicit fusing of a * b + c into one rounding: results then round like the CPU backends' (kernels that
// want fused multiply-adds, such as the GEMM, call fma() explicitly).
#pragma OPENCL FP_CONTRACT OFF

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

// Records a bad index a kernel meets: err = {flag, operation, value's low 32 bits, dim size, axis, value's high
// 32 bits} (an Int64 index may not fit an int). The host raises it at its next synchronisation. Only the work
// item that wins the flag writes the details.
inline void report_bad_index(__global int* err, int op, long value, int size, int axis)
{
    if (atomic_cmpxchg(&err[0], 0, 1) == 0)
    {
        err[1] = op;
        err[2] = (int)(value & 0xFFFFFFFFL);
        err[3] = size;
        err[4] = axis;
        err[5] = (int)(value >> 32);
    }
}

// BFloat16 <-> float: a BFloat16 is the top half of a float's bits.
inline float bf16_to_float(ushort b) { return as_float(((uint)b) << 16); }

inline ushort float_to_bf16(float f)
{
    uint u = as_uint(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (ushort)((u >> 16) | 0x0040u); // NaN stays NaN
    return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);                 // nearest, ties to even
}
