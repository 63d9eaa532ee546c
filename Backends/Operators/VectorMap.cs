// One vectorized loop for float maps that TensorPrimitives does not offer (GELU, SiLU): Vector512, then Vector256, then scalar.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends;

/// <summary>A float function with scalar and vector forms; the JIT specialises <see cref="VectorMap.Apply{T}"/> per struct.</summary>
public interface IVectorFunction<TSelf> where TSelf : IVectorFunction<TSelf>
{
    static abstract float Invoke(float x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

public static class VectorMap
{
    /// <summary>y[i] = f(x[i]) with the widest vectors the machine accelerates; the tail runs one overlapping vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T>(ReadOnlySpan<float> x, Span<float> y) where T : IVectorFunction<T>
    {
        int n = x.Length, i = 0;
        ref float xs = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float ys = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                T.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                T.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        // The tail is computed element by element, not by an overlapping vector, so that x and y may alias.
        for (; i < n; i++) Unsafe.Add(ref ys, i) = T.Invoke(Unsafe.Add(ref xs, i));
    }
}
