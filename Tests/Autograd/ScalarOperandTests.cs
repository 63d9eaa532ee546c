// A C# number beside a 0-d tensor that requires grad: the number's tensor is an input of the recorded op, so it
// must outlive the expression (found through z-loss, whose mean is 0-d before it is scaled).
using DotGrad;
using DotGrad.Backends;

namespace DotGrad.Tests.Autograd;

public class ScalarOperandTests
{
    [Test]
    public void ZeroDimTensorTimesNumber_Backward_ReadsTheNumber()
    {
        // y = 3 x^2 at x = 2 (0-d): dy/dx = 6x = 12.
        var x = Tensor.Scalar(2, DType.Float64).RequireGrad();
        var y = x.Square() * 3.0;
        y.Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(12).Within(1e-12));
    }

    [Test]
    public void ZeroDimTensorToTheNumberPower_Backward_ReadsTheExponent()
    {
        // y = x^3 at x = 2 (0-d): dy/dx = 3 x^2 = 12.
        var x = Tensor.Scalar(2, DType.Float64).RequireGrad();
        x.Pow(3).Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(12).Within(1e-12));
    }

    [Test]
    public void NumberDividedByZeroDimTensor_Backward()
    {
        // y = 1 / x at x = 2: dy/dx = -1/x^2 = -0.25.
        var x = Tensor.Scalar(2, DType.Float64).RequireGrad();
        (1.0 / x).Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(-0.25).Within(1e-12));
    }
}
