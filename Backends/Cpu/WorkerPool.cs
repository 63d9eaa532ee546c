// One persistent fork-join pool for the CPU kernels: the caller runs chunks itself while up to MaxThreads-1 long-lived
// workers take the rest, so a parallel op costs a wake-up, not a Parallel.For's task scheduling.
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace DotGrad.Backends.Cpu;

/// <summary>
/// Runs <c>body(0 .. chunks-1)</c>, each chunk exactly once, on the calling thread and up to <c>threads - 1</c> workers.
/// Chunks are claimed one at a time from a shared counter, so a core that is busy with something else holds nobody up.
/// Workers spin for a few tens of microseconds after a job (a training step issues the next op that soon) and then
/// sleep on a semaphore, so an idle process uses no CPU.
/// <para>A call made from inside a chunk (a kernel calling a kernel), or while another thread's job holds the pool, runs
/// its chunks inline on its own thread: never a deadlock, and never more threads than asked. The first exception a chunk
/// throws is rethrown to the caller as itself once every chunk has finished or been skipped.</para>
/// </summary>
internal static class WorkerPool
{
    /// <summary>How long an idle worker keeps polling for the next job before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 us

    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Signal = new(0);
    private static readonly List<Thread> Workers = [];
    private static volatile Job? _current;

    [ThreadStatic] private static bool _busy; // this thread is running a job's chunk, as caller or worker

    /// <summary>How many worker threads exist now (they are created when a job first needs them, and never end).</summary>
    public static int WorkerCount
    {
        get
        {
            lock (Workers) return Workers.Count;
        }
    }

    public static void Run(int chunks, int threads, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        int helpers = Math.Min(threads, chunks) - 1;
        if (helpers <= 0 || _busy || !Monitor.TryEnter(Gate))
        {
            RunInline(chunks, body);
            return;
        }
        var job = new Job(chunks, helpers, body);
        try
        {
            EnsureWorkers(helpers);
            _current = job;
            Signal.Release(helpers);
            _busy = true;
            job.Work();   // the caller takes chunks too, starting with chunk 0
            job.WaitDone();
        }
        finally
        {
            _busy = false;
            _current = null;
            Monitor.Exit(Gate);
        }
        if (job.Error is { } error) ExceptionDispatchInfo.Capture(error).Throw();
    }

    private static void RunInline(int chunks, Action<int> body)
    {
        for (int i = 0; i < chunks; i++) body(i);
    }

    private static void EnsureWorkers(int count)
    {
        lock (Workers)
            while (Workers.Count < count)
            {
                var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"DotGrad worker {Workers.Count + 1}" };
                Workers.Add(t);
                t.Start();
            }
    }

    private static void WorkerLoop()
    {
        _busy = true; // anything a worker runs that asks for the pool runs inline
        while (true)
        {
            if (!Signal.Wait(0))
            {
                long until = Stopwatch.GetTimestamp() + SpinTicks;
                bool woke = false;
                while (!woke && Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(30);
                    woke = Signal.Wait(0);
                }
                if (!woke) Signal.Wait();
            }
            // A late wake-up may find the job it was released for finished (or the next one running): it joins whatever
            // job is current, within that job's helper limit, or goes back to waiting.
            if (_current is { } job && job.TryJoin()) job.Work();
        }
    }

    /// <summary>One call's chunks: a claim counter, a completion counter, and the first failure.</summary>
    private sealed class Job(int chunks, int helpers, Action<int> body)
    {
        private readonly ManualResetEventSlim _done = new(false);
        private readonly int _chunks = chunks;
        private int _next = -1, _remaining = chunks, _joined;
        private Exception? _error;

        public Exception? Error => _error;

        /// <summary>A worker may join while the job has chunks left and fewer than its helper limit joined.</summary>
        public bool TryJoin() => Volatile.Read(ref _next) < _chunks - 1 && Interlocked.Increment(ref _joined) <= helpers;

        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next)) < _chunks)
            {
                if (Volatile.Read(ref _error) is null)
                {
                    try
                    {
                        body(i);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _error, e, null); // later chunks are skipped, not run
                    }
                }
                if (Interlocked.Decrement(ref _remaining) == 0) _done.Set();
            }
        }

        public void WaitDone()
        {
            // ManualResetEventSlim spins briefly before it blocks: the caller usually finishes last or nearly so.
            // (Not disposed: the thread that sets it may still be inside Set when the wait returns.)
            _done.Wait();
        }
    }
}
