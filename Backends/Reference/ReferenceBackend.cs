// The reference backend: one plain scalar loop per primitive, over host memory. Slow and obviously correct;
// every other backend is tested against it. Floats are accumulated in double here, so it is also the more precise one.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

/// <summary>
/// Scalar loops for every primitive: the oracle (<see cref="DeviceKind.Reference"/>). It has no fused kernel: softmax
/// and layer norm run on it as <see cref="CompositeKernels"/>, the definitions the fast backends' fused kernels are checked against.
/// </summary>
public sealed partial class ReferenceBackend : IBackend
{
    public static ReferenceBackend Instance { get; } = new();

    public Device Device => Device.Reference;

    public MemoryStats Memory => new(HostAllocator.LiveBuffers, HostAllocator.LiveBytes, HostAllocator.PooledBytes, HostAllocator.PeakLiveBytes);

    /// <summary>Resets the host allocator's peak, which Cpu and Reference share: resetting one resets both.</summary>
    public void ResetPeakMemoryStats() => HostAllocator.ResetPeak();

    /// <summary>Kernels run on the calling thread, so there is nothing to wait for.</summary>
    public void Synchronize()
    {
    }

    public Storage Allocate(DType dtype, int length, bool zero = false) => new HostStorage(dtype, length, Device, zero);

    public void Write(Storage destination, ReadOnlySpan<byte> source) => source.CopyTo(((HostStorage)destination).AsBytes());

    public void Read(Storage source, Span<byte> destination) => ((HostStorage)source).AsBytes()[..destination.Length].CopyTo(destination);

    public void Fill(Strided y, double value)
    {
        for (int i = 0, n = y.Count; i < n; i++) Set(y.Storage, OffsetOf(i, y), value);
    }

    public void Copy(Strided x, Strided y)
    {
        for (int i = 0, n = y.Count; i < n; i++) CopyElement(x.Storage, OffsetOf(i, x), y.Storage, OffsetOf(i, y));
    }

    public void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset)
    {
        bool single = y.DType != DType.Float64;
        for (int i = 0, n = y.Count; i < n; i++)
            Set(y.Storage, OffsetOf(i, y), Philox.Sample(kind, a, b, seed, offset + (ulong)i, single));
    }
}
