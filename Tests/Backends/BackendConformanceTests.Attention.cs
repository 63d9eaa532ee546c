// Conformance of the fused attention kernels (forward and backward) against the Reference backend, which runs their
// composite: odd sizes, Tq != Tk, D != Dv, sequences longer than the CPU kernel's query block, the strided
// head-interleaved views that multi-head attention produces, general strided layouts and empty operands.
using DotGrad.Backends;
using DotGrad.Backends.Cpu;

namespace DotGrad.Tests.Backends;

public sealed partial class BackendConformanceTests
{
    /// <summary>Batch B, heads H, Tq, Tk, D, Dv.</summary>
    private static readonly (int B, int H, int Tq, int Tk, int D, int Dv)[] AttentionSizes =
    [
        (1, 1, 1, 1, 1, 1), (2, 3, 7, 7, 5, 3), (1, 2, 5, 9, 4, 4), (2, 1, 9, 5, 3, 6), (1, 2, 7, 1, 2, 2),
        (1, 1, CpuBackend.AttentionBlock * 2 + 3, CpuBackend.AttentionBlock * 2 + 3, 8, 4), // three query blocks
        (1, 2, CpuBackend.AttentionBlock + 6, 11, 3, 5),
    ];

    /// <summary>Sums over Tk and Tq in float on the backends, in double on the reference.</summary>
    private static Tol AttentionTol(DType dtype) => dtype == DType.Float32 ? new Tol(1e-4, 2e-5) : new Tol(1e-11, 1e-12);

    /// <summary>
    /// [B, H, T, C] as multi-head attention sees it: a [B, T, H, C] buffer (heads side by side in a row) seen with
    /// the head and time dims swapped, so the rows of one head are H * C apart.
    /// </summary>
    private static HostTensor HeadsView(DType dtype, int B, int H, int T, int C, Func<double> value)
    {
        var storage = new double[B * T * H * C];
        for (int i = 0; i < storage.Length; i++) storage[i] = value();
        return HostTensor.FromStorage(dtype, storage, [B, H, T, C], [T * H * C, C, H * C, 1], 0);
    }

    /// <summary>Operand in the given layout: "contiguous", "heads" (interleaved), or a general <see cref="Layout"/>.</summary>
    private static HostTensor AttentionOperand(DType dtype, int B, int H, int T, int C, string layout, Func<double> value) => layout switch
    {
        "heads" => HeadsView(dtype, B, H, T, C, value),
        "transposed" => HostTensor.Make(dtype, [B, H, T, C], Layout.Transposed, value),
        "sliced" => HostTensor.Make(dtype, [B, H, T, C], Layout.Sliced, value),
        _ => HostTensor.Make(dtype, [B, H, T, C], Layout.Contiguous, value),
    };

    private static readonly string[] AttentionLayouts = ["contiguous", "heads", "transposed", "sliced"];

    /// <summary>Forward on [q, k, v, o, lse]; returns the reference's o and lse storages (for the backward's operands).</summary>
    private (double[] O, double[] Lse) CheckAttention(HostTensor q, HostTensor k, HostTensor v, HostTensor o, HostTensor lse, double scale, bool causal, string what)
    {
        Action<IBackend, Strided[]> op = (be, x) => CompositeKernels.For(be).Attention(x[0], x[1], x[2], x[3], x[4], scale, causal);
        HostTensor[] operands = [q, k, v, o, lse];
        Conformance.Check(backend, $"attention {what}", AttentionTol(q.DType), operands, op, 3, 4);
        var expected = Conformance.Apply(global::DotGrad.Backends.Reference.ReferenceBackend.Instance, operands, op, out _);
        return (expected[3], expected[4]);
    }

