// Profiler: the rows of a known sequence of ops (calls, phases, exact matrix-product FLOPs), nothing recorded without
// an active profiler or while suspended, nested profilers, one profiler per async flow, the table and CSV, the memory peak.
using DotGrad;
using DotGrad.Backends;

namespace DotGrad.Tests.Autograd;

[NonParallelizable] // a profiler restarts the host allocator's peak statistics, which other tests measure
public class ProfilerTests
{
    private static Tensor Leaf(params int[] shape) => Tensor.Randn(shape, new Generator(3), DType.Float32).RequireGrad();

    private static ProfileRow Row(Profiler p, string name, ProfilePhase phase) =>
        p.Rows.SingleOrDefault(r => r.Name == name && r.Phase == phase)
        ?? throw new AssertionException($"no {name} {phase} row in\n{p.Table()}");

    // [4, 5] @ [5, 6] @ [6, 7] @ [7, 3], then a sum: 2 (4*5*6 + 4*6*7 + 4*7*3) = 744 FLOPs of products.
    private static void ThreeMatMulsAndASum(bool backward)
    {
        var (a, b, c, d) = (Leaf(4, 5), Leaf(5, 6), Leaf(6, 7), Leaf(7, 3));
        var y = a.MatMul(b).MatMul(c).MatMul(d).Sum();
        if (backward) y.Backward();
    }

    [Test]
    public void KnownSequence_GivesForwardAndBackwardRows_WithCallsAndExactMatMulFlops()
    {
        using var prof = Profiler.Start();
        ThreeMatMulsAndASum(backward: true);

        var mmF = Row(prof, "matmul", ProfilePhase.Forward);
        Assert.That(mmF.Calls, Is.EqualTo(3));
        Assert.That(mmF.Flops, Is.EqualTo(744));
        // Each product's backward is two products of its size (dA = dC B^T, dB = A^T dC): twice the forward's FLOPs.
        var mmB = Row(prof, "matmul", ProfilePhase.Backward);
        Assert.That(mmB.Calls, Is.EqualTo(3));
        Assert.That(mmB.Flops, Is.EqualTo(2 * 744));
        var sumF = Row(prof, "sum", ProfilePhase.Forward);
        Assert.That(sumF.Calls, Is.EqualTo(1));
        Assert.That(sumF.Flops, Is.EqualTo(4 * 3), "a reduction counts its input's elements");
        Assert.That(Row(prof, "sum", ProfilePhase.Backward).Calls, Is.EqualTo(1));

        Assert.That(mmF.TotalMs, Is.GreaterThan(0));
        Assert.That(mmF.MeanMs, Is.EqualTo(mmF.TotalMs / 3).Within(1e-12));
        Assert.That(mmF.GflopPerSecond, Is.EqualTo(744 / (mmF.TotalMs * 1e6)).Within(1e-9));
        var rows = prof.Rows;
        Assert.That(rows.Select(r => r.TotalMs), Is.Ordered.Descending, "sorted by total time");
        Assert.That(rows.Select(r => (r.Name, r.Phase)), Is.Unique);
    }

    [Test]
    public void BackwardKernels_FoldIntoTheirNode_SoForwardRowsAreOnlyTheForwardPass()
    {
        using var prof = Profiler.Start();
        ThreeMatMulsAndASum(backward: false);
        var forwardOnly = prof.Rows.Where(r => r.Phase == ProfilePhase.Forward).ToDictionary(r => r.Name, r => r.Calls);
        Assert.That(prof.Rows.Where(r => r.Phase == ProfilePhase.Backward), Is.Empty, "no backward pass ran");

        using var second = Profiler.Start();
        ThreeMatMulsAndASum(backward: true);
        var forward = second.Rows.Where(r => r.Phase == ProfilePhase.Forward).ToDictionary(r => r.Name, r => r.Calls);
        Assert.That(forward, Is.EqualTo(forwardOnly), "the backward's own products are not forward rows");
    }

    [Test]
    public void WithoutAnActiveProfiler_NothingIsRecorded()
    {
        var prof = Profiler.Start();
        prof.Dispose();
        Assert.That(Profiler.Active, Is.Null);
        ThreeMatMulsAndASum(backward: true);
        Assert.That(prof.Rows, Is.Empty);

        using var live = Profiler.Start();
        using (Profiler.Suspend())
        {
            Assert.That(Profiler.Active, Is.Null);
            ThreeMatMulsAndASum(backward: true);
        }
        Assert.That(live.Rows, Is.Empty, "suspended work is not recorded");
        Assert.That(Profiler.Active, Is.SameAs(live));
        _ = Leaf(2, 2).MatMul(Leaf(2, 2));
        Assert.That(Row(live, "matmul", ProfilePhase.Forward).Calls, Is.EqualTo(1), "recording resumes");
    }

