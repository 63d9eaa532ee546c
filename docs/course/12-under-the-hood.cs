// Lesson 12: one matrix multiply, from the triple loop to the library's packed SIMD kernel and an OpenCL kernel,
// measured in GFLOP/s on the machine that runs it.
// Run it from the repository root: dotnet run --file docs/course/12-under-the-hood.cs (under a minute)
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
#:property Optimize=true
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Backends.Cpu;
using DotGrad.Backends.OpenCL;
using DotGrad.Course;
using ScottPlot;

Console.WriteLine($"CPU: {CpuName()}, {Environment.ProcessorCount} threads, Vector<float> {Vector<float>.Count} lanes, " +
                  $"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}");

// region: naive
// C = A B for n x n matrices stored row by row: C[i, j] = sum over k of A[i, k] B[k, j]. The inner loop walks down
// a column of B, n floats apart: every step touches a new cache line.
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
static void Naive(float[] a, float[] b, float[] c, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            float sum = 0;
            for (int k = 0; k < n; k++) sum += a[i * n + k] * b[k * n + j];
            c[i * n + j] = sum;
        }
}
// endregion

// region: reordered
// The same sums with the loops in the order i, k, j: the inner loop now runs along a row of B and a row of C, one
// float after the next, so each cache line brought in is used 16 times.
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
static void Reordered(float[] a, float[] b, float[] c, int n)
{
    Array.Clear(c);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
        {
            float aik = a[i * n + k];
            for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
}
// endregion

// region: simd
// Rows of B and C are contiguous, so the inner loop can take Vector<float>.Count of them at once: one multiply-add
// instruction does 8 (AVX2) or 16 (AVX-512) of the scalar loop's steps.
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
static void Simd(float[] a, float[] b, float[] c, int n)
{
    Array.Clear(c);
    int W = Vector<float>.Count;
    for (int i = 0; i < n; i++)
    {
        var cRow = c.AsSpan(i * n, n);
        for (int k = 0; k < n; k++)
        {
            var aik = new Vector<float>(a[i * n + k]);                 // a[i, k] in every lane
            var bRow = b.AsSpan(k * n, n);
            int j = 0;
            for (; j <= n - W; j += W)
                (new Vector<float>(cRow[j..]) + aik * new Vector<float>(bRow[j..])).CopyTo(cRow[j..]);
            for (; j < n; j++) cRow[j] += a[i * n + k] * bRow[j];     // the last n mod W columns
        }
    }
}
// endregion

// region: measure
// The best of several timed runs (the fastest is the one least disturbed by the rest of the machine), after one
// untimed run that compiles and warms the caches. A product of two n x n matrices is 2 n^3 floating-point operations.
static double GflopsOf(Action run, int n, double budgetSeconds)
{
    run();
    double best = double.MaxValue, spent = 0;
    for (int rep = 0; rep < 20 && (rep < 3 || spent < budgetSeconds); rep++)
    {
        var clock = Stopwatch.StartNew();
        run();
        double t = clock.Elapsed.TotalSeconds;
        best = Math.Min(best, t);
        spent += t;
        if (spent > 3 * budgetSeconds) break;                             // a slow variant at a large size: enough
    }
    return 2.0 * n * n * n / best / 1e9;
}
// endregion

int[] sizes = Lesson.Quick ? [16, 32, 48, 64, 96] : [64, 128, 256, 512, 1024];
double budget = Lesson.Quick ? 0.01 : 0.3;
string[] names = ["naive i-j-k", "i-k-j", "i-k-j SIMD", "DotGrad, 1 thread", "DotGrad, all threads"];
var gflops = new double[names.Length][];
for (int v = 0; v < names.Length; v++) gflops[v] = new double[sizes.Length];
double worst = 0;

Console.WriteLine();
Console.WriteLine("GFLOP/s of C = A B, float32, A and B n x n:");
for (int s = 0; s < sizes.Length; s++)
{
    int n = sizes[s];
    var A = Tensor.Randn([n, n], new Generator(1));                       // [n, n]
    var B = Tensor.Randn([n, n], new Generator(2));                       // [n, n]
    float[] a = A.ToArray<float>(), b = B.ToArray<float>(), c = new float[n * n];
    float[] expected = A.MatMul(B).ToArray<float>();                      // [n, n], the library's answer

    // region: library
    // The library's GEMM through its public API: x.MatMul(y) on the CPU, with its thread count set to 1 and then
    // back to every core.
    CpuBackend.MaxThreads = 1;
    gflops[3][s] = GflopsOf(() => A.MatMul(B).Dispose(), n, budget);
    CpuBackend.MaxThreads = Environment.ProcessorCount;
    gflops[4][s] = GflopsOf(() => A.MatMul(B).Dispose(), n, budget);
    // endregion

    Action<float[], float[], float[], int>[] loops = [Naive, Reordered, Simd];
    for (int v = 0; v < loops.Length; v++)
    {
        var loop = loops[v];
        gflops[v][s] = GflopsOf(() => loop(a, b, c, n), n, budget);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < c.Length; i++) worst = Math.Max(worst, Math.Abs(c[i] - expected[i]) / scale);
    }
    Console.WriteLine($"n = {n}: naive {gflops[0][s]:F1}, i-k-j {gflops[1][s]:F1}, i-k-j SIMD {gflops[2][s]:F1}, " +
                      $"DotGrad {gflops[3][s]:F1} on 1 thread and {gflops[4][s]:F1} on {Environment.ProcessorCount}");
    A.Dispose();
    B.Dispose();
}
Console.WriteLine($"the loops agree with DotGrad's result to {worst:0.0e+00} of the largest entry");

