// What a device's allocator holds: the numbers a memory-flatness test, an activation-memory measurement and a curious
// user look at.
namespace DotGrad.Backends;

/// <summary>
/// A snapshot of one allocator. Live buffers are held by storages that are alive; pooled ones were freed and are
/// kept for reuse. Cpu and Reference share the host allocator, so they report the same numbers.
/// <para><see cref="LiveBytes"/> is PyTorch's <c>torch.cuda.memory_allocated</c> and <see cref="PeakLiveBytes"/> its
/// <c>torch.cuda.max_memory_allocated</c>: the high-water mark of LiveBytes since the allocator started or since the
/// last <see cref="IBackend.ResetPeakMemoryStats"/>. Both count whole size classes (the allocator's block size for
/// each request, at most 12.5% above it on the host), so they sit slightly above what tensors asked for; keeping
/// them in blocks makes LiveBytes + PooledBytes the memory the allocator holds.</para>
/// </summary>
public readonly record struct MemoryStats(long LiveBuffers, long LiveBytes, long PooledBytes, long PeakLiveBytes)
{
    public override string ToString() => $"{LiveBuffers} live buffers, {LiveBytes} live bytes (peak {PeakLiveBytes}), {PooledBytes} pooled bytes";
}
