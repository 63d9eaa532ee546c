// An op profiler: while one is active, every kernel call of the tensor layer and every node of a backward pass is timed
// and counted, so a training step can be read as a table of where its time goes (like torch.profiler's key_averages).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DotGrad.Backends;

namespace DotGrad;

/// <summary>Whether a profiled row ran outside a backward pass (an op called by user code, a model or an optimizer) or inside one.</summary>
public enum ProfilePhase
{
    /// <summary>An op called outside a backward pass: forward passes, losses, optimizer updates.</summary>
    Forward,
    /// <summary>One graph node's backward, with every kernel it ran folded into its row.</summary>
    Backward,
}

/// <summary>
/// One row of a <see cref="Profiler"/>: an op in one phase, how often it ran, its total wall time and the floating-point
/// operations it did when known (null for ops that only move or fill data: copies, gathers, fills).
/// </summary>
public sealed record ProfileRow(string Name, ProfilePhase Phase, long Calls, double TotalMs, long? Flops)
{
    /// <summary>Mean wall time per call in milliseconds.</summary>
    public double MeanMs => Calls == 0 ? 0 : TotalMs / Calls;

    /// <summary>Achieved GFLOP/s (FLOPs over wall time), or null when the FLOPs are unknown or no time was measured.</summary>
    public double? GflopPerSecond => Flops is { } f && TotalMs > 0 ? f / (TotalMs * 1e6) : null;
}

/// <summary>
/// <c>using var prof = Profiler.Start(); ...; Console.Write(prof.Table());</c> times every op run in this async flow
/// until it is disposed, like PyTorch's <c>torch.profiler.profile</c> and its <c>key_averages().table()</c>.
/// <para>Rows: outside a backward pass each kernel call of the tensor layer is one call of a
/// <see cref="ProfilePhase.Forward"/> row named after the kernel (<c>matmul</c>, <c>add</c>, <c>softmax</c>, ...); inside
/// a backward pass each graph node's backward is one call of a <see cref="ProfilePhase.Backward"/> row named after its
/// function in lower case (<c>matmul</c>, <c>add</c>, <c>layernormfused</c>), and the kernels it runs are folded into
/// that row (their time and FLOPs), so no time is counted twice and the shares add up to 100%. The backward pass has
/// three rows of its own besides: <c>accumulategrad</c> (the sums of gradients between nodes and into leaves),
/// <c>seed</c> (the implicit gradient 1 of a one-element output) and <c>hook</c> (gradient hooks on nodes). A kernel
/// that calls another (a cast inside an add) is one call of the outer kernel.</para>
/// <para>FLOPs: 2·M·N·K per matrix product (summed over batches); one per output element for elementwise ops, one per
/// input element for reductions; softmax and layer norm count five per element. Data movement counts none.</para>
/// <para>Times are host wall times. On a device with a queue (OpenCL) the profiler waits for the queue after each kernel
/// (<see cref="IBackend.Synchronize"/>), so a row's time is the kernel's, measured on the host after the queue finishes
/// (launch and wait included). Device times from OpenCL profiling events are not used: the backend's queue is created
/// without profiling and enqueues its kernels without events, and timing them would mean an event on every enqueue.
/// The waits make a profiled OpenCL run slower than an unprofiled one.</para>
/// <para>Memory: <see cref="Start"/> resets the peak memory statistics of the devices it watches (the CPU by default;
/// <see cref="IBackend.ResetPeakMemoryStats"/>, so a caller's own peak measurement restarts too) and
/// <see cref="PeakBytes"/> is the high-water mark of live bytes since then.</para>
/// <para>Scope: the active profiler is carried by the async flow (an <see cref="AsyncLocal{T}"/>), so two threads or
/// tasks started independently each have their own, and a task started inside a profiled flow records into its
/// parent's (rows are added under a lock). Profilers nest: the innermost records, and when it is disposed its rows
/// are added to the one it interrupted, so the outer scope still accounts for everything. With no profiler active
/// an op pays one read of a static counter (and the evaluation of its name and FLOP count).</para>
/// </summary>
public sealed class Profiler : IDisposable
{
    private static readonly AsyncLocal<Profiler?> Current = new();
    private static int _active; // profilers alive anywhere: zero means no op looks further

    // The frames of the kernels and backward nodes running on this thread: an inner one adds to its outer one.
    [ThreadStatic] private static Frame? _top;

