// A storage in device memory: an OpenCL buffer borrowed from the device's pool.
namespace DotGrad.Backends.OpenCL;

/// <summary>
/// A storage backed by an OpenCL buffer (<c>cl_mem</c>) of at least <see cref="Storage.Bytes"/> bytes. The
/// buffer goes back to <see cref="OpenCLAllocator"/> when the last view is released, not to the driver.
/// </summary>
public sealed class OpenCLStorage : Storage
{
    private readonly OpenCLAllocator _allocator;
    private readonly nint _buffer;

    internal OpenCLStorage(DType dtype, int length, Device device, OpenCLAllocator allocator, nint buffer, long capacity)
        : base(dtype, length, device)
    {
        _allocator = allocator;
        _buffer = buffer;
        Capacity = capacity;
    }

    /// <summary>The buffer's size in bytes (a pool size class, so at least <see cref="Storage.Bytes"/>).</summary>
    public long Capacity { get; }

    /// <summary>The <c>cl_mem</c> handle; valid while the storage is alive.</summary>
    internal nint Buffer => IsReleased
        ? throw new ObjectDisposedException(nameof(OpenCLStorage), "the tensor's device storage was released (the tensor was disposed)")
        : _buffer;

    protected override void Free() => _allocator.Return(_buffer, Capacity);
}
