// The OpenCL backend's own machinery: the missing-runtime error, device lookup, the kernel cache, build logs,
// Float64 support, the caching allocator, kernel-reported index errors and the DOTGRAD_DEVICE variable.
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Tests.Backends;

public class OpenCLRuntimeTests
{
    private static OpenCLBackend Backend0()
    {
        TestDevices.Require(Device.OpenCL(0));
        return OpenCLBackend.Get(0);
    }

    // ---------------------------------------------------------------- missing runtime (no device needed)

    [Test]
    public void MissingLoaderLibrary_BecomesOneErrorThatSaysWhatToInstall()
    {
        var error = OpenCLRuntime.Diagnose(new FileNotFoundException("libOpenCL.so.1"), 0, 0);
        Assert.That(error, Is.Not.Null);
        Assert.That(error!.Message, Does.Contain("libOpenCL.so.1"));
        Assert.That(error.Message, Does.Contain("apt-get install pocl-opencl-icd ocl-icd-libopencl1"));
        Assert.That(error.InnerException, Is.TypeOf<FileNotFoundException>());
    }

    [Test]
    public void NoRegisteredDriver_BecomesOneErrorThatSaysWhatToInstall()
    {
        foreach (var (status, count) in new[] { (-1001, 0), (0, 0) })
        {
            var error = OpenCLRuntime.Diagnose(null, status, count);
            Assert.That(error, Is.Not.Null, $"status {status}, {count} platforms");
            Assert.That(error!.Message, Does.Contain("no driver"));
            Assert.That(error.Message, Does.Contain("apt-get install pocl-opencl-icd ocl-icd-libopencl1"));
            Assert.That(error.Message, Does.Contain("vendor's OpenCL driver"));
        }
        Assert.That(OpenCLRuntime.Diagnose(null, 0, 1), Is.Null);
        Assert.That(OpenCLRuntime.Diagnose(null, -6, 0)!.Message, Does.Contain("CL_OUT_OF_HOST_MEMORY"));
    }

    [Test]
    public void DeviceEnvironmentVariable_NamesTheDefaultDevice_AndABadValueSaysWhichVariable()
    {
        Assert.That(Tensor.DeviceFromEnvironment(null), Is.EqualTo(Device.Cpu));
        Assert.That(Tensor.DeviceFromEnvironment(" "), Is.EqualTo(Device.Cpu));
        Assert.That(Tensor.DeviceFromEnvironment("opencl"), Is.EqualTo(Device.OpenCL(0)));
        Assert.That(Tensor.DeviceFromEnvironment("OpenCL:2"), Is.EqualTo(Device.OpenCL(2)));
        var error = Assert.Throws<InvalidOperationException>(() => Tensor.DeviceFromEnvironment("gpu"));
        Assert.That(error!.Message, Does.Contain("DOTGRAD_DEVICE='gpu'"));
    }

    // ---------------------------------------------------------------- with a device

    [Test]
    public void Devices_AreListedWithTheirProperties_AndABadIndexSaysHowManyThereAre()
    {
        Backend0();
        var info = OpenCLRuntime.Devices[0];
        Assert.That(info.Name, Is.Not.Empty);
        Assert.That(info.ComputeUnits, Is.GreaterThan(0));
        Assert.That(info.MaxWorkGroupSize, Is.GreaterThan(0));
        Assert.That(info.ToString(), Does.StartWith("opencl:0 "));
        int count = OpenCLRuntime.Devices.Count;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Backend.For(Device.OpenCL(count)));
        Assert.That(error!.Message, Does.Contain($"there are {count} OpenCL device(s)"));
    }

    [Test]
    public void Kernels_AreCompiledOncePerDeviceAndSpecialisation()
    {
        var backend = Backend0();
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }).To(backend.Device);
        using var first = (x * 2).Cos(); // compiles what it needs (unless an earlier test did)
        int builds = backend.Kernels.Builds;
        Assert.That(builds, Is.GreaterThan(0));
        using var second = (x * 2).Cos();
        using var third = x.Cos();
        for (int i = 0; i < 3; i++) x.Cos().Dispose();
        backend.Synchronize();
        Assert.That(backend.Kernels.Builds, Is.EqualTo(builds), "the same ops on the same dtype come from the cache");
        Assert.That(third.ToArray<float>(), Is.EqualTo(new[] { MathF.Cos(1), MathF.Cos(2), MathF.Cos(3), MathF.Cos(4) }).Within(1e-6));
    }

    [Test]
    public void ABrokenKernel_RaisesTheCompilersBuildLog()
    {
        var backend = Backend0();
        var error = Assert.Throws<OpenCLBuildException>(() => backend.Kernels.Compile("broken.cl", "__kernel void f(__global float* y) { y[0] = undefined_name; }"));
        Assert.That(error!.Message, Does.Contain("broken.cl"));
        Assert.That(error.Message, Does.Contain("Build log"));
        Assert.That(error.BuildLog, Does.Contain("undefined_name"));
        Assert.That(error.Status, Is.EqualTo(-11)); // CL_BUILD_PROGRAM_FAILURE
    }

    [Test]
    public void Float64Kernels_OnADeviceWithoutFp64_GiveAClearError()
    {
        var backend = Backend0();
        var withoutFp64 = backend.Info with { SupportsFloat64 = false };
        var cache = new KernelCache(OpenCLRuntime.Api, 0, withoutFp64);
        var error = Assert.Throws<NotSupportedException>(() => cache.ProgramText("elementwise.cl", "#define T double"));
        Assert.That(error!.Message, Does.Contain("cl_khr_fp64"));
        Assert.That(cache.ProgramText("elementwise.cl", "#define T float"), Does.Not.Contain("#pragma OPENCL EXTENSION cl_khr_fp64"));
    }

    [Test]
    public void ReleasedBuffers_GoBackToThePool_AndAreReused()
    {
        var backend = Backend0();
        backend.Synchronize();
        var before = backend.Memory;
        var storage = backend.Allocate(DType.Float32, 1000);
        Assert.That(backend.Memory.LiveBuffers, Is.EqualTo(before.LiveBuffers + 1));
        Assert.That(backend.Memory.LiveBytes, Is.EqualTo(before.LiveBytes + 4096)); // 4000 bytes round up to a 4 KiB class
        storage.Release();
        var released = backend.Memory;
        Assert.That(released.LiveBuffers, Is.EqualTo(before.LiveBuffers));
        Assert.That(released.PooledBytes, Is.GreaterThanOrEqualTo(4096));
        var again = backend.Allocate(DType.Float32, 900);
        Assert.That(backend.Memory.PooledBytes, Is.EqualTo(released.PooledBytes - 4096), "the pooled 4 KiB buffer is reused");
        again.Release();
    }

    [Test]
    public void ABadIndex_FoundByAKernel_IsRaisedAtTheNextRead_WithTheCpuMessage()
    {
        var device = Backend0().Device;
        var x = Tensor.FromArray(new float[] { 1, 2, 3 });
        var index = Tensor.FromArray(new[] { 0, 5 });
        var cpuError = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, index));
        var y = x.To(device).IndexSelect(0, index.To(device)); // queued; the host does not wait
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => y.ToArray<float>());
        Assert.That(error!.Message, Is.EqualTo(cpuError!.Message));
        // The error is reported once; the device stays usable.
        Assert.That(x.To(device).Sum().Item(), Is.EqualTo(6.0));
    }
}