    private readonly Profiler? _outer;
    private readonly IBackend[] _backends;
    private readonly long[] _baseline;
    private readonly Dictionary<(string, ProfilePhase), Acc> _rows = [];
    private readonly object _lock = new();
    private long _peak;
    private long _peakSeen; // the peak seen before an inner profiler (or a caller, during a suspension) reset the statistics
    private bool _disposed;

    private sealed class Acc
    {
        public long Calls, Ticks, Flops;
        public bool FlopsKnown;
    }

    private sealed class Frame(Frame? outer)
    {
        public readonly Frame? Outer = outer;
        public long Flops;
        public bool FlopsKnown;
    }

    private Profiler(Device[] devices)
    {
        _backends = devices.Select(Backend.For).Distinct().ToArray();
        // Resetting the peak would hide the enclosing profilers' high-water marks: they keep what they saw so far.
        for (var p = Current.Value; p is not null; p = p._outer) p._peakSeen = Math.Max(p._peakSeen, p.PeakBytes);
        foreach (var b in _backends) b.ResetPeakMemoryStats();
        _baseline = _backends.Select(b => b.Memory.LiveBytes).ToArray();
        _outer = Current.Value;
        Current.Value = this;
        Interlocked.Increment(ref _active);
    }

    /// <summary>Starts profiling this async flow; <paramref name="devices"/> are those whose memory peak is watched (the CPU when none are given).</summary>
    public static Profiler Start(params Device[] devices) => new(devices.Length == 0 ? [Device.Cpu] : devices);

    /// <summary>
    /// Stops recording in this async flow until the result is disposed (work that should not count, such as an
    /// evaluation between profiled training steps). The profilers keep the memory peak they saw so far, so the
    /// suspended work may reset the devices' peak statistics (<see cref="IBackend.ResetPeakMemoryStats"/>) to leave its
    /// own memory out; otherwise the device's high-water mark, and so <see cref="PeakBytes"/>, includes it.
    /// </summary>
    public static IDisposable Suspend()
    {
        var current = Current.Value;
        for (var p = current; p is not null; p = p._outer) p._peakSeen = Math.Max(p._peakSeen, p.PeakBytes);
        Current.Value = null;
        return new Resume(current);
    }

