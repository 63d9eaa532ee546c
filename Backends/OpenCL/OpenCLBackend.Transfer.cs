// Moving bytes between the host and the device. Uploads do not block: the bytes are staged in pooled host memory
// and the staging block is freed once the device has taken them. Reads block, and are where kernel errors surface.
using Silk.NET.OpenCL;

namespace DotGrad.Backends.OpenCL;

public sealed unsafe partial class OpenCLBackend
{
    // Uploads in flight: the event that completes each and the host block it reads from.
    private readonly List<(nint Event, nint Block, long Capacity)> _uploads = [];
    private readonly Lock _uploadLock = new();

    /// <summary>Queues a copy of <paramref name="source"/> into the start of the storage and returns at once.</summary>
    public void Write(Storage destination, ReadOnlySpan<byte> source)
    {
        if (source.Length == 0) return;
        ReapUploads(wait: false);
        var (block, capacity) = HostAllocator.Allocate(source.Length);
        source.CopyTo(new Span<byte>((void*)block, source.Length));
        nint done;
        int status = _api.EnqueueWriteBuffer(_queue, ((OpenCLStorage)destination).Buffer, false, 0, (nuint)source.Length, (void*)block, 0, null, &done);
        if (status != 0)
        {
            HostAllocator.Free(block, capacity);
            OpenCLException.Check(status, "clEnqueueWriteBuffer");
        }
        lock (_uploadLock) _uploads.Add((done, block, capacity));
        // Make sure the upload starts even if nothing else is queued after it.
        _api.Flush(_queue);
    }

    /// <summary>Copies the first bytes of a storage to the host, after every queued kernel; raises kernel-reported errors.</summary>
    public void Read(Storage source, Span<byte> destination)
    {
        if (destination.Length > 0)
            fixed (byte* p = destination)
                OpenCLException.Check(_api.EnqueueReadBuffer(_queue, ((OpenCLStorage)source).Buffer, true, 0, (nuint)destination.Length, p, 0, null, null), "clEnqueueReadBuffer");
        ReapUploads(wait: true);
        RaiseKernelErrors();
    }

    public void Synchronize()
    {
        OpenCLException.Check(_api.Finish(_queue), "clFinish");
        ReapUploads(wait: true);
        RaiseKernelErrors();
    }

    /// <summary>Frees the staging blocks of finished uploads (all of them when the queue has drained: <paramref name="wait"/>).</summary>
    private void ReapUploads(bool wait)
    {
        lock (_uploadLock)
        {
            for (int i = _uploads.Count - 1; i >= 0; i--)
            {
                var (done, block, capacity) = _uploads[i];
                if (!wait)
                {
                    int state = -1;
                    // CL_COMPLETE is 0 and a negative state is an error: both mean the device is done with the block.
                    // If the query itself fails, keep the block until the next wait.
                    if (_api.GetEventInfo(done, EventInfo.CommandExecutionStatus, sizeof(int), &state, null) != 0 || state > 0) continue;
                }
                else
                {
                    _api.WaitForEvents(1, &done);
                }
                _api.ReleaseEvent(done);
                HostAllocator.Free(block, capacity);
                _uploads.RemoveAt(i);
            }
        }
    }
}
