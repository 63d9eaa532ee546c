// RMSprop, Adagrad, Adamax, NAdam and RAdam on every backend: the reference backend and OpenCL follow the CPU over
// seven steps (RAdam's rectified branch included), with a parameter that skips a step, in Float32 and Float64.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class PyTorchOptimizersDeviceTests
{
    private static readonly int[][] Shapes = [[5, 3], [7], [1]];

    public static IEnumerable<TestCaseData> Cases()
    {
        var optimizers = new (string Name, Func<IEnumerable<Tensor>, Optimizer> Make)[]
        {
            ("rmsprop", ps => new RmsProp(ps)),
            ("rmsprop_centered_momentum_wd", ps => new RmsProp(ps, new RmsPropOptions { Momentum = 0.9, Centered = true, WeightDecay = 0.1 })),
            ("adagrad_decays", ps => new Adagrad(ps, new AdagradOptions { Lr = 0.1, LrDecay = 0.2, InitialAccumulatorValue = 0.5, WeightDecay = 0.05 })),
            ("adamax_wd", ps => new Adamax(ps, new AdamaxOptions { Lr = 0.01, WeightDecay = 0.1 })),
            ("nadam", ps => new NAdam(ps, new NAdamOptions { WeightDecay = 0.1 })),
            ("nadam_decoupled", ps => new NAdam(ps, new NAdamOptions { WeightDecay = 0.1, DecoupledWeightDecay = true, MomentumDecay = 0.1 })),
            ("radam", ps => new RAdam(ps, new RAdamOptions { Lr = 0.01, WeightDecay = 0.1 })),
            ("radam_decoupled", ps => new RAdam(ps, new RAdamOptions { Lr = 0.01, WeightDecay = 0.1, DecoupledWeightDecay = true, Beta2 = 0.9 })),
        };
        foreach (var (name, make) in optimizers)
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                yield return new TestCaseData(make, dtype).SetArgDisplayNames(name, dtype.ToString());
    }

    private static (Tensor[] Params, Optimizer Opt) Run(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype, Device device)
    {
        var ps = Shapes.Select((s, i) => Tensor.Randn(s, new Generator(10 + (ulong)i), dtype, device).DetachFromDisposeScope().RequireGrad()).ToArray();
        var opt = make(ps);
        for (int step = 0; step < 7; step++)
        {
            for (int i = 0; i < ps.Length; i++)
                ps[i].Grad = step == 2 && i == 1 ? null
                    : Tensor.Randn(ps[i].Shape, new Generator(500 + (ulong)(step * 10 + i)), dtype, device).DetachFromDisposeScope();
            opt.Step();
        }
        return (ps, opt);
    }

    private static void Compare(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype, Device device, double rel)
    {
        var (cpu, a) = Run(make, dtype, Device.Cpu);
        var (other, b) = Run(make, dtype, device);
        void Same(Tensor expected, Tensor actual, string what)
        {
            var e = OptimKit.Values(expected);
            var x = OptimKit.Values(actual);
            Assert.That(x, Has.Length.EqualTo(e.Length), what);
            for (int i = 0; i < e.Length; i++)
                if (!(Math.Abs(x[i] - e[i]) <= rel * Math.Max(1, Math.Abs(e[i]))))
                    Assert.Fail($"{what}: element {i} is {x[i]:R} on {device}, {e[i]:R} on the CPU (allowed relative {rel})");
        }
        for (int i = 0; i < cpu.Length; i++)
        {
            Same(cpu[i], other[i], $"parameter {i}");
            Assert.That(b.State(other[i]).Step, Is.EqualTo(a.State(cpu[i]).Step), $"parameter {i}: step count");
            foreach (var (name, t) in a.State(cpu[i]).Buffers) Same(t, b.State(other[i])[name], $"parameter {i} buffer {name}");
        }
        Assert.That(b.StateBytes(), Is.EqualTo(a.StateBytes()));
        a.Dispose();
        b.Dispose();
        foreach (var p in cpu.Concat(other)) p.Dispose();
    }

    [Test]
    public void NAdam_StateLoadedOntoOpenCL_ContinuesAsTheCpu()
    {
        // mu_product lives on the CPU; a state loaded for OpenCL parameters brings it to the device, and the next
        // step reads it from there.
        var device = Device.OpenCL(0);
        TestDevices.Require(device);
        var cpu = Tensor.Randn([4], new Generator(3), DType.Float64).DetachFromDisposeScope().RequireGrad();
        using var straight = new NAdam([cpu], new NAdamOptions { Lr = 0.05 });
        Tensor G(int step, Device d) => Tensor.Randn([4], new Generator(40 + (ulong)step), DType.Float64, d).DetachFromDisposeScope();
        for (int step = 0; step < 2; step++)
        {
            cpu.Grad = G(step, Device.Cpu);
            straight.Step();
        }
        using var state = straight.StateDict();
        var gpu = cpu.Detach().To(device).DetachFromDisposeScope().RequireGrad();
        using var resumed = new NAdam([gpu], new NAdamOptions { Lr = 0.05 });
        resumed.LoadStateDict(state);
        cpu.Grad = G(2, Device.Cpu);
        straight.Step();
        gpu.Grad = G(2, device);
        resumed.Step();
        OptimKit.AssertClose(gpu, OptimKit.Values(cpu), 1e-13);
        OptimKit.AssertClose(resumed.State(gpu)["mu_product"], OptimKit.Values(straight.State(cpu)["mu_product"]), 1e-15);
        cpu.Dispose();
        gpu.Dispose();
    }

    [TestCaseSource(nameof(Cases))]
    public void ReferenceBackend_FollowsTheCpu(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype) =>
        Compare(make, dtype, Device.Reference, dtype == DType.Float64 ? 1e-12 : 1e-5);

    [TestCaseSource(nameof(Cases))]
    public void OpenCL_FollowsTheCpu(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype)
    {
        TestDevices.Require(Device.OpenCL(0));
        Compare(make, dtype, Device.OpenCL(0), dtype == DType.Float64 ? 1e-12 : 1e-5);
    }
}
