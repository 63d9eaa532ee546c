// The GPU check's runner (Benchmarks/DeviceRunner), run in-process with tiny sizes: its options, its exit codes,
// and on the first OpenCL device (POCL here) the lines every mode prints.
using System.Text.RegularExpressions;
using DotGrad.Backends.Cpu;
using DotGrad.Benchmarks.OnDevice;

namespace DotGrad.Tests.Benchmarks;

public sealed class DeviceRunnerTests
{
    private static (int Code, string Output) Run(params string[] args)
    {
        using var output = new StringWriter();
        int code = DeviceRunner.Run(args, output);
        return (code, output.ToString());
    }

    [Test]
    public void Parse_NoModes_RunsAllFour_WithTheGpuSizes()
    {
        var o = DeviceRunner.Parse([]);
        Assert.Multiple(() =>
        {
            Assert.That(o.Modes, Is.EqualTo(new[] { "devices", "conformance", "gemm", "steps" }));
            Assert.That(o.Sizes, Is.EqualTo(new[] { 1024, 2048, 4096 }));
            Assert.That(o.Steps, Is.EqualTo(new[] { "gpt", "mlp", "vit" }));
            Assert.That(o.Ops, Is.Empty);
        });
    }

    [Test]
    public void Parse_ModesKeepTheirOrder_AndOptionsTakeTheirValues()
    {
        var o = DeviceRunner.Parse(["steps", "gemm", "--sizes", "64,128", "--steps", "2", "--names", "mlp", "--ops", "add,matmul", "--no-cpu"]);
        Assert.Multiple(() =>
        {
            Assert.That(o.Modes, Is.EqualTo(new[] { "gemm", "steps" }));
            Assert.That(o.Sizes, Is.EqualTo(new[] { 64, 128 }));
            Assert.That(o.StepCount, Is.EqualTo(2));
            Assert.That(o.Steps, Is.EqualTo(new[] { "mlp" }));
            Assert.That(o.Ops, Is.EqualTo(new[] { "add", "matmul" }));
            Assert.That(o.Cpu, Is.False);
        });
    }

    [TestCase("--sizes", "0", "--sizes")]
    [TestCase("--steps", "two", "--steps")]
    [TestCase("--names", "resnet", "resnet")]
    [TestCase("--ops", "no_such_op", "no_such_op")]
    [TestCase("--frobnicate", "1", "--frobnicate")]
    public void BadArguments_ExitWith2_AndSayWhat(string option, string value, string named)
    {
        var (code, output) = Run("gemm", option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain(named).And.Contain("usage:"));
    }

    [TestCase(new[] { 1.0, 2.0 }, new[] { 1.0, 2.0 }, -1)]
    [TestCase(new[] { 1.0, 2.0 }, new[] { 1.0, 2.001 }, 1)]                    // 1e-3 off: over 1e-5 + 1e-4 * 2
    [TestCase(new[] { 1.0, 100.0 }, new[] { 1.00001, 100.005 }, -1)]           // within 1e-5 + 1e-4 |cpu| each
    [TestCase(new[] { 1.0, 2.0, 3.0 }, new[] { 1.01, 2.0, 3.1 }, 2)]             // the element furthest out is named
    [TestCase(new[] { double.NaN, double.PositiveInfinity }, new[] { double.NaN, double.PositiveInfinity }, -1)]
    [TestCase(new[] { 1.0, 2.0 }, new[] { 1.0, double.NaN }, 1)]
    public void Disagreement_NamesTheElementFurthestOutsideTheTolerance(double[] expected, double[] actual, int index)
    {
        Assert.That(DeviceConformance.Disagreement(expected, actual, out double maxDiff), Is.EqualTo(index));
        Assert.That(maxDiff, index < 0 ? Is.LessThan(1e-2) : Is.GreaterThan(1e-4));
    }

    [Test]
    public void Help_PrintsTheUsage_AndExits0()
    {
        var (code, output) = Run("--help");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.StartWith("usage: dotgrad-device-runner").And.Contain("--sizes"));
    }

    [Test]
    public void NoSuchDevice_ExitsWith3_AndSaysWhy()
    {
        var (code, output) = Run("gemm", "--device", "99");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(output, Does.Contain("no OpenCL device 99"));
    }

    [Test]
    public void Devices_ListsTheHost_AndEachOpenCLDevice_OrWhyThereIsNone()
    {
        var (code, output) = Run("devices");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.StartWith("== devices: "));
        Assert.That(output, Does.Match(@"opencl:0 .*fp64|OpenCL: unavailable: "));
    }

    [Test]
    public void AllModes_OnTheOpenCLDevice_PrintTheirLines_AndExit0()
    {
        TestDevices.Require(DotGrad.Backends.Device.OpenCL(0));
        int threads = CpuBackend.MaxThreads;
        try
        {
            var (code, output) = Run("conformance", "gemm", "steps", "--ops", "add,matmul_2d", "--sizes", "32,64", "--runs", "2",
                                     "--warmup", "1", "--names", "mlp", "--steps", "1");
            Assert.That(code, Is.Zero, output);
            string[] expected =
            [
                @"^== conformance on opencl:0 .*: 2 ops, ",
                @"^pass  add +binary +f64 1st (pass|-) +2nd (pass|-) +f32 parity pass \(max \|diff\| [-+.0-9e]+\)$",
                @"^pass  matmul_2d +matmul ",
                @"^conformance: 2 ops on opencl:0, 2 passed, 0 failed \(",
                @"^== gemm on opencl:0 .*: measured fp32 FMA peak \d+ GFLOP/s; tiling ",
                @"^sgemm n=32: median [.0-9]+ ms of 2 \(min [.0-9]+\), [.0-9]+ GFLOP/s = [.0-9]+% of peak$",
                @"^sgemm n=64: ",
                @"^== steps: 1 timed after 1 warm-up",
                @"^mlp on opencl:0: median [.0-9]+ ms .* GFLOP/s = [.0-9]+% of peak; loss [.0-9]+$",
                @"^cpu, \d+ threads: measured fp32 FMA peak \d+ GFLOP/s",
                @"^mlp on cpu: median [.0-9]+ ms ",
            ];
            foreach (var pattern in expected)
                Assert.That(Regex.IsMatch(output, pattern, RegexOptions.Multiline), Is.True, $"no line matches {pattern} in:\n{output}");
        }
        finally
        {
            CpuBackend.MaxThreads = threads;   // the steps mode sets it to every core; leave other tests as they were
        }
    }
}
