// tanh near 0 on every device: the value is x to within rounding there, so a result of the wrong size or sign (as the
// vectorized library tanh gives, see TanhOp) shows up at once, as the op-sequence fuzzer found with sqrt(tanh(0)) = NaN.
using DotGrad.Backends;

namespace DotGrad.Tests.Tensors;

[TestFixture("reference")]
[TestFixture("cpu")]
[TestFixture("opencl:0")]
public class TanhNearZeroTests
{
    private readonly Device _device;

    public TanhNearZeroTests(string device) => _device = Device.Parse(device);

    [OneTimeSetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    // tanh(x) = x - x^3/3 + 2x^5/15 - ...: for 0.01 that is 0.01 - 3.3333e-7 + 2.7e-11 = 0.0099996666867 (and tanh is odd).
    private static readonly double[] Inputs = [0.0, -0.0, 1e-30, 1e-7, -1e-7, 1e-4, 0.01, -0.01, 0.3];

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Tanh_NearZero_IsXToWithinAnUlp_WithItsSign(DType dtype)
    {
        // 17 copies, so the vectorized path and its tail both see every input.
        var values = Enumerable.Repeat(Inputs, 17).SelectMany(v => v).ToArray();
        using var x = Tensor.FromArray(values, _device).To(dtype);
        using var y = x.Tanh();
        using var root = x.Abs().Tanh().Sqrt();                        // sqrt(tanh(|x|)) is never NaN
        var got = Check.Values(y);
        for (int i = 0; i < values.Length; i++)
        {
            double expected = dtype == DType.Float32 ? (float)Math.Tanh((float)values[i]) : Math.Tanh(values[i]);
            double ulp = dtype == DType.Float32 ? MathF.BitIncrement((float)Math.Abs(expected)) - (float)Math.Abs(expected)
                                                : Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected);
            Assert.That(got[i], Is.EqualTo(expected).Within(ulp), $"tanh({values[i]:R}) in {dtype}");
            Assert.That(double.IsNegative(got[i]), Is.EqualTo(double.IsNegative(expected)), $"the sign of tanh({values[i]:R})");
        }
        Assert.That(Check.Values(root).Any(double.IsNaN), Is.False);
    }
}
