// CPU-backend specifics the conformance suite cannot see: results must not depend on the thread count, and the
// threading knob is validated.
using DotGrad.Backends;
using DotGrad.Backends.Cpu;

namespace DotGrad.Tests.Backends;

[NonParallelizable] // changes CpuBackend.MaxThreads, a process-wide setting
public sealed class CpuBackendTests
{
    private static double[][] RunWithThreads(int threads, HostTensor[] operands, Action<IBackend, Strided[]> op)
    {
        int saved = CpuBackend.MaxThreads;
        try
        {
            CpuBackend.MaxThreads = threads;
            return Conformance.Apply(CpuBackend.Instance, operands, op, out _);
        }
        finally
        {
            CpuBackend.MaxThreads = saved;
        }
    }

    private static void AssertSameForThreadCounts(string what, HostTensor[] operands, Action<IBackend, Strided[]> op)
    {
        var single = RunWithThreads(1, operands, op);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var multi = RunWithThreads(threads, operands, op);
            for (int k = 0; k < operands.Length; k++)
                Conformance.AssertClose(single[k], multi[k], Tol.Exact, $"{what} with {threads} threads vs 1, operand {k}");
        }
    }

    [Test]
    public void LargeKernels_GiveBitIdenticalResults_ForAnyThreadCount()
    {
        var rng = new Random(101);
        Func<double> u = () => rng.NextDouble() * 2 - 1;
        var x = HostTensor.Make(DType.Float32, [300, 400], Layout.Contiguous, u);
        var xt = HostTensor.Make(DType.Float32, [300, 400], Layout.Transposed, u);
        var y = HostTensor.Make(DType.Float32, [300, 400], Layout.Contiguous, () => 0);
        var col = HostTensor.Make(DType.Float32, [300, 1], Layout.Contiguous, () => 0);
        var row = HostTensor.Make(DType.Float32, [1, 400], Layout.Contiguous, () => 0);
        var one = HostTensor.Make(DType.Float32, [1, 1], Layout.Contiguous, () => 0);
        AssertSameForThreadCounts("tanh", [x, y], (b, v) => b.Unary<TanhOp>(v[0], v[1]));
        AssertSameForThreadCounts("add transposed", [x, xt, y], (b, v) => b.Binary<AddOp>(v[0], v[1], v[2]));
        AssertSameForThreadCounts("copy to bfloat16", [x, HostTensor.Make(DType.BFloat16, [300, 400], Layout.Transposed, () => 0)], (b, v) => b.Copy(v[0], v[1]));
        AssertSameForThreadCounts("sum rows", [x, col], (b, v) => b.Reduce<SumOp>(v[0], v[1], [1]));
        AssertSameForThreadCounts("sum columns", [x, row], (b, v) => b.Reduce<SumOp>(v[0], v[1], [0]));
        AssertSameForThreadCounts("sum transposed columns", [xt, row], (b, v) => b.Reduce<SumOp>(v[0], v[1], [0]));
        AssertSameForThreadCounts("sum all", [x, one], (b, v) => b.Reduce<SumOp>(v[0], v[1], [0, 1]));
        AssertSameForThreadCounts("log_softmax", [x, y], (b, v) => CompositeKernels.For(b).Softmax(v[0], v[1], 1, log: true));
        AssertSameForThreadCounts("argmax", [x, col, HostTensor.Make(DType.Int64, [300, 1], Layout.Contiguous, () => 0)], (b, v) => b.ArgReduce(v[0], v[1], v[2], 1, max: true));
        AssertSameForThreadCounts("randn", [y], (b, v) => b.FillRandom(v[0], RandomKind.Normal, 0, 1, 7, 0));
    }

    [Test]
    public void MaxThreads_RejectsValuesBelowOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuBackend.MaxThreads = 0);
        Assert.That(CpuBackend.MaxThreads, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void Backend_ReportsCpuDeviceAndAllocatesHostStorage()
    {
        var s = CpuBackend.Instance.Allocate(DType.Float32, 10, zero: true);
        Assert.That(s, Is.TypeOf<HostStorage>());
        Assert.That(s.Device, Is.EqualTo(Device.Cpu));
        Assert.That(((HostStorage)s).AsSpan<float>().ToArray(), Is.All.EqualTo(0f));
        s.Release();
    }
}
