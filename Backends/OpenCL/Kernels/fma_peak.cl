// The device's fp32 fused-multiply-add throughput: a diagnostic, not an op. Each work item runs eight float4
// accumulators, 32 independent chains acc = fma(acc, a, b), so every step has 32 FMAs that do not wait on each
// other (enough to hide the FMA latency), and nothing but registers is touched inside the loop, so the loop is bound
// by FMA throughput alone. float4 maps to SIMD lanes on a CPU runtime and to four scalar FMAs on a GPU. a and b are
// arguments, not constants, so the compiler cannot fold the chains; the sum is written out so the loop stays.

__kernel void fma_peak(__global float* out, int iterations, float a, float b)
{
    float4 s = (float4)((float)get_global_id(0) * 1e-9f);
    float4 c0 = s + 0.1f, c1 = s + 0.2f, c2 = s + 0.3f, c3 = s + 0.4f, c4 = s + 0.5f, c5 = s + 0.6f, c6 = s + 0.7f, c7 = s + 0.8f;
    float4 va = (float4)(a), vb = (float4)(b);
    for (int i = 0; i < iterations; i++)
    {
        c0 = fma(c0, va, vb); c1 = fma(c1, va, vb); c2 = fma(c2, va, vb); c3 = fma(c3, va, vb);
        c4 = fma(c4, va, vb); c5 = fma(c5, va, vb); c6 = fma(c6, va, vb); c7 = fma(c7, va, vb);
    }
    float4 sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
    out[get_global_id(0)] = sum.x + sum.y + sum.z + sum.w;
}
