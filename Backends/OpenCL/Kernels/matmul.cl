// Batched matrix product c[b] = a[b] @ b[b]: a [B, M, K], b [B, K, N], c [B, M, N], each a strided view.
// Element (m, k) of batch bi of a lives at ao + bi*sab + m*sam + k*sak (likewise b and c); any strides work,
// so a transposed operand needs no copy and a stride of 0 broadcasts. c is written, never accumulated into.
//
// matmul_naive (host defines NAIVE): one work item per output, a dot product accumulated in T. It is the
// oracle the tiled kernel is tested against, and the path for tiny products and devices the tiling does not fit.
//
// matmul_tiled (host defines TILED and the tiling below): the classic register-blocked GEMM.
//
//   The NDRange is (N tiles * RTN, M tiles * RTM, B): one work group per TM x TN macro-tile of c per batch,
//   RTN x RTM work items, each owning a WPTM x WPTN micro-tile of outputs held in registers.
//
//        K loop, TK at a time               c macro-tile (TM x TN)
//      +------+                           +---------------------+
//   a  | TMxTK| -> As [TK][TM+PAD]        | work item (tx, ty)  |
//      +------+                           | owns WPTM x WPTN    |
//   b  | TKxTN| -> Bs [TK][TN+PAD]        | outputs, in vectors |
//      +------+                           +---------------------+
//
//   Each step of the K loop stores the tiles of a and b (staged in registers) into local memory, transposed
//   so both are indexed [k][row or column]; then it starts the global loads of the next tile into registers
//   (their latency hides behind the arithmetic), and does TK rank-1 updates of the micro-tile from local
//   memory. The micro-tile is interleaved, not contiguous: work item tx owns the VW-wide column vectors
//   tx, tx + RTN, tx + 2*RTN, ... of the macro-tile (rows likewise with ty), so neighbouring work items read
//   neighbouring vectors of Bs (no bank conflicts) and each read is one VW-wide local load.
//
//   Loading a tile is coalesced for both layouts of an operand: with A_K_FAST neighbouring work items read
//   neighbouring k (a row-major a), otherwise neighbouring m (a column-major, i.e. transposed, a); B_N_FAST
//   likewise for b. The PAD columns spread the stores of a k-fast load over the local memory banks.
//
//   Bounds: with CHECK_BOUNDS, loads past M, N or K read 0 and stores past M or N are skipped; the host
//   leaves it undefined when M, N and K are multiples of the tile, which drops every check from the loop.

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

#ifdef NAIVE
__kernel void matmul_naive(int M, int N, int K,
                           __global const T* a, int ao, int sab, int sam, int sak,
                           __global const T* b, int bo, int sbb, int sbk, int sbn,
                           __global T* c, int co, int scb, int scm, int scn)
{
    int n = get_global_id(0), m = get_global_id(1), bi = get_global_id(2);
    if (n >= N || m >= M) return;
    __global const T* ar = a + ao + bi * sab + m * sam; // row m of a
    __global const T* bc = b + bo + bi * sbb + n * sbn; // column n of b
    T sum = 0;
    for (int k = 0; k < K; k++) sum = fma(ar[k * sak], bc[k * sbk], sum);
    c[co + bi * scb + m * scm + n * scn] = sum;
}
#endif

#ifdef TILED
#define RTM (TM / WPTM)             // work items along M
#define RTN (TN / WPTN)             // work items along N
#define THREADS (RTM * RTN)
#define LPTA (TM * TK / THREADS)    // elements of the a tile each work item loads
#define LPTB (TN * TK / THREADS)
#define VM (WPTM / VW)              // vectors per work item along M
#define VN (WPTN / VW)
#define AROW (TM + PAD)             // padded lengths of the local tile rows, in elements
#define BROW (TN + PAD)
#define TV CAT(T, VW)               // float4, double2, ...
#if VW == 1
#define VSTORE(v, i, p) ((p)[i] = (v))
#else
#define VSTORE(v, i, p) CAT(vstore, VW)((v), (i), (p))
#endif

#ifdef CHECK_BOUNDS
#define LOAD_A(m, k) (((m) < M && (k) < K) ? a[(m) * sam + (k) * sak] : (T)0)
#define LOAD_B(k, n) (((k) < K && (n) < N) ? b[(k) * sbk + (n) * sbn] : (T)0)
#else
#define LOAD_A(m, k) a[(m) * sam + (k) * sak]
#define LOAD_B(k, n) b[(k) * sbk + (n) * sbn]
#endif

