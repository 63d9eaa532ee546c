// A timed loop that finds where splitting an elementwise op across the worker pool starts to pay: a float add of n
// elements on the calling thread vs split in two halves over WorkerPool, for n from 8K to 1M; medians of repeated runs.
// The result sets CpuBackend.ParallelThreshold (run on a quiet machine):
//
//   dotnet run -c Release --project Benchmarks -- threshold
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using DotGrad.Backends.Cpu;

namespace DotGrad.Benchmarks;

internal static class ThresholdProbe
{
    public static int Run()
    {
        // The fixed cost a split pays: an empty two-chunk job (the worker is spinning, as it is between a step's ops).
        double pool = Median(() => WorkerPool.Run(2, 2, _ => { }));
        var options = new ParallelOptions { MaxDegreeOfParallelism = 2 };
        double parallelFor = Median(() => Parallel.For(0, 2, options, _ => { }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"empty 2-chunk job: WorkerPool {pool:F2} us, Parallel.For {parallelFor:F2} us"));
        Console.WriteLine("n         1 thread (us)   2 threads (us)   speed-up");
        for (int n = 8 * 1024; n <= 1024 * 1024; n *= 2)
        {
            var x = new float[n];
            var y = new float[n];
            var z = new float[n];
            Array.Fill(x, 1f);
            Array.Fill(y, 2f);
            double one = Median(() => TensorPrimitives.Add(x, y, z));
            int half = n / 2;
            double two = Median(() => WorkerPool.Run(2, 2, i =>
            {
                int start = i * half;
                TensorPrimitives.Add(x.AsSpan(start, half), y.AsSpan(start, half), z.AsSpan(start, half));
            }));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,-9} {one,12:F2} {two,16:F2} {one / two,10:F2}"));
        }
        return 0;
    }

    /// <summary>The median over 15 runs of the mean time of one call (in microseconds), each run about 2 ms of calls.</summary>
    private static double Median(Action op)
    {
        for (int i = 0; i < 200; i++) op();
        long t0 = Stopwatch.GetTimestamp();
        op();
        double once = Math.Max(1e-7, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        int calls = (int)Math.Clamp(2e-3 / once, 10, 100_000);
        var runs = new double[15];
        for (int r = 0; r < runs.Length; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) op();
            runs[r] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
        }
        Array.Sort(runs);
        return runs[runs.Length / 2];
    }
}
