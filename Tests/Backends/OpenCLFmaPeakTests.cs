// The OpenCL FMA-peak diagnostic: it measures a finite, positive rate, compiles its kernel once, and rejects a bad
// minimum time with a message that names it.
using DotGrad.Backends.OpenCL;

namespace DotGrad.Tests.Backends;

[TestFixture]
public sealed class OpenCLFmaPeakTests
{
    private OpenCLBackend backend = null!;

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!OpenCLRuntime.IsAvailable) Assert.Ignore(OpenCLRuntime.UnavailableReason!);
        backend = OpenCLBackend.Get(0);
    }

    [Test]
    public void MeasureFmaPeakGflops_IsAPositiveRate_AndCompilesItsKernelOnce()
    {
        double first = backend.MeasureFmaPeakGflops(minSeconds: 0.01);
        int builds = backend.Kernels.Builds;
        double second = backend.MeasureFmaPeakGflops(minSeconds: 0.01);
        Assert.Multiple(() =>
        {
            Assert.That(double.IsFinite(first) && first > 0, Is.True, $"first measurement {first} GFLOP/s");
            Assert.That(double.IsFinite(second) && second > 0, Is.True, $"second measurement {second} GFLOP/s");
            Assert.That(backend.Kernels.Builds, Is.EqualTo(builds), "a second measurement compiled a program again");
        });
    }

    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    public void MeasureFmaPeakGflops_RejectsANonPositiveTime(double minSeconds)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => backend.MeasureFmaPeakGflops(minSeconds));
        Assert.That(e!.Message, Does.Contain("MeasureFmaPeakGflops"));
    }
}
