// Fused kernels are optional: a backend that hides them (a wrapper exposing only the IBackend primitives) trains a
// GPT to the same losses, because the composites of CompositeKernels run in their place.
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Backends.Cpu;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Backends;

[NonParallelizable] // swaps the backend of Device.Cpu for the duration of one test
public class FusedKernelFallbackTests
{
    /// <summary>The CPU backend with its fused kernels hidden: every primitive forwarded, <see cref="IFusedKernels"/> not implemented.</summary>
    private sealed class WithoutFusedKernels(IBackend inner) : IBackend
    {
        public int MaxReductions;

        public Device Device => inner.Device;
        public MemoryStats Memory => inner.Memory;
        public void ResetPeakMemoryStats() => inner.ResetPeakMemoryStats();
        public void Synchronize() => inner.Synchronize();
        public Storage Allocate(DType dtype, int length, bool zero = false) => inner.Allocate(dtype, length, zero);
        public void Write(Storage destination, ReadOnlySpan<byte> source) => inner.Write(destination, source);
        public void Read(Storage source, Span<byte> destination) => inner.Read(source, destination);
        public void Fill(Strided y, double value) => inner.Fill(y, value);
        public void Copy(Strided x, Strided y) => inner.Copy(x, y);
        public void Unary<TOp>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp> => inner.Unary<TOp>(x, y);
        public void Binary<TOp>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp> => inner.Binary<TOp>(a, b, y);
        public void Compare<TOp>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp> => inner.Compare<TOp>(a, b, y);
        public void Where(Strided cond, Strided a, Strided b, Strided y) => inner.Where(cond, a, b, y);

        public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp>
        {
            if (typeof(TOp) == typeof(MaxOp)) MaxReductions++; // the composite softmax starts with one
            inner.Reduce<TOp>(x, y, axes);
        }

        public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max) => inner.ArgReduce(x, values, indices, axis, max);
        public void CumSum(Strided x, Strided y, int axis, bool reverse) => inner.CumSum(x, y, axis, reverse);
        public void Sort(Strided x, Strided values, Strided indices, int axis, bool descending) => inner.Sort(x, values, indices, axis, descending);
        public void MatMul(Strided a, Strided b, Strided c) => inner.MatMul(a, b, c);
        public void IndexSelect(Strided x, int axis, Strided index, Strided y) => inner.IndexSelect(x, axis, index, y);
        public void Gather(Strided x, int axis, Strided index, Strided y) => inner.Gather(x, axis, index, y);
        public void ScatterAdd(Strided y, int axis, Strided index, Strided src) => inner.ScatterAdd(y, axis, index, src);
        public void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset) => inner.FillRandom(y, kind, a, b, seed, offset);
    }

    /// <summary>Three AdamW steps of a small GPT on fixed tokens (Float64, so the two paths can be held to a tight tolerance).</summary>
    private static double[] TrainGpt()
    {
        using var scope = Tensor.NewDisposeScope();
        var g = new Generator(7);
        var model = new Gpt(new GptConfig(VocabSize: 11, ContextLength: 8, Width: 16, Depth: 2, Heads: 2), g, DType.Float64);
        var opt = new AdamW(model.Parameters(), new AdamOptions { Lr = 1e-2 });
        var tokens = Tensor.Randint(0, 11, [3, 8], g);
        var targets = Tensor.Randint(0, 11, [3, 8], g);
        var losses = new double[3];
        for (int step = 0; step < losses.Length; step++)
        {
            opt.ZeroGrad();
            var logits = model.Call(tokens);                                                   // [B, T, V]
            var loss = Functional.CrossEntropy(logits.Reshape(-1, 11), targets.Reshape(-1));
            loss.Backward();
            opt.Step();
            losses[step] = loss.Item();
        }
        return losses;
    }

    [Test]
    public void TheCpuBackend_HasFusedKernels_AndTheReferenceBackend_HasNone()
    {
        Assert.That(CpuBackend.Instance, Is.InstanceOf<IFusedKernels>());
        Assert.That(Backend.For(Device.Reference), Is.Not.InstanceOf<IFusedKernels>(), "the oracle stays composite-only");
        Assert.That(CompositeKernels.For(Backend.For(Device.Reference)), Is.InstanceOf<CompositeKernels>());
        Assert.That(CompositeKernels.For(CpuBackend.Instance), Is.SameAs(CpuBackend.Instance));
    }

    [Test]
    public void Gpt_TrainedOnABackendWithoutFusedKernels_GetsTheSameLosses()
    {
        var fused = TrainGpt();
        var hidden = new WithoutFusedKernels(CpuBackend.Instance);
        double[] composite;
        Backend.Register(DeviceKind.Cpu, _ => hidden);
        try
        {
            Assert.That(CompositeKernels.For(Backend.For(Device.Cpu)), Is.InstanceOf<CompositeKernels>());
            composite = TrainGpt();
        }
        finally
        {
            Backend.Register(DeviceKind.Cpu, _ => CpuBackend.Instance);
        }
        Assert.That(hidden.MaxReductions, Is.GreaterThan(0), "the composite softmax ran on the wrapper");
        Assert.That(fused[^1], Is.LessThan(fused[0]), "the model learns");
        for (int i = 0; i < fused.Length; i++)
            Assert.That(composite[i], Is.EqualTo(fused[i]).Within(1e-10).Percent, $"loss at step {i}");
    }
}