    private sealed class Resume(Profiler? profiler) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            if (profiler is { _disposed: false }) Current.Value = profiler;
        }
    }

    /// <summary>The profiler recording in this async flow now, or null.</summary>
    public static Profiler? Active => Volatile.Read(ref _active) == 0 ? null : Current.Value;

    /// <summary>The rows so far, sorted by total time, longest first.</summary>
    public IReadOnlyList<ProfileRow> Rows
    {
        get
        {
            lock (_lock)
                return _rows.Select(kv => new ProfileRow(kv.Key.Item1, kv.Key.Item2, kv.Value.Calls,
                                                         kv.Value.Ticks * 1000.0 / Stopwatch.Frequency,
                                                         kv.Value.FlopsKnown ? kv.Value.Flops : null))
                            .OrderByDescending(r => r.TotalMs).ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Phase).ToList();
        }
    }

    /// <summary>
    /// The high-water mark of live bytes on the watched devices (summed over them) since the profiler started, as
    /// <see cref="MemoryStats.PeakLiveBytes"/>; read when the profiler was disposed, or now while it runs.
    /// </summary>
    public long PeakBytes => _disposed ? _peak : Math.Max(_peakSeen, _backends.Sum(b => b.Memory.PeakLiveBytes));

    /// <summary>The peak minus what was live when the profiler started: what the profiled code added at its worst.</summary>
    public long PeakAddedBytes => Math.Max(0, PeakBytes - _baseline.Sum());

    /// <summary>The column titles of <see cref="Table"/>.</summary>
    public static string Header =>
        $"{"op",-24} {"phase",-8} {"calls",8} {"total ms",10} {"mean ms",9} {"%",6} {"GFLOP",9} {"GFLOP/s",8}";

    /// <summary>The table: a header, one line per row sorted by total time, a total line and the memory peak.</summary>
    public string Table()
    {
        var rows = Rows;
        double total = rows.Sum(r => r.TotalMs);
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var r in rows)
        {
            string share = total > 0 ? (100 * r.TotalMs / total).ToString("F1", CultureInfo.InvariantCulture) : "-";
            string gflop = r.Flops is { } f ? (f / 1e9).ToString("F3", CultureInfo.InvariantCulture) : "-";
            string rate = r.GflopPerSecond is { } g ? g.ToString("F1", CultureInfo.InvariantCulture) : "-";
            sb.Append(CultureInfo.InvariantCulture,
                      $"{r.Name,-24} {r.Phase.ToString().ToLowerInvariant(),-8} {r.Calls,8} {r.TotalMs,10:F3} {r.MeanMs,9:F4} {share,6} {gflop,9} {rate,8}\n");
        }
        long flops = rows.Sum(r => r.Flops ?? 0);
        sb.Append(CultureInfo.InvariantCulture, $"total {total:F3} ms, {flops / 1e9:F3} GFLOP");
        sb.Append(CultureInfo.InvariantCulture, $"; memory peak {PeakBytes / 1048576.0:F1} MiB ({PeakAddedBytes / 1048576.0:F1} MiB above the start)\n");
        return sb.ToString();
    }

    /// <summary>The rows as CSV (header: op,phase,calls,total_ms,mean_ms,percent,gflop,gflop_per_s), sorted by total time.</summary>
    public string Csv()
    {
        var rows = Rows;
        double total = rows.Sum(r => r.TotalMs);
        var sb = new StringBuilder("op,phase,calls,total_ms,mean_ms,percent,gflop,gflop_per_s\n");
        foreach (var r in rows)
            sb.Append(CultureInfo.InvariantCulture,
                      $"{r.Name},{r.Phase.ToString().ToLowerInvariant()},{r.Calls},{r.TotalMs:R},{r.MeanMs:R},{(total > 0 ? 100 * r.TotalMs / total : 0):R}," +
                      $"{(r.Flops is { } f ? (f / 1e9).ToString("R", CultureInfo.InvariantCulture) : "")}," +
                      $"{(r.GflopPerSecond is { } g ? g.ToString("R", CultureInfo.InvariantCulture) : "")}\n");
        return sb.ToString();
    }

    /// <summary>
    /// Times one kernel call on <paramref name="on"/>'s device (outside a backward pass, a forward row; inside one, folded
    /// into the node's row). The tensor, not its backend, is passed so that an unprofiled call looks nothing up.
    /// </summary>
    internal static Scope Op(string name, long? flops, Tensor on) =>
        Volatile.Read(ref _active) == 0 || Current.Value is not { } p ? default : new Scope(p, name, ProfilePhase.Forward, flops, on.Backend);

    /// <summary>Times one graph node's backward (its kernels fold into it); the row is named <paramref name="function"/> in lower case.</summary>
    internal static Scope BackwardOf(string function) =>
        Volatile.Read(ref _active) == 0 || Current.Value is not { } p ? default : new Scope(p, function.ToLowerInvariant(), ProfilePhase.Backward, null, null);

    /// <summary>A running measurement; the default value (no profiler) does nothing.</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly Profiler? _profiler;
        private readonly string _name;
        private readonly ProfilePhase _phase;
        private readonly IBackend? _backend;
        private readonly Frame? _frame;
        private readonly long _start;

        internal Scope(Profiler profiler, string name, ProfilePhase phase, long? flops, IBackend? backend)
        {
            _profiler = profiler;
            _name = name;
            _phase = phase;
            _backend = backend;
            _frame = new Frame(_top) { Flops = flops ?? 0, FlopsKnown = flops is not null };
            _top = _frame;
            _start = Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (_profiler is null || _frame is null) return;
            _backend?.Synchronize(); // a queued kernel counts when it has finished
            long ticks = Stopwatch.GetTimestamp() - _start;
            _top = _frame.Outer;
            if (_frame.Outer is { } outer)
            {
                // Inside another kernel or a backward node: its FLOPs are the outer one's, its time already inside it.
                outer.Flops += _frame.Flops;
                outer.FlopsKnown |= _frame.FlopsKnown;
                return;
            }
            _profiler.Add(_name, _phase, 1, ticks, _frame.Flops, _frame.FlopsKnown);
        }
    }

    private void Add(string name, ProfilePhase phase, long calls, long ticks, long flops, bool flopsKnown)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue((name, phase), out var acc)) _rows[(name, phase)] = acc = new Acc();
            acc.Calls += calls;
            acc.Ticks += ticks;
            acc.Flops += flops;
            acc.FlopsKnown |= flopsKnown;
        }
    }

    /// <summary>Stops recording; a profiler this one interrupted records again and receives these rows.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _peak = PeakBytes;
        _disposed = true;
        Interlocked.Decrement(ref _active);
        if (ReferenceEquals(Current.Value, this)) Current.Value = _outer;
        if (_outer is null) return;
        lock (_lock)
            foreach (var ((name, phase), acc) in _rows)
                _outer.Add(name, phase, acc.Calls, acc.Ticks, acc.Flops, acc.FlopsKnown);
    }
}
