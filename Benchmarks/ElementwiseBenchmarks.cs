// Elementwise add and GELU on 1M float32 elements through the tensor API, against a plain scalar loop.
using BenchmarkDotNet.Attributes;
using DotGrad;

namespace DotGrad.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class ElementwiseBenchmarks
{
    private const int N = 1 << 20;
    private Tensor _a = null!, _b = null!;
    private float[] _x = null!, _y = null!, _z = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        _a = Tensor.Randn([N], g);
        _b = Tensor.Randn([N], g);
        _x = _a.ToArray<float>();
        _y = _b.ToArray<float>();
        _z = new float[N];
    }

    [Benchmark(Baseline = true, Description = "add: scalar loop")]
    public void AddScalarLoop()
    {
        for (int i = 0; i < N; i++) _z[i] = _x[i] + _y[i];
    }

    [Benchmark(Description = "add: Tensor (Cpu)")]
    public void AddTensor()
    {
        using var c = _a + _b;
    }

    [Benchmark(Description = "gelu: scalar loop (erf)")]
    public void GeluScalarLoop()
    {
        for (int i = 0; i < N; i++) _z[i] = 0.5f * _x[i] * (1f + Backends.SpecialFunctions.Erf(_x[i] * 0.70710678f));
    }

    [Benchmark(Description = "gelu: Tensor (Cpu, exact)")]
    public void GeluTensor()
    {
        using var c = _a.Gelu();
    }

    [Benchmark(Description = "gelu: Tensor (Cpu, tanh)")]
    public void GeluTanhTensor()
    {
        using var c = _a.Gelu("tanh");
    }
}
