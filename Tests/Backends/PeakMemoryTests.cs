// The peak of live bytes (torch.cuda.max_memory_allocated) and its reset (reset_peak_memory_stats) on every backend,
// and the measurement they exist for: the activation memory of a forward pass, as the peak above a baseline.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

// The host allocator's counters are process-wide (Cpu and Reference share them): no other test may allocate while one
// of these runs.
[NonParallelizable]
public class PeakMemoryTests
{
    private const int MiB = 1 << 20;

    public static IEnumerable<Device> Devices => [Device.Cpu, Device.Reference, Device.OpenCL(0)];

    /// <summary>Finalizes what earlier tests left to the GC, so that no storage of theirs is freed during a measurement.</summary>
    private static IBackend Settled(Device device)
    {
        TestDevices.Require(device);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var backend = Backend.For(device);
        backend.Synchronize();
        return backend;
    }

    [TestCaseSource(nameof(Devices))]
    public void Reset_StartsThePeakAtTheBytesLiveNow(Device device)
    {
        var backend = Settled(device);
        var big = backend.Allocate(DType.Float32, MiB / 4);    // 1 MiB, one whole size class
        big.Release();
        Assert.That(backend.Memory.PeakLiveBytes, Is.GreaterThanOrEqualTo(backend.Memory.LiveBytes + MiB), "the released MiB still counts in the peak");

        backend.ResetPeakMemoryStats();
        var after = backend.Memory;
        Assert.That(after.PeakLiveBytes, Is.EqualTo(after.LiveBytes), "after a reset the peak is what is live now");
    }

    [TestCaseSource(nameof(Devices))]
    public void Peak_RisesWithAllocations_AndKeepsItsHighWaterMarkAfterRelease(Device device)
    {
        var backend = Settled(device);
        backend.ResetPeakMemoryStats();
        long baseline = backend.Memory.LiveBytes;

        var a = backend.Allocate(DType.Float32, MiB / 4);      // 1 MiB
        var b = backend.Allocate(DType.Float32, MiB / 2);      // 2 MiB
        Assert.That(backend.Memory.LiveBytes, Is.EqualTo(baseline + 3 * MiB));
        Assert.That(backend.Memory.PeakLiveBytes, Is.EqualTo(baseline + 3 * MiB));
        a.Release();
        b.Release();
        var c = backend.Allocate(DType.Float32, MiB / 4);      // 1 MiB again, from the pool
        var now = backend.Memory;
        Assert.That(now.LiveBytes, Is.EqualTo(baseline + MiB));
        Assert.That(now.PeakLiveBytes, Is.EqualTo(baseline + 3 * MiB), "the peak is the high-water mark, not the current count");
        c.Release();
    }

    [Test]
    public void CpuAndReference_ShareOnePeak_BecauseTheyShareTheHostAllocator()
    {
        Settled(Device.Cpu);
        var cpu = Backend.For(Device.Cpu);
        var storage = cpu.Allocate(DType.Float32, MiB / 4);
        storage.Release();
        Backend.For(Device.Reference).ResetPeakMemoryStats();
        Assert.That(cpu.Memory.PeakLiveBytes, Is.EqualTo(cpu.Memory.LiveBytes), "resetting Reference reset Cpu's peak too");
        Assert.That(Backend.For(Device.Reference).Memory, Is.EqualTo(cpu.Memory));
    }

    /// <summary>
    /// exp(x * 0) summed, for x of n = 2^18 floats (1 MiB): x * 0 and its exp are both alive when the sum runs, so the
    /// pass peaks at least 2 MiB above the baseline (x was live before), and once the scope ends nothing is left.
    /// </summary>
    [TestCaseSource(nameof(Devices))]
    public void AForwardPass_PeaksAboveTheBaseline_ByItsLiveIntermediates(Device device)
    {
        var backend = Settled(device);
        using var x = Tensor.Ones([MiB / 4], DType.Float32, device);
        backend.Synchronize();
        backend.ResetPeakMemoryStats();
        long baseline = backend.Memory.LiveBytes;
        double sum;
        using (Tensor.NewDisposeScope())
            sum = (x * 0.0).Exp().Sum().Item();                   // (n) -> (n) -> ()
        var after = backend.Memory;
        Assert.That(sum, Is.EqualTo(MiB / 4).Within(1e-4).Percent, "the pass ran"); // exp(0) is 1 to within rounding
        Assert.That(after.PeakLiveBytes - baseline, Is.GreaterThanOrEqualTo(2L * MiB), "x * 0 and exp(x * 0) were alive together");
        Assert.That(after.PeakLiveBytes - baseline, Is.LessThan(4L * MiB), "and nothing else of that size");
        Assert.That(after.LiveBytes, Is.EqualTo(baseline), "the scope released every intermediate");
    }
}
