// What a device's allocator holds: the numbers a memory-flatness test and a curious user look at.
namespace DotGrad.Backends;

/// <summary>
/// A snapshot of one allocator. Live buffers are held by storages that are alive; pooled ones were freed and are
/// kept for reuse. Cpu and Reference share the host allocator, so they report the same numbers.
/// </summary>
public readonly record struct MemoryStats(long LiveBuffers, long LiveBytes, long PooledBytes)
{
    public override string ToString() => $"{LiveBuffers} live buffers, {LiveBytes} live bytes, {PooledBytes} pooled bytes";
}