    [Test]
    public void NestedProfilers_TheInnermostRecords_AndHandsItsRowsToTheOuter()
    {
        using var outer = Profiler.Start();
        _ = Leaf(2, 2).MatMul(Leaf(2, 2));
        using (var inner = Profiler.Start())
        {
            Assert.That(Profiler.Active, Is.SameAs(inner));
            ThreeMatMulsAndASum(backward: false);
            Assert.That(Row(inner, "matmul", ProfilePhase.Forward).Calls, Is.EqualTo(3));
            Assert.That(Row(outer, "matmul", ProfilePhase.Forward).Calls, Is.EqualTo(1), "the outer waits for the inner's rows");
        }
        Assert.That(Profiler.Active, Is.SameAs(outer));
        Assert.That(Row(outer, "matmul", ProfilePhase.Forward).Calls, Is.EqualTo(4));
        Assert.That(Row(outer, "matmul", ProfilePhase.Forward).Flops, Is.EqualTo(2 * 2 * 2 * 2 + 744));
    }

    [Test]
    public void TwoFlows_EachRecordIntoTheirOwnProfiler()
    {
        using var barrier = new Barrier(2);
        Profiler Work(int products) => Task.Run(() =>
        {
            var prof = Profiler.Start();
            barrier.SignalAndWait(); // both profilers are active at once
            for (int i = 0; i < products; i++) _ = Leaf(8, 8).MatMul(Leaf(8, 8));
            barrier.SignalAndWait();
            prof.Dispose();
            return prof;
        }).Result;
        var tasks = new[] { Task.Run(() => Work(2)), Task.Run(() => Work(5)) };
        Task.WaitAll(tasks);
        Assert.That(Row(tasks[0].Result, "matmul", ProfilePhase.Forward).Calls, Is.EqualTo(2));
        Assert.That(Row(tasks[1].Result, "matmul", ProfilePhase.Forward).Calls, Is.EqualTo(5));
        Assert.That(Profiler.Active, Is.Null, "the test's own flow never had one");
    }

    [Test]
    public void Table_HasTheColumns_AndOneLinePerRow_AndCsvTheSameRows()
    {
        using var prof = Profiler.Start();
        ThreeMatMulsAndASum(backward: true);
        string table = prof.Table();
        var lines = table.TrimEnd('\n').Split('\n');
        Assert.That(lines[0], Is.EqualTo(Profiler.Header));
        foreach (var column in new[] { "op", "phase", "calls", "total ms", "mean ms", "%", "GFLOP", "GFLOP/s" })
            Assert.That(lines[0], Does.Contain(column));
        Assert.That(lines, Has.Length.EqualTo(prof.Rows.Count + 2), "header, rows, total");
        Assert.That(lines.Count(l => l.StartsWith("matmul ", StringComparison.Ordinal) && l.Contains(" forward ")), Is.EqualTo(1));
        Assert.That(lines.Count(l => l.StartsWith("matmul ", StringComparison.Ordinal) && l.Contains(" backward ")), Is.EqualTo(1));
        Assert.That(lines[^1], Does.StartWith("total ").And.Contain("memory peak"));

        var csv = prof.Csv().TrimEnd('\n').Split('\n');
        Assert.That(csv[0], Is.EqualTo("op,phase,calls,total_ms,mean_ms,percent,gflop,gflop_per_s"));
        Assert.That(csv.Skip(1).Select(l => l.Split(',')[0] + "/" + l.Split(',')[1]),
                    Is.EqualTo(prof.Rows.Select(r => r.Name + "/" + r.Phase.ToString().ToLowerInvariant())));
        double share = csv.Skip(1).Sum(l => double.Parse(l.Split(',')[5], System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(share, Is.EqualTo(100).Within(1e-6), "nothing is counted twice");
    }

    [Test]
    public void PeakBytes_CoversWhatTheScopeAllocated()
    {
        using var prof = Profiler.Start(Device.Cpu);
        long before = prof.PeakAddedBytes;
        using (var big = Tensor.Zeros([1 << 20], DType.Float32)) // 4 MiB live at once
        {
            Assert.That(prof.PeakAddedBytes, Is.GreaterThanOrEqualTo(before + 4L * (1 << 20)));
        }
        prof.Dispose();
        Assert.That(prof.PeakBytes, Is.GreaterThanOrEqualTo(4L * (1 << 20)), "read once at disposal and kept");
    }
}
