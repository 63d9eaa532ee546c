// The CPU kernels' persistent fork-join pool: every chunk runs exactly once, failures come back as themselves, nested
// and concurrent calls neither deadlock nor exceed the thread limit, and one thread means the caller's thread only.
using System.Collections.Concurrent;
using DotGrad.Backends.Cpu;

namespace DotGrad.Tests.Backends;

public class WorkerPoolTests
{
    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(7, 2)]
    [TestCase(1000, 4)]
    [TestCase(3, 16)]
    public void EveryChunk_RunsExactlyOnce(int chunks, int threads)
    {
        for (int round = 0; round < 50; round++) // repeated: a late worker must not rerun an old job's chunks
        {
            var counts = new int[chunks];
            WorkerPool.Run(chunks, threads, i => Interlocked.Increment(ref counts[i]));
            Assert.That(counts, Is.All.EqualTo(1), $"round {round}");
        }
    }

    [Test]
    public void NoChunks_RunNothing()
    {
        int calls = 0;
        WorkerPool.Run(0, 4, _ => calls++);
        Assert.That(calls, Is.Zero);
    }

    [Test]
    public void AFailingChunk_IsRethrownAsItself_AndThePoolStillWorks()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() =>
            WorkerPool.Run(64, 2, i =>
            {
                if (i == 37) throw new IndexOutOfRangeException("chunk 37");
            }));
        Assert.That(ex!.Message, Is.EqualTo("chunk 37"));
        var counts = new int[64];
        WorkerPool.Run(64, 2, i => Interlocked.Increment(ref counts[i]));
        Assert.That(counts, Is.All.EqualTo(1));
    }

    [Test]
    public void ANestedCall_RunsInline_WithoutDeadlock()
    {
        var counts = new int[8, 16];
        var task = Task.Run(() =>
            WorkerPool.Run(8, 4, i =>
            {
                int thread = Environment.CurrentManagedThreadId;
                WorkerPool.Run(16, 4, j =>
                {
                    Assert.That(Environment.CurrentManagedThreadId, Is.EqualTo(thread), "a nested call stays on its thread");
                    Interlocked.Increment(ref counts[i, j]);
                });
            }));
        Assert.That(task.Wait(TimeSpan.FromSeconds(60)), Is.True, "nested calls finished");
        Assert.That(counts.Cast<int>(), Is.All.EqualTo(1));
    }

    [Test]
    public void CallsFromSeveralThreadsAtOnce_EachRunAllTheirChunks()
    {
        var totals = new long[6];
        var tasks = Enumerable.Range(0, 6).Select(c => Task.Run(() =>
        {
            for (int round = 0; round < 200; round++)
                WorkerPool.Run(10, 2, i => Interlocked.Add(ref totals[c], i + 1));
        })).ToArray();
        Assert.That(Task.WaitAll(tasks, TimeSpan.FromSeconds(120)), Is.True);
        Assert.That(totals, Is.All.EqualTo(200L * 55));
    }

    [Test]
    public void OneThread_RunsEverythingOnTheCaller()
    {
        var threads = new ConcurrentBag<int>();
        WorkerPool.Run(100, 1, _ => threads.Add(Environment.CurrentManagedThreadId));
        Assert.That(threads.Distinct(), Is.EqualTo(new[] { Environment.CurrentManagedThreadId }));
    }

    [Test]
    public void AJob_UsesAtMostItsThreadCount()
    {
        for (int round = 0; round < 20; round++)
        {
            var threads = new ConcurrentDictionary<int, bool>();
            WorkerPool.Run(200, 2, _ =>
            {
                threads[Environment.CurrentManagedThreadId] = true;
                Thread.SpinWait(2000);
            });
            Assert.That(threads.Count, Is.LessThanOrEqualTo(2), $"round {round}");
        }
    }
}
