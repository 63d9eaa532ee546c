// Row softmax through the tensor API, against a scalar three-pass loop (max, exp-sum, scale).
using BenchmarkDotNet.Attributes;
using DotGrad;

namespace DotGrad.Benchmarks;

[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class SoftmaxBenchmarks
{
    [Params(64, 1024)]
    public int Cols;

    private const int Elements = 1 << 20;
    private Tensor _x = null!;
    private float[] _data = null!, _out = null!;

    private int Rows => Elements / Cols;

    [GlobalSetup]
    public void Setup()
    {
        _x = Tensor.Randn([Rows, Cols], new Generator(3));
        _data = _x.ToArray<float>();
        _out = new float[Elements];
    }

    [Benchmark(Baseline = true, Description = "softmax rows: scalar loop")]
    public void ScalarLoop()
    {
        for (int r = 0; r < Rows; r++)
        {
            int o = r * Cols;
            float m = float.NegativeInfinity;
            for (int c = 0; c < Cols; c++) m = MathF.Max(m, _data[o + c]);
            float s = 0;
            for (int c = 0; c < Cols; c++) s += _out[o + c] = MathF.Exp(_data[o + c] - m);
            float inv = 1f / s;
            for (int c = 0; c < Cols; c++) _out[o + c] *= inv;
        }
    }

    [Benchmark(Description = "softmax rows: Tensor (Cpu)")]
    public void TensorSoftmax()
    {
        using var y = _x.Softmax(-1);
    }
}
