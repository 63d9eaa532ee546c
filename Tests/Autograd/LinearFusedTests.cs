// F.linear's fused node against its composition x.MatMul(W.MT) + b: values and gradients on every backend, strided
// operands, no bias, a vector input and empty batches; and the Linear module runs through it.
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Tests.Autograd;

[TestFixture("cpu")]
[TestFixture("reference")]
[TestFixture("opencl:0")]
public class LinearFusedTests
{
    private readonly Device _device;

    public LinearFusedTests(string device) => _device = Device.Parse(device);

    [SetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    /// <summary>x [..shape, in], W [out, in], b [out] drawn from a fixed seed, as leaves that require grad.</summary>
    private (Tensor X, Tensor W, Tensor B) Operands(int[] xShape, int outF, DType dtype, int seed)
    {
        var g = new Generator((ulong)seed);
        int inF = xShape[^1];
        var x = Tensor.Randn(xShape, g, dtype, _device).RequireGrad();
        var w = Tensor.Randn([outF, inF], g, dtype, _device).RequireGrad();
        var b = Tensor.Randn([outF], g, dtype, _device).RequireGrad();
        return (x, w, b);
    }

    private static double MaxDiff(Tensor a, Tensor b) => (a.To(Device.Cpu).To(DType.Float64) - b.To(Device.Cpu).To(DType.Float64)).Abs().Max().Item();

    [TestCase(new[] { 5, 7 }, 3, true)]
    [TestCase(new[] { 2, 13, 33 }, 70, true)]
    [TestCase(new[] { 4, 3, 129 }, 65, false)]
    [TestCase(new[] { 9 }, 4, true)]
    [TestCase(new[] { 3, 0, 4 }, 5, true)]
    public void FusedMatchesComposite_ValuesAndGradients(int[] xShape, int outF, bool withBias)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            using var scope = Tensor.NewDisposeScope();
            double tol = dtype == DType.Float64 ? 1e-12 : 1e-4;
            var (x, w, b) = Operands(xShape, outF, dtype, 3);
            var bias = withBias ? b : null;
            var fused = Functional.Linear(x, w, bias);
            var composite = Functional.LinearComposite(x, w, bias);
            Assert.That(fused.Shape, Is.EqualTo(composite.Shape));
            Assert.That(fused.GradFn, Is.InstanceOf<DotGrad.Autodiff.Functions.LinearFused>(), "one fused node");
            if (fused.Count == 0) continue;
            Assert.That(MaxDiff(fused, composite), Is.LessThan(tol), $"{dtype} forward");
            var seed = Tensor.Randn(fused.Shape, new Generator(9), dtype, _device);
            var want = DotGrad.Autodiff.Autograd.Grad([composite], withBias ? [x, w, b] : [x, w], [seed]);
            var got = DotGrad.Autodiff.Autograd.Grad([fused], withBias ? [x, w, b] : [x, w], [seed]);
            for (int i = 0; i < want.Length; i++)
                Assert.That(MaxDiff(got[i]!, want[i]!), Is.LessThan(tol), $"{dtype} gradient {i}");
        }
    }

    [Test]
    public void StridedOperands_GiveTheSameResultAsContiguousOnes()
    {
        using var scope = Tensor.NewDisposeScope();
        var g = new Generator(5);
        var xT = Tensor.Randn([6, 2, 11], g, DType.Float64, _device);   // read as [2, 11, 6] through a permutation
        var x = xT.Permute(1, 2, 0);                                     // [2, 11, 6], rows that do not fold into one stride
        var wT = Tensor.Randn([6, 4], g, DType.Float64, _device);
        var w = wT.MT;                                                   // [4, 6], a transposed view
        var bWide = Tensor.Randn([4, 2], g, DType.Float64, _device);
        var b = bWide.Slice(1, 0, 1).Squeeze(1);                       // [4] with stride 2
        var got = Functional.Linear(x, w, b);
        var want = Functional.LinearComposite(x.Contiguous(), w.Contiguous(), b.Contiguous());
        Assert.That(MaxDiff(got, want), Is.LessThan(1e-12));
    }

    [Test]
    public void LinearModule_IsOneFusedNode_AndMatchesTheComposition()
    {
        using var scope = Tensor.NewDisposeScope();
        var layer = new Linear(8, 5, generator: new Generator(2), dtype: DType.Float64, device: _device);
        var x = Tensor.Randn([3, 4, 8], new Generator(4), DType.Float64, _device);
        var y = layer.Call(x);
        Assert.That(y.GradFn, Is.InstanceOf<DotGrad.Autodiff.Functions.LinearFused>());
        Assert.That(MaxDiff(y, Functional.LinearComposite(x, layer.Weight, layer.Bias)), Is.LessThan(1e-12));
    }

    [Test]
    public void BadShapesAndDTypes_NameTheOperation()
    {
        using var scope = Tensor.NewDisposeScope();
        var x = Tensor.Zeros([2, 3], DType.Float64, _device);
        var e = Assert.Throws<ArgumentException>(() => Functional.Linear(x, Tensor.Zeros([4, 5], DType.Float64, _device)));
        Assert.That(e!.Message, Does.Contain("linear").And.Contain("[2, 3]").And.Contain("[4, 5]"));
        e = Assert.Throws<ArgumentException>(() => Functional.Linear(x, Tensor.Zeros([4, 3], DType.Float64, _device), Tensor.Zeros([3], DType.Float64, _device)));
        Assert.That(e!.Message, Does.Contain("linear").And.Contain("bias"));
        e = Assert.Throws<ArgumentException>(() => Functional.Linear(x, Tensor.Zeros([4, 3], DType.Float32, _device)));
        Assert.That(e!.Message, Does.Contain("linear"));
    }
}
