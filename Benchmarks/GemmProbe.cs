// A plain timed loop over the GEMM shapes the reference steps run (single thread), for quick looks while tuning the
// kernels: GFLOP/s and the share of the FMA peak per shape. The README's figures come from the BenchmarkDotNet suites.
//
//   dotnet run -c Release --project Benchmarks -- gemm [--threads N] [--pack] [m,n,k[,ta][,tb] ...]
// (--pack packs both operands where the GEMM would read them in place; ta / tb read A / B transposed.)
using System.Diagnostics;
using System.Globalization;
using DotGrad.Backends.Cpu;

namespace DotGrad.Benchmarks;

internal static unsafe class GemmProbe
{
    /// <summary>A product C [m, n] = A [m, k] B [k, n]; ta / tb read A / B transposed (column-major), as the steps do.</summary>
    private readonly record struct Shape(string Name, int M, int N, int K, bool Ta, bool Tb);

    private static readonly Shape[] Shapes =
    [
        new("square 128", 128, 128, 128, false, false),
        new("square 512", 512, 512, 512, false, false),
        new("vit qkv x W^T", 6400, 192, 64, false, true),
        new("vit fc1 x W^T", 6400, 256, 64, false, true),
        new("vit fc2 x W^T", 6400, 64, 256, false, true),
        new("vit proj x W^T", 6400, 64, 64, false, true),
        new("vit dX = dY W (qkv)", 6400, 64, 192, false, false),
        new("vit dW = dY^T X (qkv)", 192, 64, 6400, true, false),
        new("vit q k^T (50x16)", 50, 50, 16, false, true),
        new("vit P v", 50, 16, 50, false, false),
        new("gpt q k^T (128x32)", 128, 128, 32, false, true),
        new("gpt P v", 128, 32, 128, false, false),
    ];

    public static int Run(string[] args)
    {
        int threads = 1;
        bool pack = false;
        var shapes = new List<Shape>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads" && i + 1 < args.Length) threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--pack") pack = true;
            else
            {
                // m,n,k[,ta][,tb]
                var f = args[i].Split(',');
                shapes.Add(new Shape(args[i], int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                    int.Parse(f[2], CultureInfo.InvariantCulture), f.Contains("ta"), f.Contains("tb")));
            }
        }
        if (shapes.Count == 0) shapes.AddRange(Shapes);
        double peak = FmaPeak.CachedGflops(threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FMA peak {peak:F1} GFLOP/s at {threads} thread(s)"));
        foreach (var s in shapes)
        {
            // 64-byte aligned, as the tensor allocator's buffers are.
            float* pa = Aligned((long)s.M * s.K), pb = Aligned((long)s.K * s.N), pc = Aligned((long)s.M * s.N);
            double flop = 2.0 * s.M * s.N * s.K;
            int reps = (int)Math.Clamp(2e8 / flop, 1, 100000);
            double best = double.MaxValue;
            {
                int ars = s.Ta ? 1 : s.K, acs = s.Ta ? s.M : 1, brs = s.Tb ? 1 : s.N, bcs = s.Tb ? s.K : 1;
                for (int round = 0; round < 7; round++)
                {
                    var sw = Stopwatch.StartNew();
                    for (int r = 0; r < reps; r++)
                        Gemm.Multiply(s.M, s.N, s.K, pa, ars, acs, pb, brs, bcs, pc, s.N, false, threads, GemmPath.Auto, null, pack);
                    best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
                }
            }
            System.Runtime.InteropServices.NativeMemory.AlignedFree(pa);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(pb);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(pc);
            double gflops = flop / best / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Name,-24} {s.M,5}x{s.N,-4}x{s.K,-5} {best * 1e6,10:F1} us {gflops,7:F1} GFLOP/s {100 * gflops / peak,5:F0}%"));
        }
        return 0;
    }

    private static float* Aligned(long count)
    {
        var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
        var rng = new Random(1);
        for (long i = 0; i < count; i++) p[i] = (float)rng.NextDouble();
        return p;
    }
}