// Element e (0 .. TM*TK) of the a tile in load order: k fast or m fast.
#if A_K_FAST
#define A_M(e) ((e) / TK)
#define A_K(e) ((e) % TK)
#else
#define A_M(e) ((e) % TM)
#define A_K(e) ((e) / TM)
#endif
#if B_N_FAST
#define B_N(e) ((e) % TN)
#define B_K(e) ((e) / TN)
#else
#define B_N(e) ((e) / TK)
#define B_K(e) ((e) % TK)
#endif

__kernel __attribute__((reqd_work_group_size(RTN, RTM, 1)))
void matmul_tiled(int M, int N, int K,
                  __global const T* a, int ao, int sab, int sam, int sak,
                  __global const T* b, int bo, int sbb, int sbk, int sbn,
                  __global T* c, int co, int scb, int scm, int scn)
{
    // Vector-typed so the micro-tile reads are single wide loads; filled element-wise through T pointers.
    __local TV As[TK * AROW / VW];
    __local TV Bs[TK * BROW / VW];
    __local T* as = (__local T*)As;
    __local T* bs = (__local T*)Bs;

    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * RTN + tx;
    const int n0 = get_group_id(0) * TN, m0 = get_group_id(1) * TM, bi = get_group_id(2);
    a += ao + bi * sab;
    b += bo + bi * sbb;
    c += co + bi * scb;

    T acc[WPTM][WPTN];
    #pragma unroll
    for (int i = 0; i < WPTM; i++)
        #pragma unroll
        for (int j = 0; j < WPTN; j++) acc[i][j] = 0;

    // The tile at k0 in registers: ra[l] is element tid + l*THREADS of the a tile in load order.
    T ra[LPTA], rb[LPTB];
    #pragma unroll
    for (int l = 0; l < LPTA; l++) { int e = tid + l * THREADS; ra[l] = LOAD_A(m0 + A_M(e), A_K(e)); }
    #pragma unroll
    for (int l = 0; l < LPTB; l++) { int e = tid + l * THREADS; rb[l] = LOAD_B(B_K(e), n0 + B_N(e)); }

    for (int k0 = 0; k0 < K; k0 += TK)
    {
        #pragma unroll
        for (int l = 0; l < LPTA; l++) { int e = tid + l * THREADS; as[A_K(e) * AROW + A_M(e)] = ra[l]; }
        #pragma unroll
        for (int l = 0; l < LPTB; l++) { int e = tid + l * THREADS; bs[B_K(e) * BROW + B_N(e)] = rb[l]; }
        barrier(CLK_LOCAL_MEM_FENCE);

        // Start fetching the next tile; the loads complete while the arithmetic below runs.
        int k1 = k0 + TK;
        if (k1 < K)
        {
            #pragma unroll
            for (int l = 0; l < LPTA; l++) { int e = tid + l * THREADS; ra[l] = LOAD_A(m0 + A_M(e), k1 + A_K(e)); }
            #pragma unroll
            for (int l = 0; l < LPTB; l++) { int e = tid + l * THREADS; rb[l] = LOAD_B(k1 + B_K(e), n0 + B_N(e)); }
        }

        #pragma unroll
        for (int k = 0; k < TK; k++)
        {
            T ar[WPTM], br[WPTN];
            #pragma unroll
            for (int v = 0; v < VM; v++) VSTORE(As[(k * AROW) / VW + v * RTM + ty], v, ar);
            #pragma unroll
            for (int v = 0; v < VN; v++) VSTORE(Bs[(k * BROW) / VW + v * RTN + tx], v, br);
            #pragma unroll
            for (int i = 0; i < WPTM; i++)
                #pragma unroll
                for (int j = 0; j < WPTN; j++) acc[i][j] = fma(ar[i], br[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    // Output (i, j) of the micro-tile: element i % VW of row vector (i / VW) * RTM + ty, columns likewise.
    #pragma unroll
    for (int i = 0; i < WPTM; i++)
    {
        int m = m0 + ((i / VW) * RTM + ty) * VW + i % VW;
        #pragma unroll
        for (int j = 0; j < WPTN; j++)
        {
            int n = n0 + ((j / VW) * RTN + tx) * VW + j % VW;
#ifdef CHECK_BOUNDS
            if (m < M && n < N)
#endif
                c[m * scm + n * scn] = acc[i][j];
        }
    }
}
#endif