    [Test]
    public void Attention_MatchesReference_OnOddSizesLayoutsAndBothMasks()
    {
        var rng = new Random(91);
        foreach (var dtype in FloatTypes)
            foreach (var (B, H, Tq, Tk, D, Dv) in AttentionSizes)
                foreach (var layout in AttentionLayouts)
                    foreach (bool causal in new[] { false, true })
                    {
                        var value = Uniform(rng, -1.5, 1.5, dtype);
                        var q = AttentionOperand(dtype, B, H, Tq, D, layout, value);
                        var k = AttentionOperand(dtype, B, H, Tk, D, layout, value);
                        var v = AttentionOperand(dtype, B, H, Tk, Dv, layout, value);
                        var o = layout == "heads" ? HeadsView(dtype, B, H, Tq, Dv, () => -7.25) : Output(dtype, [B, H, Tq, Dv], layout == "sliced" ? Layout.Sliced : Layout.Contiguous);
                        var lse = Output(dtype, [B, H, Tq], layout == "sliced" ? Layout.Sliced : Layout.Contiguous);
                        double scale = 1 / Math.Sqrt(D);
                        string what = $"{dtype} B{B} H{H} Tq{Tq} Tk{Tk} D{D} Dv{Dv} {layout} causal={causal}";
                        var (oValues, lseValues) = CheckAttention(q, k, v, o, lse, scale, causal, what);

                        // The backward from the reference's o and lse, with dq, dk, dv in the inputs' layouts.
                        var dO = AttentionOperand(dtype, B, H, Tq, Dv, layout, value);
                        var oSaved = HostTensor.FromStorage(dtype, oValues, o.Shape, o.Strides, o.Offset);
                        var lseSaved = HostTensor.FromStorage(dtype, lseValues, lse.Shape, lse.Strides, lse.Offset);
                        var dq = layout == "heads" ? HeadsView(dtype, B, H, Tq, D, () => -7.25) : Output(dtype, [B, H, Tq, D], layout == "sliced" ? Layout.Sliced : Layout.Contiguous);
                        var dk = layout == "heads" ? HeadsView(dtype, B, H, Tk, D, () => -7.25) : Output(dtype, [B, H, Tk, D], layout == "sliced" ? Layout.Sliced : Layout.Contiguous);
                        var dv = layout == "heads" ? HeadsView(dtype, B, H, Tk, Dv, () => -7.25) : Output(dtype, [B, H, Tk, Dv], layout == "sliced" ? Layout.Sliced : Layout.Contiguous);
                        Conformance.Check(backend, $"attention_backward {what}", AttentionTol(dtype), [dO, q, k, v, oSaved, lseSaved, dq, dk, dv],
                            (be, x) => CompositeKernels.For(be).AttentionBackward(x[0], x[1], x[2], x[3], x[4], x[5], scale, causal, x[6], x[7], x[8]), 6, 7, 8);
                    }
    }

    [Test]
    public void Attention_WithoutBatchDims_MatchesReference()
    {
        // q [Tq, D] alone: one item.
        var rng = new Random(92);
        foreach (var dtype in FloatTypes)
            foreach (bool causal in new[] { false, true })
            {
                var value = Uniform(rng, -1, 1, dtype);
                var q = HostTensor.Make(dtype, [6, 3], Layout.Contiguous, value);
                var k = HostTensor.Make(dtype, [4, 3], Layout.Transposed, value);
                var v = HostTensor.Make(dtype, [4, 5], Layout.Contiguous, value);
                CheckAttention(q, k, v, Output(dtype, [6, 5]), Output(dtype, [6]), 0.4, causal, $"{dtype} [6, 3] causal={causal}");
            }
    }

    [Test]
    public void Attention_WithEmptyOperands_MatchesReference()
    {
        // No items or no queries: nothing is written. No keys: o is 0 and lse is -inf (an empty softmax and matmul),
        // and the backward's gradients are all 0.
        var rng = new Random(93);
        foreach (var dtype in FloatTypes)
            foreach (var (B, Tq, Tk) in new[] { (0, 3, 3), (2, 0, 3), (2, 3, 0) })
                foreach (bool causal in new[] { false, true })
                {
                    var value = Uniform(rng, -1, 1, dtype);
                    var q = HostTensor.Make(dtype, [B, Tq, 2], Layout.Contiguous, value);
                    var k = HostTensor.Make(dtype, [B, Tk, 2], Layout.Contiguous, value);
                    var v = HostTensor.Make(dtype, [B, Tk, 3], Layout.Contiguous, value);
                    string what = $"{dtype} B{B} Tq{Tq} Tk{Tk} causal={causal}";
                    var (o, lse) = CheckAttention(q, k, v, Output(dtype, [B, Tq, 3]), Output(dtype, [B, Tq]), 0.5, causal, what);
                    if (B > 0 && Tq > 0 && Tk == 0)
                    {
                        Assert.That(o, Is.All.EqualTo(0.0), $"{what}: no keys give o = 0");
                        Assert.That(lse, Is.All.EqualTo(double.NegativeInfinity), $"{what}: no keys give lse = -inf");
                    }
                    var dO = HostTensor.Make(dtype, [B, Tq, 3], Layout.Contiguous, value);
                    HostTensor[] operands = [dO, q, k, v, HostTensor.FromStorage(dtype, o, [B, Tq, 3], ShapeMath.ContiguousStrides([B, Tq, 3]), 0),
                                             HostTensor.FromStorage(dtype, lse, [B, Tq], ShapeMath.ContiguousStrides([B, Tq]), 0),
                                             Output(dtype, [B, Tq, 2]), Output(dtype, [B, Tk, 2]), Output(dtype, [B, Tk, 3])];
                    Action<IBackend, Strided[]> backward = (be, x) => CompositeKernels.For(be).AttentionBackward(x[0], x[1], x[2], x[3], x[4], x[5], 0.5, causal, x[6], x[7], x[8]);
                    Conformance.Check(backend, $"attention_backward {what}", AttentionTol(dtype), operands, backward, 6, 7, 8);
                    var grads = Conformance.Apply(backend, operands, backward, out _);
                    Assert.That(grads[6].Concat(grads[7]).Concat(grads[8]), Is.All.EqualTo(0.0), $"{what}: every gradient is 0");
                }
    }
}
