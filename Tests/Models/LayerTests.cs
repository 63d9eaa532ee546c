// Linear, Embedding, LayerNorm and RmsNorm: output shapes, PyTorch's default initialisation, hand values,
// bad-input messages that name the config field, and gradient checks in Float64.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class LayerTests
{
    private static Tensor X(int[] shape, ulong seed = 1, DType dtype = DType.Float64) => Tensor.Randn(shape, new Generator(seed), dtype);

    private static void AssertGradCheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    // ---- Linear ----

    [Test]
    public void Linear_OutputShape_AndParameters()
    {
        using var lin = new Linear(4, 5, generator: new Generator(1));
        using var x = X([2, 3, 4], dtype: DType.Float32);
        Assert.That(lin.Call(x).Shape, Is.EqualTo(new[] { 2, 3, 5 }));
        Assert.That(lin.NamedParameters().Select(p => (p.Name, p.Parameter.Shape)), Is.EqualTo(new[] { ("weight", new[] { 5, 4 }), ("bias", new[] { 5 }) }));
        Assert.That(lin.ParameterCount(), Is.EqualTo(25));
        using var noBias = new Linear(4, 5, bias: false);
        Assert.That((noBias.Bias, noBias.ParameterCount()), Is.EqualTo(((Tensor?)null, 20L)));
        using var v = X([4], dtype: DType.Float32);
        Assert.That(lin.Call(v).Shape, Is.EqualTo(new[] { 5 }), "a vector input gives a vector");
    }

    [Test]
    public void Linear_ComputesXWTransposePlusB()
    {
        using var lin = new Linear(2, 3, dtype: DType.Float64);
        using (DotGrad.Autodiff.Autograd.NoGrad())
        {
            lin.Weight[TensorIndex.Ellipsis] = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
            lin.Bias![TensorIndex.Ellipsis] = Tensor.FromArray(new double[] { 0.5, -0.5, 1 });
        }
        // [1, -1] @ W^T = [-1, -1, -1], plus b.
        Check.Close(lin.Call(Check.D(1, -1)), [3], [-0.5, -1.5, 0], atol: 0);
    }

    [Test]
    public void Linear_DefaultInit_IsPyTorchsUniformOnPlusMinus1OverSqrtIn()
    {
        using var lin = new Linear(256, 512, generator: new Generator(2));
        double bound = 1 / Math.Sqrt(256);
        var w = Check.Values(lin.Weight);
        var b = Check.Values(lin.Bias!);
        Assert.That(w.Max(Math.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.999 * bound));
        Assert.That(b.Max(Math.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9 * bound));
        Assert.That(Math.Sqrt(w.Average(v => v * v)), Is.EqualTo(bound / Math.Sqrt(3)).Within(0.01 * bound));
    }

    [Test]
    public void Linear_BadInput_NamesTheConfigField()
    {
        using var lin = new Linear(4, 5);
        var e = Assert.Throws<ArgumentException>(() => lin.Call(Tensor.Zeros(2, 3)));
        Assert.That(e!.Message, Does.Contain("InFeatures = 4").And.Contain("[2, 3]"));
        Assert.Throws<ArgumentException>(() => lin.Call(Tensor.Scalar(1)));
        var c = Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 5));
        Assert.That(c!.ParamName, Is.EqualTo("inFeatures"));
        Assert.That(c.Message, Does.Contain("inFeatures must be positive"));
        c = Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(4, -1));
        Assert.That(c!.Message, Does.Contain("outFeatures"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Linear_GradCheck(bool bias)
    {
        using var lin = new Linear(3, 4, bias, new Generator(3), DType.Float64);
        var x = X([2, 3], 4).RequireGrad();
        AssertGradCheck(xs => lin.Call(xs[0]), [x, .. lin.Parameters()]);
    }

    // ---- Embedding ----

    [Test]
    public void Embedding_PicksRows_WithTheIndexShapePlusDim()
    {
        using var emb = new Embedding(10, 4, new Generator(1));
        using var ids = Tensor.FromArray(new[,] { { 1, 2, 3 }, { 9, 1, 0 } });
        var y = emb.Call(ids);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(y[1, 1].ToArray<float>(), Is.EqualTo(emb.Weight[1].ToArray<float>()));
        Assert.That(emb.Call(Tensor.FromArray(new[] { 9 })).Shape, Is.EqualTo(new[] { 1, 4 }));
    }

    [Test]
    public void Embedding_DefaultInit_IsStandardNormal()
    {
        using var emb = new Embedding(1000, 100, new Generator(2));
        var w = Check.Values(emb.Weight);
        Assert.That(w.Average(), Is.EqualTo(0).Within(0.02));
        Assert.That(Math.Sqrt(w.Average(v => v * v)), Is.EqualTo(1).Within(0.01));
    }

    [Test]
    public void Embedding_BadInput_IsNamed()
    {
        using var emb = new Embedding(10, 4);
        var e = Assert.Throws<ArgumentException>(() => emb.Call(Tensor.Zeros([2], DType.Float32)));
        Assert.That(e!.Message, Does.Contain("Int32").And.Contain("Float32"));
        Assert.That(() => emb.Call(Tensor.FromArray(new[] { 10 })).ToArray<float>(), Throws.Exception.With.Message.Contain("10"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(0, 4))!.Message, Does.Contain("count"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(3, 0))!.Message, Does.Contain("dim"));
    }

    [Test]
    public void Embedding_GradCheck_AccumulatesRepeatedRows()
    {
        using var emb = new Embedding(5, 3, new Generator(3), DType.Float64);
        using var ids = Tensor.FromArray(new[,] { { 1, 4 }, { 1, 0 } });
        AssertGradCheck(xs => emb.Call(ids).Tanh(), [emb.Weight]);
        emb.Call(ids).Sum().Backward();
        Assert.That(Check.Values(emb.Weight.Grad!), Is.EqualTo(new double[] { 1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1 }));
    }

    // ---- LayerNorm ----

    [Test]
    public void LayerNorm_NormalisesTheLastDim_WithPyTorchDefaults()
    {
        using var ln = new LayerNorm(6, dtype: DType.Float64);
        Assert.That(ln.Eps, Is.EqualTo(1e-5));
        Assert.That(Check.Values(ln.Weight), Is.All.EqualTo(1));
        Assert.That(Check.Values(ln.Bias!), Is.All.EqualTo(0));
        using var x = X([2, 3, 6]) * 3 + 1;
        var y = ln.Call(x);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 3, 6 }));
        Check.Close(y.Mean([-1]), [2, 3], new double[6], atol: 1e-12);
        Check.Close(y.Square().Mean([-1]), [2, 3], Enumerable.Repeat(1.0, 6).ToArray(), atol: 1e-4);
        // Hand value: [1, 2, 3] has mean 2 and biased variance 2/3, so [-1, 0, 1] / sqrt(2/3 + eps).
        using var ln3 = new LayerNorm(3, eps: 1e-6, bias: false, dtype: DType.Float64);
        double s = 1 / Math.Sqrt(2.0 / 3 + 1e-6);
        Check.Close(ln3.Call(Check.D(1, 2, 3)), [3], [-s, 0, s], atol: 1e-14);
        Assert.That((ln3.Bias, ln3.ParameterCount()), Is.EqualTo(((Tensor?)null, 3L)));
    }

    [Test]
    public void LayerNorm_BadInput_NamesDim()
    {
        using var ln = new LayerNorm(6);
        var e = Assert.Throws<ArgumentException>(() => ln.Call(Tensor.Zeros(2, 5)));
        Assert.That(e!.Message, Does.Contain("Dim = 6").And.Contain("[2, 5]"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(4, eps: 0))!.Message, Does.Contain("eps"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(0))!.Message, Does.Contain("dim"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void LayerNorm_GradCheck(bool bias)
    {
        using var ln = new LayerNorm(5, bias: bias, dtype: DType.Float64);
        Init.Normal(ln.Weight, 0.5, 1, new Generator(5));    // away from ones and zeros, so every term shows
        if (ln.Bias is not null) Init.Normal(ln.Bias, 0.5, 0, new Generator(6));
        var x = X([3, 5], 7).RequireGrad();
        AssertGradCheck(xs => ln.Call(xs[0]), [x, .. ln.Parameters()]);
    }

    // ---- RmsNorm ----

    [Test]
    public void RmsNorm_HandValue_AndShape()
    {
        using var rms = new RmsNorm(2, dtype: DType.Float64);
        Assert.That(rms.Eps, Is.EqualTo(1e-6));
        // [3, 4]: mean square 12.5, so [3, 4] / sqrt(12.5 + 1e-6); no mean is subtracted.
        double r = 1 / Math.Sqrt(12.5 + 1e-6);
        Check.Close(rms.Call(Check.D(3, 4)), [2], [3 * r, 4 * r], atol: 1e-15);
        Assert.That(rms.Call(X([4, 3, 2])).Shape, Is.EqualTo(new[] { 4, 3, 2 }));
        Assert.That(rms.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
    }

    [Test]
    public void RmsNorm_BadInput_NamesDim()
    {
        using var rms = new RmsNorm(8);
        var e = Assert.Throws<ArgumentException>(() => rms.Call(Tensor.Zeros(8, 3)));
        Assert.That(e!.Message, Does.Contain("RmsNorm").And.Contain("Dim = 8").And.Contain("[8, 3]"));
    }

    [Test]
    public void RmsNorm_GradCheck()
    {
        using var rms = new RmsNorm(4, dtype: DType.Float64);
        Init.Normal(rms.Weight, 0.5, 1, new Generator(8));
        var x = X([2, 3, 4], 9).RequireGrad();
        AssertGradCheck(xs => rms.Call(xs[0]), [x, rms.Weight]);
    }
}
