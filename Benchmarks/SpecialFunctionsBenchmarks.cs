// Float span erf (the SIMD rational used in training) against a scalar loop over the double
// reference (the gradient-check oracle), on 1M elements in [-4, 4].
using BenchmarkDotNet.Attributes;
using DotGrad.Backends;

namespace DotGrad.Benchmarks;

[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class SpecialFunctionsBenchmarks
{
    const int N = 1 << 20;
    float[] xf = [], yf = [];
    double[] xd = [], yd = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        xd = [.. Enumerable.Range(0, N).Select(_ => rng.NextDouble() * 8 - 4)];
        xf = [.. xd.Select(v => (float)v)];
        yf = new float[N];
        yd = new double[N];
    }

    [Benchmark(Baseline = true)]
    public void ErfDoubleScalarLoop() => SpecialFunctions.Erf(xd, yd);

    [Benchmark]
    public void ErfFloatSpan() => SpecialFunctions.Erf(xf, yf);
}
