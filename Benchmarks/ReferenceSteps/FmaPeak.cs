// The machine's fp32 fused-multiply-add peak, measured: a register-resident loop of independent FMA chains, the
// ceiling the reference steps and the GEMM are stated against.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DotGrad.Benchmarks;

/// <summary>
/// Runs <see cref="Accumulators"/> independent chains <c>acc = acc * a + b</c> of the widest FMA the CPU has (AVX-512,
/// else AVX2 with FMA, else a scalar <see cref="MathF.FusedMultiplyAdd"/>). Twelve chains cover the FMA latency
/// (4 cycles) times the FMA ports (2) of current x86 cores, so the loop is bound by FMA throughput alone: its
/// GFLOP/s is the core's fp32 peak. Each FMA counts as 2 FLOPs per lane.
/// </summary>
public static class FmaPeak
{
    /// <summary>Independent accumulator registers per thread.</summary>
    public const int Accumulators = 12;

    /// <summary>Which instructions <see cref="Run"/> uses on this machine: "avx512", "avx2-fma" or "scalar".</summary>
    public static string Isa => Avx512F.IsSupported ? "avx512" : Fma.IsSupported && Avx.IsSupported ? "avx2-fma" : "scalar";

    /// <summary>Float lanes per FMA instruction of <see cref="Isa"/>.</summary>
    public static int Lanes => Avx512F.IsSupported ? 16 : Fma.IsSupported && Avx.IsSupported ? 8 : 1;

    /// <summary>FLOPs of one iteration of <see cref="Run"/>: 2 per lane per accumulator.</summary>
    public static long FlopsPerIteration => 2L * Lanes * Accumulators;

    /// <summary>
    /// Runs <paramref name="iterations"/> iterations on the calling thread and returns the sum of the accumulators'
    /// first lanes (a finite number that keeps the loop from being removed).
    /// </summary>
    public static float Run(long iterations)
    {
        if (iterations < 1)
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "FmaPeak.Run: expected at least 1 iteration");
        if (Avx512F.IsSupported) return Run512(iterations);
        if (Fma.IsSupported && Avx.IsSupported) return Run256(iterations);
        return RunScalar(iterations);
    }

    private static readonly Dictionary<int, double> Measured = [];

    /// <summary>
    /// The best of five <see cref="MeasureGflops"/> at <paramref name="threads"/>, measured once per process and thread
    /// count: what the benchmark columns divide by, so every row of one run is stated against the same peak. A peak is
    /// what the cores can reach, so the best run estimates it; on a shared machine a single run can land in a busy
    /// moment and make every ratio look better than it is.
    /// </summary>
    public static double CachedGflops(int threads)
    {
        lock (Measured)
        {
            if (!Measured.TryGetValue(threads, out var gflops))
                Measured[threads] = gflops = Enumerable.Range(0, 5).Max(_ => MeasureGflops(threads));
            return gflops;
        }
    }

    /// <summary>
    /// GFLOP/s of <paramref name="threads"/> threads each running <paramref name="iterations"/> iterations at once
    /// (wall time from the first start to the last finish).
    /// </summary>
    public static double MeasureGflops(int threads = 1, long iterations = 20_000_000)
    {
        if (threads < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "FmaPeak.MeasureGflops: expected at least 1 thread");
        Run(Math.Min(iterations, 100_000));   // compile the loop before timing it
        var sw = Stopwatch.StartNew();
        RunOnThreads(threads, iterations);
        double seconds = sw.Elapsed.TotalSeconds;
        return threads * (double)iterations * FlopsPerIteration / seconds / 1e9;
    }

    /// <summary>Runs <see cref="Run"/> on <paramref name="threads"/> dedicated threads at once and waits for all.</summary>
    public static void RunOnThreads(int threads, long iterations)
    {
        if (threads == 1)
        {
            Run(iterations);
            return;
        }
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() => Run(iterations)) { IsBackground = true };
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run512(long iterations)
    {
        var a = Vector512.Create(0.999999f);
        var b = Vector512.Create(1e-6f);
        Vector512<float> c0 = Vector512.Create(0.1f), c1 = Vector512.Create(0.2f), c2 = Vector512.Create(0.3f), c3 = Vector512.Create(0.4f),
                         c4 = Vector512.Create(0.5f), c5 = Vector512.Create(0.6f), c6 = Vector512.Create(0.7f), c7 = Vector512.Create(0.8f),
                         c8 = Vector512.Create(0.9f), c9 = Vector512.Create(1.0f), c10 = Vector512.Create(1.1f), c11 = Vector512.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, a, b); c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
            c2 = Avx512F.FusedMultiplyAdd(c2, a, b); c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
            c4 = Avx512F.FusedMultiplyAdd(c4, a, b); c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
            c6 = Avx512F.FusedMultiplyAdd(c6, a, b); c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
            c8 = Avx512F.FusedMultiplyAdd(c8, a, b); c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
            c10 = Avx512F.FusedMultiplyAdd(c10, a, b); c11 = Avx512F.FusedMultiplyAdd(c11, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return sum.ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run256(long iterations)
    {
        var a = Vector256.Create(0.999999f);
        var b = Vector256.Create(1e-6f);
        Vector256<float> c0 = Vector256.Create(0.1f), c1 = Vector256.Create(0.2f), c2 = Vector256.Create(0.3f), c3 = Vector256.Create(0.4f),
                         c4 = Vector256.Create(0.5f), c5 = Vector256.Create(0.6f), c6 = Vector256.Create(0.7f), c7 = Vector256.Create(0.8f),
                         c8 = Vector256.Create(0.9f), c9 = Vector256.Create(1.0f), c10 = Vector256.Create(1.1f), c11 = Vector256.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b);
            c2 = Fma.MultiplyAdd(c2, a, b); c3 = Fma.MultiplyAdd(c3, a, b);
            c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b);
            c8 = Fma.MultiplyAdd(c8, a, b); c9 = Fma.MultiplyAdd(c9, a, b);
            c10 = Fma.MultiplyAdd(c10, a, b); c11 = Fma.MultiplyAdd(c11, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return sum.ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float RunScalar(long iterations)
    {
        const float a = 0.999999f, b = 1e-6f;
        float c0 = 0.1f, c1 = 0.2f, c2 = 0.3f, c3 = 0.4f, c4 = 0.5f, c5 = 0.6f, c6 = 0.7f, c7 = 0.8f, c8 = 0.9f, c9 = 1.0f, c10 = 1.1f, c11 = 1.2f;
        for (long i = 0; i < iterations; i++)
        {
            c0 = MathF.FusedMultiplyAdd(c0, a, b); c1 = MathF.FusedMultiplyAdd(c1, a, b);
            c2 = MathF.FusedMultiplyAdd(c2, a, b); c3 = MathF.FusedMultiplyAdd(c3, a, b);
            c4 = MathF.FusedMultiplyAdd(c4, a, b); c5 = MathF.FusedMultiplyAdd(c5, a, b);
            c6 = MathF.FusedMultiplyAdd(c6, a, b); c7 = MathF.FusedMultiplyAdd(c7, a, b);
            c8 = MathF.FusedMultiplyAdd(c8, a, b); c9 = MathF.FusedMultiplyAdd(c9, a, b);
            c10 = MathF.FusedMultiplyAdd(c10, a, b); c11 = MathF.FusedMultiplyAdd(c11, a, b);
        }
        return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
    }
}
