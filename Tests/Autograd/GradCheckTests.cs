// The public gradient-check API on functions whose derivatives are known, including one with a deliberately wrong
// backward, which the check must catch and locate.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

public class GradCheckTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).RequireGrad();

    private static Tensor Randn(int[] shape, ulong seed, Device? device = null) =>
        Tensor.Randn(shape, new Generator(seed), DType.Float64, device ?? Device.Cpu);

    /// <summary>y = x^2 with a wrong derivative: 3x instead of 2x.</summary>
    private sealed class WrongSquare : Function
    {
        public static Tensor Apply(Tensor x)
        {
            Tensor y;
            using (AG.NoGrad()) y = x * x;
            return Record(y, () => new WrongSquare(), x);
        }

        protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * Inputs[0] * 3.0];
    }

    /// <summary>y = x^3 with the right first derivative 3x^2, but computed from a detached x, so its own derivative is lost.</summary>
    private sealed class CubeWithDetachedBackward : Function
    {
        public static Tensor Apply(Tensor x)
        {
            Tensor y;
            using (AG.NoGrad()) y = x * x * x;
            return Record(y, () => new CubeWithDetachedBackward(), x);
        }

        protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * Inputs[0].Detach().Square() * 3.0];
    }

    [Test]
    public void Check_PassesForXTimesX()
    {
        var x = Randn([3, 2], 1).RequireGrad();
        var result = GradCheck.Check(xs => xs[0] * xs[0], [x]);
        Assert.That(result.Passed, Is.True, result.Message);
        Assert.That(result.Message, Does.Contain("passed"));
        Assert.That(result.ToString(), Is.EqualTo(result.Message));
    }

    [Test]
    public void Check_WithAWrongBackward_FailsAndNamesTheWorstElement()
    {
        // analytic 3x, numeric 2x: the error |x| against tolerance atol + rtol 2|x| is worst at the largest |x|, x[2] = -3.
        var x = Leaf(1, 2, -3);
        var result = GradCheck.Check(xs => WrongSquare.Apply(xs[0]), [x]);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.WorstInput, Is.EqualTo(0));
        Assert.That(result.WorstIndex, Is.EqualTo(new[] { 2 }));
        Assert.That(result.WorstOutputIndex, Is.EqualTo(new[] { 2 }));
        Assert.That(result.Analytic, Is.EqualTo(-9).Within(1e-12));
        Assert.That(result.Numeric, Is.EqualTo(-6).Within(1e-6));
        Assert.That(result.Message, Does.Contain("failed").And.Contain("input 0").And.Contain("[2]").And.Contain("analytic -9"));
    }

    [Test]
    public void Check_WorstElementIndex_IsAMultiIndexIntoTheRightInput()
    {
        // Input 0 is correct (x * c), input 1 goes through the wrong square; its element [1, 0] = 5 is the largest.
        var c = Randn([2, 2], 3).RequireGrad();
        var x = Tensor.FromArray(new double[,] { { 1, -2 }, { 5, 0.5 } }).RequireGrad();
        var result = GradCheck.Check(xs => xs[0] * WrongSquare.Apply(xs[1]), [c, x]);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.WorstInput, Is.EqualTo(1));
        Assert.That(result.WorstIndex, Is.EqualTo(new[] { 1, 0 }));
    }

    [Test]
    public void Check_WithRaiseException_ThrowsGradCheckExceptionWithTheMessage()
    {
        var x = Leaf(1, 2, -3);
        var result = GradCheck.Check(xs => WrongSquare.Apply(xs[0]), [x]);
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.Check(xs => WrongSquare.Apply(xs[0]), [x], raiseException: true));
        Assert.That(ex!.Message, Is.EqualTo(result.Message));
        Assert.That(GradCheck.Check(xs => xs[0].Exp(), [x], raiseException: true).Passed, Is.True, "a passing check does not throw");
    }

    [Test]
    public void Check_RejectsFloat32Inputs_NamingGradCheckAndTheFix()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.Check(xs => xs[0] * xs[0], [x]));
        Assert.That(ex!.Message, Does.Contain("GradCheck").And.Contain("Float64").And.Contain("Float32").And.Contain("To(DType.Float64)"));
    }

    [Test]
    public void Check_WithNoInputRequiringGrad_SaysSo()
    {
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.Check(xs => xs[0].Exp(), [Tensor.FromArray(new double[] { 1 })]));
        Assert.That(ex!.Message, Does.Contain("RequireGrad"));
    }

    [Test]
    public void Check_RejectsExpandedInputsWhoseElementsShareMemory()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }).Expand(3, 2).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.Check(xs => xs[0].Exp(), [x]));
        Assert.That(ex!.Message, Does.Contain("expanded").And.Contain("Contiguous"));
    }

    [TestCase("cpu")]
    [TestCase("reference")]
    public void Check_HandlesNonContiguousInputs_AndRestoresThem(string device)
    {
        var dev = Device.Parse(device);
        var baseA = Randn([4, 3], 5, dev);
        var a = baseA.T.Detach().RequireGrad();                     // [3, 4], transposed strides
        var b = Randn([3, 9], 6, dev).Slice(1, 1, null, 2).Detach().RequireGrad(); // [3, 4], stride 2, offset 1
        Assert.That(a.IsContiguous || b.IsContiguous, Is.False);
        var before = (a.ToArray<double>(), b.ToArray<double>());
        var result = GradCheck.Check(xs => (xs[0] * xs[1]).Sin() / (xs[1].Square() + 1.0), [a, b]);
        Assert.That(result.Passed, Is.True, result.Message);
        Assert.That(a.ToArray<double>(), Is.EqualTo(before.Item1), "inputs are restored after perturbation");
        Assert.That(b.ToArray<double>(), Is.EqualTo(before.Item2));
    }

    [Test]
    public void Check_OnlyChecksInputsThatRequireGrad_AndPassesIndexLikeInputsThrough()
    {
        // Input 1 is a Bool mask (a constant); input 2 is Float64 without RequiresGrad (also constant).
        var x = Randn([2, 3], 7).RequireGrad();
        var mask = Tensor.FromArray(new[,] { { true, false, true }, { false, false, true } });
        var c = Randn([3], 8);
        var result = GradCheck.Check(xs => Tensor.Where(xs[1], xs[0].Exp(), xs[0] * xs[2]), [x, mask, c]);
        Assert.That(result.Passed, Is.True, result.Message);
        Assert.That(result.WorstInput, Is.EqualTo(0));
    }

    [Test]
    public void Check_HandlesZeroElementInputsAndOutputs()
    {
        var x = Tensor.Zeros([0, 3], DType.Float64).RequireGrad();
        var result = GradCheck.Check(xs => xs[0].Exp(), [x]);
        Assert.That(result.Passed, Is.True, result.Message);
        Assert.That(result.WorstInput, Is.EqualTo(-1));
        Assert.That(result.Message, Does.Contain("no elements"));
    }

    [Test]
    public void Check_OutputThatDoesNotDependOnTheInput_HasAZeroJacobian()
    {
        var x = Leaf(1, 2);
        var c = Tensor.FromArray(new double[] { 3, 4 });
        Assert.That(GradCheck.Check(_ => c.Exp(), [x]).Passed, Is.True);
    }

    [Test]
    public void CheckSecondOrder_PassesForXCubed()
    {
        // d/dx (x^3 . v) = 3 x^2 v; its Jacobian is diag(6 x v).
        var x = Randn([2, 3], 9).RequireGrad();
        var result = GradCheck.CheckSecondOrder(xs => xs[0] * xs[0] * xs[0], [x]);
        Assert.That(result.Passed, Is.True, result.Message);
        var withV = GradCheck.CheckSecondOrder(xs => xs[0].Pow(3.0), [x], gradOutput: Randn([2, 3], 10));
        Assert.That(withV.Passed, Is.True, withV.Message);
    }

    [Test]
    public void CheckSecondOrder_CatchesABackwardThatIsNotDifferentiable()
    {
        // The first derivative is right, but it is built from a detached input, so its derivative comes out as 0, not 6xv.
        var x = Leaf(0.5, -1.5, 2);
        Assert.That(GradCheck.Check(xs => CubeWithDetachedBackward.Apply(xs[0]), [x]).Passed, Is.True);
        var result = GradCheck.CheckSecondOrder(xs => CubeWithDetachedBackward.Apply(xs[0]), [x]);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.Analytic, Is.EqualTo(0));
        Assert.That(result.Message, Does.Contain("second order").And.Contain("gradient of input 0"));
    }

    [Test]
    public void CheckSecondOrder_WithSeveralInputs_ComparesTheCrossDerivatives()
    {
        // f = a * b^2 (same shapes): grad_a = v b^2, grad_b = 2 v a b: mixed second derivatives on both.
        var a = Randn([2, 3], 11).RequireGrad();
        var b = Randn([2, 3], 12).RequireGrad();
        var result = GradCheck.CheckSecondOrder(xs => xs[0] * xs[1].Square(), [a, b]);
        Assert.That(result.Passed, Is.True, result.Message);
    }
}
