// ShapeTrace: the ops autograd records, with names and shapes in order; nothing under NoGrad or for tensors that need
// no gradient; nested traces (the innermost logs); the live writer; nothing after the trace is disposed.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

public class ShapeTraceTests
{
    private static Tensor Leaf(params int[] shape) => Tensor.Randn(shape, new Generator(1), DType.Float64).RequireGrad();

    [Test]
    public void Trace_ListsRecordedOps_WithNamesAndShapesInOrder()
    {
        var a = Leaf(2, 3);
        var b = Leaf(3);
        using var trace = ShapeTrace.Start();
        var y = (a * b).Exp().MatMul(Leaf(3, 4)).Sum();                  // b broadcast through Expand
        var ops = trace.Ops;

        Assert.That(ops.Select(o => o.Name), Is.EqualTo(new[] { "Expand", "Mul", "Exp", "MatMul", "Sum" }), trace.ToString());
        Assert.That(ops.Select(o => o.Index), Is.EqualTo(Enumerable.Range(0, 5)));
        Assert.That(ops[0].Inputs, Is.EqualTo(new[] { new[] { 3 } }));
        Assert.That(ops[0].Output, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(ops[1].Inputs, Is.EqualTo(new[] { new[] { 2, 3 }, new[] { 2, 3 } }));
        Assert.That(ops[3].Inputs, Is.EqualTo(new[] { new[] { 2, 3 }, new[] { 3, 4 } }));
        Assert.That(ops[3].Output, Is.EqualTo(new[] { 2, 4 }));
        Assert.That(ops[4].Output, Is.Empty, "a full sum is a scalar");
        Assert.That(ops.Select(o => o.DType), Is.All.EqualTo(DType.Float64));
        Assert.That(ops[^1].Output, Is.EqualTo(y.Shape));

        var lines = trace.ToString().TrimEnd('\n').Split('\n');
        Assert.That(lines[0], Is.EqualTo(ShapeTrace.Header));
        Assert.That(lines[1..], Is.EqualTo(ops.Select(o => o.ToString())));
        Assert.That(lines[4], Does.Contain("MatMul").And.Contain("[2, 3], [3, 4]").And.Contain("-> [2, 4]"));
    }

    [Test]
    public void Trace_SeesNothing_UnderNoGrad_OrForTensorsThatNeedNoGradient()
    {
        var a = Leaf(2, 2);
        var data = Tensor.Randn([2, 2], new Generator(2), DType.Float64);
        using var trace = ShapeTrace.Start();
        using (AG.NoGrad()) _ = (a * a).Exp();
        _ = (data * data).Exp();                                          // nothing requires grad: not recorded
        Assert.That(trace.Ops, Is.Empty, trace.ToString());

        _ = a.Exp();
        Assert.That(trace.Ops.Select(o => o.Name), Is.EqualTo(new[] { "Exp" }), "recording resumes after NoGrad");
    }

    [Test]
    public void NestedTraces_TheInnermostLogs_ThenTheOuterAgain()
    {
        var a = Leaf(2);
        using var outer = ShapeTrace.Start();
        _ = a.Exp();
        using (var inner = ShapeTrace.Start())
        {
            _ = a.Sin();
            _ = a.Cos();
            Assert.That(inner.Ops.Select(o => o.Name), Is.EqualTo(new[] { "Sin", "Cos" }));
            Assert.That(inner.Ops[0].Index, Is.EqualTo(0), "each trace numbers its own ops");
        }
        _ = a.Tanh();
        Assert.That(outer.Ops.Select(o => o.Name), Is.EqualTo(new[] { "Exp", "Tanh" }));
        Assert.That(outer.Ops.Select(o => o.Index), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void LiveWriter_GetsTheHeaderAndEachRowAsItHappens()
    {
        var a = Leaf(3);
        using var live = new StringWriter();
        using var trace = ShapeTrace.Start(live);
        Assert.That(live.ToString().TrimEnd(), Is.EqualTo(ShapeTrace.Header.TrimEnd()), "the header comes first, before any op");
        _ = a.Exp();
        Assert.That(live.ToString().ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'), Has.Length.EqualTo(2), "one row per op, at once");
        _ = a.Sum();
        Assert.That(live.ToString().ReplaceLineEndings("\n"), Is.EqualTo(trace.ToString()), "the live rows are the table");
    }

    [Test]
    public void DisposedTrace_LogsNothingMore()
    {
        var a = Leaf(2);
        var trace = ShapeTrace.Start();
        _ = a.Exp();
        trace.Dispose();
        _ = a.Sin();
        trace.Dispose();                                                  // twice is harmless
        Assert.That(trace.Ops.Select(o => o.Name), Is.EqualTo(new[] { "Exp" }));
    }
}
