// dotgrad devices: the CPU always, each OpenCL device when there is a runtime, and without one a reason and exit 0.
using DotGrad.Backends.OpenCL;

namespace DotGrad.Tests.Cli;

public class DevicesCommandTests
{
    [Test]
    public void Devices_ListsTheCpu_AndEveryOpenCLDeviceOrWhyThereIsNone()
    {
        var r = CliRunner.Run("devices");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("cpu").And.Contain("Cores"));
        if (OpenCLRuntime.IsAvailable)
            foreach (var d in OpenCLRuntime.Devices)
                Assert.That(r.Out, Does.Contain($"opencl:{d.Index}").And.Contain(d.Name), r.ToString());
        else
            Assert.That(r.Out, Does.Contain("No OpenCL devices"), r.ToString());
    }

    [Test]
    public void Devices_WithNoOpenCLDriverRegistered_SaysWhyAndExitsZero()
    {
        // OCL_ICD_VENDORS points the OpenCL loader at an empty place: no driver can be found (a fresh process, as
        // OpenCL discovery runs once per process).
        var r = CliRunner.RunProcess(new Dictionary<string, string> { ["OCL_ICD_VENDORS"] = "/empty" }, "devices");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("cpu"), r.ToString());
        Assert.That(r.Out, Does.Contain("No OpenCL devices").And.Contain("OpenCL"), r.ToString());
        Assert.That(r.Out, Does.Contain("driver").Or.Contain("loader library"), "the reason is given");
        Assert.That(r.Err, Is.Empty, r.ToString());
    }
}
