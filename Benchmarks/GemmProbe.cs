// A plain timed loop over the GEMM shapes the reference steps run (single thread), for quick looks while tuning the
// kernels: GFLOP/s and the share of the FMA peak per shape. The README's figures come from the BenchmarkDotNet suites.
//
//   dotnet run -c Release --project Benchmarks -- gemm [--threads N] [--pack] [--batch N] [m,n,k[,ta][,tb] ...]
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
        int batch = 1;
        var shapes = new List<Shape>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads" && i + 1 < args.Length) threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--pack") pack = true;
            else if (args[i] == "--batch" && i + 1 < args.Length) batch = int.Parse(args[++i], CultureInfo.InvariantCulture);
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
            // --batch N: N products on distinct operands, one after another (as a batched matmul runs them on one thread).
            long sa = (long)s.M * s.K, sb = (long)s.K * s.N, sc = (long)s.M * s.N;
            float* pa = Aligned(sa * batch), pb = Aligned(sb * batch), pc = Aligned(sc * batch);
            double flop = 2.0 * s.M * s.N * s.K * batch;
            int reps = (int)Math.Clamp(2e8 / flop, 1, 100000);
            double best = double.MaxValue;
            {
                int ars = s.Ta ? 1 : s.K, acs = s.Ta ? s.M : 1, brs = s.Tb ? 1 : s.N, bcs = s.Tb ? s.K : 1;
                for (int round = 0; round < 7; round++)
                {
                    var sw = Stopwatch.StartNew();
                    for (int r = 0; r < reps; r++)
                        for (int item = 0; item < batch; item++)
                            Gemm.Multiply(s.M, s.N, s.K, pa + item * sa, ars, acs, pb + item * sb, brs, bcs, pc + item * sc, s.N, false, threads, GemmPath.Auto, null, pack);
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

/// <summary>
/// A plain timed loop over the fused attention kernels at one shape (heads interleaved in the rows, as the models'
/// q/k/v views are), forward and backward on one thread:
/// <c>dotnet run -c Release --project Benchmarks -- attention B H T D [--causal]</c> (the ViT step's is 128 4 50 16).
/// </summary>
internal static class AttentionProbe
{
    public static int Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: attention B H T D [--causal] [--long]");
            return 2;
        }
        int B = int.Parse(args[0], CultureInfo.InvariantCulture), H = int.Parse(args[1], CultureInfo.InvariantCulture);
        int T = int.Parse(args[2], CultureInfo.InvariantCulture), D = int.Parse(args[3], CultureInfo.InvariantCulture);
        bool causal = args.Contains("--causal");
        int rounds = args.Contains("--long") ? 300 : 15;   // --long: enough rounds for a sampling profiler
        CpuBackend.MaxThreads = 1;
        var g = new Generator(1);
        // [B, T, 3, H, D] split into q, k, v [B, H, T, D] views, as a qkv projection is.
        using var qkv = Tensor.Randn([B, T, 3, H, D], g);
        Tensor q = qkv[.., .., 0].Permute(0, 2, 1, 3), k = qkv[.., .., 1].Permute(0, 2, 1, 3), v = qkv[.., .., 2].Permute(0, 2, 1, 3);
        using var dO = Tensor.Randn([B, H, T, D], g);
        double scale = 1 / Math.Sqrt(D);
        double flopF = 4.0 * B * H * T * T * D * (causal ? 0.5 : 1), flopB = 2.5 * flopF;
        double fwd = double.MaxValue, bwd = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            var sw = Stopwatch.StartNew();
            var (o, lse) = RawOps.Attention(q, k, v, scale, causal);
            fwd = Math.Min(fwd, sw.Elapsed.TotalSeconds);
            sw.Restart();
            var (dq, dk, dv) = RawOps.AttentionBackward(dO, q, k, v, o, lse, scale, causal);
            bwd = Math.Min(bwd, sw.Elapsed.TotalSeconds);
            o.Dispose(); lse.Dispose(); dq.Dispose(); dk.Dispose(); dv.Dispose();
        }
        double peak = FmaPeak.CachedGflops(1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"attention [{B}, {H}, {T}, {D}]{(causal ? " causal" : "")}: forward {fwd * 1e3:F2} ms ({flopF / fwd / 1e9:F1} GFLOP/s, {100 * flopF / fwd / 1e9 / peak:F0}%), " +
            $"backward {bwd * 1e3:F2} ms ({flopB / bwd / 1e9:F1} GFLOP/s, {100 * flopB / bwd / 1e9 / peak:F0}%) of the {peak:F0} GFLOP/s FMA peak"));
        return 0;
    }
}

/// <summary>
/// The AVX-512 microkernel alone, its operands in L1: one 12 x 32 float tile at depths 16, 64 and 256, from packed
/// panels and with A read in place at several row strides. <c>dotnet run -c Release --project Benchmarks -- kernel</c>.
/// </summary>
internal static unsafe class KernelProbe
{
    public static int Run()
    {
        const int kc = 256;
        var a = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(12 * 1040 * 4, 64);
        var b = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(32 * kc * 4, 64);
        var c = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(12 * 32 * 4, 64);
        for (int i = 0; i < 12 * 1040; i++) a[i] = 0.001f;
        for (int i = 0; i < 32 * kc; i++) b[i] = 0.001f;
        foreach (int k in new[] { 16, 64, 256 })
        {
            for (int variant = 0; variant < 5; variant++)
            {
                double best = double.MaxValue;
                int reps = 2_000_000 / k;
                for (int round = 0; round < 5; round++)
                {
                    var sw = Stopwatch.StartNew();
                    for (int r = 0; r < reps; r++)
                    {
                        if (variant == 0) GemmKernel512<float>.Run(k, a, b, c, 32, true);
                        else GemmKernel512<float>.RunStrided(k, a, Lda(variant), 1, b, 32, c, 32, true, null);
                    }
                    best = Math.Min(best, sw.Elapsed.TotalSeconds);
                }
                double gf = 2.0 * 12 * 32 * k * reps / best / 1e9;
                Console.WriteLine($"kc {k,3} {(variant == 0 ? "packed A and B" : $"A in place, lda {Lda(variant)}"),-24} {gf:F1} GFLOP/s {100 * gf / FmaPeak.CachedGflops(1):F0}%");
            }
        }
        return 0;
    }

    // Rows 1 KiB apart, a little more, 4 KiB apart (every row in one L1 set: the case the driver avoids past 512 columns), a little more.
    private static int Lda(int variant) => variant switch { 1 => 256, 2 => 272, 3 => 1024, _ => 1040 };
}
