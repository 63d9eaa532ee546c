// dotgrad gradcheck: a pass/fail table over the registered ops, filtered with --op; bad names and devices are usage errors.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Tests.Cli;

public class GradCheckCommandTests
{
    [Test]
    public void GradCheck_SelectedOps_PassBothOrders_AndPrintATable()
    {
        var r = CliRunner.Run("gradcheck", "--op", "matmul_2d", "--op", "softmax", "--op", "cross_entropy", "--samples", "2");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        foreach (var op in new[] { "matmul_2d", "softmax", "cross_entropy" })
            Assert.That(r.Out, Does.Match($@"\| {op} +\| \w+ +\| pass +\| (pass|-) +\|"), r.ToString());
        Assert.That(r.Out, Does.Contain("3 ops on cpu, 2 sample(s) each from seed 0: 3 passed, 0 failed"));
    }

    [Test]
    public void GradCheck_APrefix_SelectsEveryOpItStarts()
    {
        var r = CliRunner.Run("gradcheck", "--op", "matmul");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        int count = OpRegistry.All.Count(o => o.Name.StartsWith("matmul", StringComparison.Ordinal));
        Assert.That(count, Is.GreaterThan(1));
        Assert.That(r.Out, Does.Contain($"{count} ops on cpu"));
    }

    [Test]
    public void GradCheck_OnOpenCL_PassesForAnOp()
    {
        TestDevices.Require(Device.OpenCL(0));
        var r = CliRunner.Run("gradcheck", "--device", "opencl:0", "--op", "mul");
        if (r.ExitCode == 2 && r.Err.Contains("Float64")) Assert.Ignore($"opencl:0 has no Float64: {r.Err}");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("1 ops on opencl:0"));
    }

    [Test]
    public void GradCheck_UnknownOp_IsAUsageErrorListingTheOps() =>
        CliRunner.AssertUsageError(CliRunner.Run("gradcheck", "--op", "no_such_op"), "matmul_2d");
}