// region: kernel
// The OpenCL kernel the library runs for small products (and tests its tiled kernel against), read from its file.
var source = File.ReadAllText(Path.Combine(Lesson.Root, "Backends", "OpenCL", "Kernels", "matmul.cl"));
int from = source.IndexOf("__kernel void matmul_naive", StringComparison.Ordinal);
int to = source.IndexOf("#endif", from, StringComparison.Ordinal);
// endregion
Console.WriteLine();
Console.WriteLine("Backends/OpenCL/Kernels/matmul.cl, matmul_naive:");
Console.Write(source[from..to].Replace("\r\n", "\n"));

// region: opencl
// The same product on the first OpenCL device. Kernels are queued, so a timed run ends by waiting for the queue.
var opencl = new double[sizes.Length];
bool haveOpenCL = OpenCLRuntime.IsAvailable && OpenCLRuntime.Devices.Count > 0;
if (haveOpenCL)
{
    var device = Device.OpenCL(0);
    var queue = Backend.For(device);
    for (int s = 0; s < sizes.Length; s++)
    {
        int n = sizes[s];
        using var A = Tensor.Randn([n, n], new Generator(1), DType.Float32, device);   // [n, n], on the device
        using var B = Tensor.Randn([n, n], new Generator(2), DType.Float32, device);   // [n, n]
        opencl[s] = GflopsOf(() => { A.MatMul(B).Dispose(); queue.Synchronize(); }, n, budget);
    }
}
// endregion
Console.WriteLine();
Console.WriteLine(haveOpenCL ? $"OpenCL device 0: {OpenCLRuntime.Devices[0].Name} ({OpenCLRuntime.Devices[0].Platform})"
                             : $"OpenCL: no device ({OpenCLRuntime.UnavailableReason ?? "no OpenCL device found"})");
for (int s = 0; s < sizes.Length; s++)
    Console.WriteLine(haveOpenCL ? $"n = {sizes[s]}: {opencl[s]:F1} GFLOP/s ({(sizes[s] < 64 ? "matmul_naive" : "matmul_tiled")})"
                                 : $"n = {sizes[s]}: no OpenCL device");

Console.WriteLine();
Console.WriteLine("figure: " + DrawGflops("12-gemm-gflops.png", sizes, names, gflops, haveOpenCL ? opencl : null));

static string CpuName()
{
    if (File.Exists("/proc/cpuinfo"))
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
    return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
}

// GFLOP/s against n, both on log scales, one line per variant.
static string DrawGflops(string file, int[] sizes, string[] names, double[][] gflops, double[]? opencl)
{
    var plot = new Plot();
    double[] x = sizes.Select(n => Math.Log2(n)).ToArray();
    var curves = names.Zip(gflops).ToList();
    if (opencl is not null) curves.Add(("OpenCL device 0", opencl));
    foreach (var (name, values) in curves)
    {
        var line = plot.Add.Scatter(x, values.Select(Math.Log10).ToArray());
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = 7;
    }
    plot.Axes.Bottom.SetTicks(x, sizes.Select(n => n.ToString()).ToArray());
    var ticks = new ScottPlot.TickGenerators.NumericAutomatic
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = y => Math.Pow(10, y).ToString("G4"),
    };
    plot.Axes.Left.TickGenerator = ticks;
    plot.Title("Matrix multiply C = A B, float32, n x n");
    plot.XLabel("n");
    plot.YLabel("GFLOP/s (log scale)");
    plot.ShowLegend(Edge.Right);
    return Draw.Save(plot, file, 960, 520);
}
