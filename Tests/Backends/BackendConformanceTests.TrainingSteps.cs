// Conformance of the training-step kernels (activation, softmax and cross-entropy backwards, Adam and SGD updates):
// each backend's kernel against the Reference backend, which runs the composite form (CompositeKernels).
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public sealed partial class BackendConformanceTests
{
    private static readonly ActivationKind[] ActivationKinds = Enum.GetValues<ActivationKind>();
    private static readonly Layout[] StepInputLayouts = [Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter];

    /// <summary>Elementwise with erf and exp in both forms: a few float rounding steps apart, the math the same.</summary>
    private static Tol ActivationTol(DType dtype) => dtype == DType.Float32 ? new Tol(2e-5, 2e-6) : new Tol(1e-13, 1e-13);

    /// <summary>Per-line sums: float sums in a different order than the reference's double ones.</summary>
    private static Tol LineTol(DType dtype) => dtype == DType.Float32 ? new Tol(3e-5, 3e-6) : new Tol(1e-12, 1e-13);

    /// <summary>The optimizer steps round each product and sum as the composite does: a few ulp at most anywhere.</summary>
    private static Tol StepTol(DType dtype) => dtype == DType.Float32 ? new Tol(5e-7, 1e-12) : new Tol(1e-14, 1e-300);

    /// <summary>x for sigmoid and tanh is their output y, in (0, 1) and (-1, 1); the others take inputs on both sides of 0.</summary>
    private static (double Lo, double Hi) ActivationRange(ActivationKind kind) => kind switch
    {
        ActivationKind.Sigmoid => (0.01, 0.99),
        ActivationKind.Tanh => (-0.99, 0.99),
        _ => (-5, 5),
    };

    private void CheckActivationBackward(ActivationKind kind, HostTensor x, HostTensor dy, HostTensor dx, string what) =>
        Conformance.Check(backend, $"activation_backward {kind} {what}: x {x}, dy {dy}, dx {dx}", ActivationTol(x.DType), [x, dy, dx],
            (b, v) => CompositeKernels.For(b).ActivationBackward(kind, v[0], v[1], v[2]), 2);

    [Test]
    public void ActivationBackward_MatchesComposite_AtEveryLengthUpTo70()
    {
        // Lengths past two 512-bit vectors and every tail in between, empty included.
        var rng = new Random(161);
        foreach (var kind in ActivationKinds)
            foreach (var dtype in FloatTypes)
                for (int n = 0; n <= 70; n++)
                {
                    var (lo, hi) = ActivationRange(kind);
                    var x = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, lo, hi, dtype));
                    var dy = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, -2, 2, dtype));
                    CheckActivationBackward(kind, x, dy, Output(dtype, [n]), $"length {n}");
                }
    }

    [Test]
    public void ActivationBackward_MatchesComposite_OnStridedAndBroadcastOperands()
    {
        var rng = new Random(162);
        foreach (var kind in ActivationKinds)
            foreach (var dtype in FloatTypes)
                foreach (var shape in NormShapes)
                    foreach (var layout in StepInputLayouts)
                    {
                        var (lo, hi) = ActivationRange(kind);
                        var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, lo, hi, dtype));
                        var dy = HostTensor.Make(dtype, shape, layout == Layout.BroadcastOuter ? Layout.Contiguous : Layout.Sliced, Uniform(rng, -2, 2, dtype));
                        var dxLayout = layout == Layout.Transposed ? Layout.Transposed : layout == Layout.Sliced ? Layout.Sliced : Layout.Contiguous;
                        CheckActivationBackward(kind, x, dy, Output(dtype, shape, dxLayout), layout.ToString());
                    }
    }

    [Test]
    public void ActivationBackward_MayWriteIntoDy()
    {
        var rng = new Random(163);
        foreach (var kind in ActivationKinds)
            foreach (var dtype in FloatTypes)
            {
                var (lo, hi) = ActivationRange(kind);
                var x = HostTensor.Make(dtype, [3, 37], Layout.Contiguous, Uniform(rng, lo, hi, dtype));
                var dy = HostTensor.Make(dtype, [3, 37], Layout.Contiguous, Uniform(rng, -2, 2, dtype));
                Conformance.Check(backend, $"activation_backward {kind} in place, {dtype}", ActivationTol(dtype), [x, dy],
                    (b, v) => CompositeKernels.For(b).ActivationBackward(kind, v[0], v[1], v[1]), 1);
            }
    }

    [Test]
    public void ActivationBackward_OfGelu_KeepsItsNegativeTailAndSpecials()
    {
        // Far tails (exp underflows), NaN and infinities go through both forms alike; the ReLU select passes an
        // infinite dy only where x > 0.
        foreach (var dtype in FloatTypes)
            foreach (var kind in new[] { ActivationKind.Gelu, ActivationKind.GeluTanh, ActivationKind.Silu, ActivationKind.Relu })
            {
                var x = HostTensor.FromValues(dtype, -30, -12, -6, -3.5, -1e-3, 0, 1e-3, 3.5, 6, 12, 30, double.NaN);
                var dy = HostTensor.FromValues(dtype, 1, -1, 2, 0.5, 1, 1, 1, -1, 1, 2, 1, 1);
                CheckActivationBackward(kind, x, dy, Output(dtype, [12]), "tails");
            }
    }

    private void CheckSoftmaxBackward(HostTensor y, HostTensor dy, HostTensor dx, int axis, bool log, string what) =>
        Conformance.Check(backend, $"{(log ? "log_softmax" : "softmax")}_backward axis {axis} {what}: y {y}, dy {dy}, dx {dx}", LineTol(y.DType), [y, dy, dx],
            (b, v) => CompositeKernels.For(b).SoftmaxBackward(v[0], v[1], v[2], axis, log), 2);

    /// <summary>Softmax outputs lie in (0, 1); log-softmax outputs are negative.</summary>
    private static Func<double> SoftmaxOutput(Random rng, bool log, DType dtype) => log ? Uniform(rng, -6, -0.01, dtype) : Uniform(rng, 0.001, 0.6, dtype);

    [Test]
    public void SoftmaxBackward_MatchesComposite_AtEveryRowLengthUpTo40()
    {
        var rng = new Random(164);
        foreach (var log in new[] { false, true })
            foreach (var dtype in FloatTypes)
                for (int n = 0; n <= 40; n++)
                {
                    var y = HostTensor.Make(dtype, [3, n], Layout.Contiguous, SoftmaxOutput(rng, log, dtype));
                    var dy = HostTensor.Make(dtype, [3, n], Layout.Contiguous, Uniform(rng, -2, 2, dtype));
                    CheckSoftmaxBackward(y, dy, Output(dtype, [3, n]), 1, log, $"row length {n}");
                }
    }

    [Test]
    public void SoftmaxBackward_MatchesComposite_OnEveryAxisAndLayout()
    {
        var rng = new Random(165);
        foreach (var log in new[] { false, true })
            foreach (var dtype in FloatTypes)
                foreach (var shape in NormShapes)
                    for (int axis = 0; axis < shape.Length; axis++)
                        foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                        {
                            var y = HostTensor.Make(dtype, shape, layout, SoftmaxOutput(rng, log, dtype));
                            var dy = HostTensor.Make(dtype, shape, layout == Layout.Contiguous ? Layout.Sliced : Layout.Contiguous, Uniform(rng, -2, 2, dtype));
                            CheckSoftmaxBackward(y, dy, Output(dtype, shape, layout), axis, log, layout.ToString());
                        }
    }

    /// <summary>Int32 labels [M] in [0, C), every fifth set to <paramref name="ignoreIndex"/> when asked.</summary>
    private static HostTensor Labels(Random rng, int M, int C, int? ignoreIndex)
    {
        var values = new double[M];
        for (int i = 0; i < M; i++) values[i] = ignoreIndex is { } ig && i % 5 == 2 ? ig : rng.Next(0, Math.Max(C, 1));
        return HostTensor.FromValues(DType.Int32, values);
    }

    private static readonly (int M, int C)[] CrossEntropyShapes = [(0, 5), (1, 1), (1, 7), (5, 3), (7, 17), (9, 33), (4, 65), (3, 130)];

    [Test]
    public void CrossEntropy_MatchesComposite_WithSmoothingIgnoreIndexAndLayouts()
    {
        var rng = new Random(166);
        foreach (var dtype in FloatTypes)
            foreach (var (M, C) in CrossEntropyShapes)
                foreach (var eps in new[] { 0.0, 0.1 })
                    foreach (var ignore in new[] { -100, 0 })
                        foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                        {
                            var x = HostTensor.Make(dtype, [M, C], layout, Uniform(rng, -8, 8, dtype));
                            var labels = Labels(rng, M, C, ignore);
                            Conformance.Check(backend, $"cross_entropy [{M}, {C}] {layout}, eps {eps}, ignore {ignore}", LineTol(dtype),
                                [x, labels, Output(dtype, [M])], (b, v) => CompositeKernels.For(b).CrossEntropy(v[0], v[1], v[2], ignore, eps), 2);
                        }
    }

    [Test]
    public void CrossEntropyBackward_MatchesComposite_WithSmoothingZeroWeightsAndLayouts()
    {
        var rng = new Random(167);
        foreach (var dtype in FloatTypes)
            foreach (var (M, C) in CrossEntropyShapes)
                foreach (var eps in new[] { 0.0, 0.2 })
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                    {
                        var x = HostTensor.Make(dtype, [M, C], layout, Uniform(rng, -8, 8, dtype));
                        var labels = Labels(rng, M, C, null);
                        // Some rows weigh 0, as ignored rows do; one weight reaches the labels through a stride-0 view.
                        var w = HostTensor.Make(dtype, [M], layout == Layout.Sliced ? Layout.Scalar : Layout.Contiguous,
                            () => rng.Next(4) == 0 ? 0 : rng.NextDouble() * 2 - 1);
                        var dxLayout = layout == Layout.Transposed ? Layout.Transposed : Layout.Contiguous;
                        Conformance.Check(backend, $"cross_entropy_backward [{M}, {C}] {layout}, eps {eps}", LineTol(dtype),
                            [x, labels, w, Output(dtype, [M, C], dxLayout)], (b, v) => CompositeKernels.For(b).CrossEntropyBackward(v[0], v[1], v[2], v[3], eps), 3);
                    }
    }

    [Test]
    public void CrossEntropy_WithALabelOutOfRange_ThrowsNamingTheLabel()
    {
        if (device != Device.Cpu) Assert.Ignore("the message is the CPU kernel's; other backends go through the composite's gather");
        var x = HostTensor.Make(DType.Float32, [2, 3], Layout.Contiguous, () => 0.5).On(backend);
        var labels = HostTensor.FromValues(DType.Int32, 1, 3).On(backend);
        var loss = Output(DType.Float32, [2]).On(backend);
        var e = Assert.Throws<ArgumentException>(() => CompositeKernels.For(backend).CrossEntropy(x, labels, loss, -100, 0));
        Assert.That(e!.Message, Does.Contain("cross_entropy").And.Contain("label 3").And.Contain("3 classes"));
        foreach (var s in new[] { x, labels, loss }) s.Storage.Release();
    }

    private static readonly int[] StepLengths = [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000];

    /// <summary>Adam's operands [p, g, m, v, maxV]: m and v as after a few steps (v >= 0), maxV at or above some of v.</summary>
    private static HostTensor[] AdamOperands(Random rng, DType dtype, int n, Layout layout) =>
    [
        HostTensor.Make(dtype, [n], layout, Uniform(rng, -1, 1, dtype)),
        HostTensor.Make(dtype, [n], layout, Uniform(rng, -0.5, 0.5, dtype)),
        HostTensor.Make(dtype, [n], layout, Uniform(rng, -0.1, 0.1, dtype)),
        HostTensor.Make(dtype, [n], layout, Uniform(rng, 0, 0.01, dtype)),
        HostTensor.Make(dtype, [n], layout, Uniform(rng, 0, 0.012, dtype)),
    ];

    private static readonly (double Wd, bool Decoupled, bool Amsgrad)[] AdamVariants = [(0, false, false), (0.01, true, false), (0.1, false, false), (0.05, true, true), (0, false, true)];

    [Test]
    public void AdamStep_MatchesComposite_ForEveryVariantAndLength()
    {
        var rng = new Random(168);
        foreach (var dtype in FloatTypes)
            foreach (var (wd, decoupled, amsgrad) in AdamVariants)
                foreach (var n in StepLengths)
                    foreach (var layout in n == 17 ? new[] { Layout.Contiguous, Layout.Sliced } : [Layout.Contiguous])
                    {
                        // Step 3's bias corrections; a strided case goes through the composite on every backend.
                        double b1 = 0.9, b2 = 0.999, bias1 = 1 - Math.Pow(b1, 3), bias2 = 1 - Math.Pow(b2, 3);
                        Conformance.Check(backend, $"adam_step n {n} {layout} {dtype}, wd {wd}, decoupled {decoupled}, amsgrad {amsgrad}", StepTol(dtype),
                            AdamOperands(rng, dtype, n, layout),
                            (b, v) => CompositeKernels.For(b).AdamStep(v[0], v[1], v[2], v[3], amsgrad ? v[4] : null, 1e-3, wd, decoupled, b1, b2, 1e-8, bias1, bias2),
                            0, 2, 3, 4);
                    }
    }

    private static readonly (double Wd, double Mu, double Dampening, bool Nesterov, bool First)[] SgdVariants =
        [(0, 0, 0, false, false), (0.01, 0, 0, false, false), (0, 0.9, 0, false, true), (0, 0.9, 0, false, false), (0.01, 0.9, 0.1, false, false), (0.001, 0.9, 0, true, false), (0, 0.8, 0, true, true)];

    [Test]
    public void SgdStep_MatchesComposite_ForEveryVariantAndLength()
    {
        var rng = new Random(169);
        foreach (var dtype in FloatTypes)
            foreach (var (wd, mu, dampening, nesterov, first) in SgdVariants)
                foreach (var n in StepLengths)
                    foreach (var layout in n == 17 ? new[] { Layout.Contiguous, Layout.Sliced } : [Layout.Contiguous])
                    {
                        var operands = new[]
                        {
                            HostTensor.Make(dtype, [n], layout, Uniform(rng, -1, 1, dtype)),
                            HostTensor.Make(dtype, [n], layout, Uniform(rng, -0.5, 0.5, dtype)),
                            HostTensor.Make(dtype, [n], layout, Uniform(rng, -0.3, 0.3, dtype)),
                        };
                        Conformance.Check(backend, $"sgd_step n {n} {layout} {dtype}, wd {wd}, momentum {mu}, dampening {dampening}, nesterov {nesterov}, first {first}",
                            StepTol(dtype), operands,
                            (b, v) => CompositeKernels.For(b).SgdStep(v[0], v[1], mu == 0 ? null : v[2], 0.05, wd, mu, dampening, nesterov, first),
                            0, 2);
                    }
    }

    [Test]
    public void OptimizerSteps_OnTheCpu_EqualTheCompositeOnTheCpuBitForBit()
    {
        // Same backend primitives, same roundings in the same order: the one-pass kernels give the very same bits.
        if (device != Device.Cpu) Assert.Ignore("a property of the CPU kernels");
        var rng = new Random(170);
        var composite = new CompositeKernels(backend);
        var fused = (IFusedKernels)backend;
        foreach (var dtype in FloatTypes)
            foreach (var n in StepLengths)
            {
                var adam = AdamOperands(rng, dtype, n, Layout.Contiguous);
                foreach (var (wd, decoupled, amsgrad) in AdamVariants)
                {
                    Action<IFusedKernels, Strided[]> step = (k, v) => k.AdamStep(v[0], v[1], v[2], v[3], amsgrad ? v[4] : null, 3e-3, wd, decoupled, 0.9, 0.95, 1e-8, 0.271, 0.0975);
                    var expected = Conformance.Apply(backend, adam, (_, v) => step(composite, v), out _);
                    var actual = Conformance.Apply(backend, adam, (_, v) => step(fused, v), out _);
                    for (int k = 0; k < adam.Length; k++)
                        Conformance.AssertClose(expected[k], actual[k], Tol.Exact, $"adam_step {dtype} n {n} wd {wd} decoupled {decoupled} amsgrad {amsgrad}, operand {k}");
                }
                foreach (var (wd, mu, dampening, nesterov, first) in SgdVariants)
                {
                    Action<IFusedKernels, Strided[]> step = (k, v) => k.SgdStep(v[0], v[1], mu == 0 ? null : v[2], 0.05, wd, mu, dampening, nesterov, first);
                    var sgd = adam[..3];
                    var expected = Conformance.Apply(backend, sgd, (_, v) => step(composite, v), out _);
                    var actual = Conformance.Apply(backend, sgd, (_, v) => step(fused, v), out _);
                    for (int k = 0; k < sgd.Length; k++)
                        Conformance.AssertClose(expected[k], actual[k], Tol.Exact, $"sgd_step {dtype} n {n} momentum {mu} nesterov {nesterov} first {first}, operand {k}");
                }
            }
    }
}
