// Storage in host memory, shared by the Cpu and Reference backends.
using System.Runtime.CompilerServices;

namespace DotGrad.Backends;

/// <summary>A storage in 64-byte-aligned native host memory from <see cref="HostAllocator"/>.</summary>
public sealed unsafe class HostStorage : Storage
{
    private readonly nint _pointer;
    private readonly long _capacity;

    public HostStorage(DType dtype, int length, Device device, bool zero = false) : base(dtype, length, device)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "HostStorage: the length must be >= 0");
        (_pointer, _capacity) = HostAllocator.Allocate(Bytes);
        if (zero) new Span<byte>((void*)_pointer, checked((int)Bytes)).Clear();
    }

    /// <summary>The first element's address; valid while the storage is alive.</summary>
    public void* Pointer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (IsReleased) throw new ObjectDisposedException(nameof(HostStorage), "the tensor's storage was released (the tensor was disposed)");
            return (void*)_pointer;
        }
    }

    /// <summary>All elements as a span of <typeparamref name="T"/> (whose size must match the dtype's).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (sizeof(T) != DType.ElementSize())
            throw new InvalidOperationException($"HostStorage.AsSpan: element type {typeof(T).Name} does not match dtype {DType}");
        return new Span<T>(Pointer, Length);
    }

    public Span<byte> AsBytes() => new(Pointer, checked((int)Bytes));

    protected override void Free() => HostAllocator.Free(_pointer, _capacity);
}
