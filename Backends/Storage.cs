// A flat buffer of elements owned by one device; tensors are strided views over it.
namespace DotGrad.Backends;

/// <summary>
/// A flat buffer of <see cref="Length"/> elements of one dtype on one device. Several tensors (views) may
/// share one storage: each holds a reference, and the buffer goes back to its allocator when the last is
/// released (<see cref="Release"/>) or, as a safety net, when the garbage collector finalizes it.
/// </summary>
public abstract class Storage
{
    private int _refs = 1;
    private int _version;

    /// <summary>
    /// How many in-place writes this memory has had (PyTorch's version counter, shared by every view of it). A graph
    /// node notes the versions of the tensors its backward reads, and the backward refuses to run on changed ones.
    /// </summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Counts one in-place write into this memory.</summary>
    internal void BumpVersion() => Interlocked.Increment(ref _version);

    protected Storage(DType dtype, int length, Device device)
    {
        DType = dtype;
        Length = length;
        Device = device;
    }

    public DType DType { get; }
    public int Length { get; }
    public Device Device { get; }
    public long Bytes => (long)Length * DType.ElementSize();
    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    /// <summary>Adds a holder (a new view over this storage).</summary>
    public void Retain()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException(nameof(Storage), "Storage.Retain: the storage was already released; a disposed tensor cannot be viewed");
    }

    /// <summary>Drops a holder; the last one frees the buffer.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            Free();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Returns the buffer to its allocator. Called exactly once.</summary>
    protected abstract void Free();

    ~Storage()
    {
        if (Volatile.Read(ref _refs) > 0) Free();
    }
}
