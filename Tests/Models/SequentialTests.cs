// Sequential: the order it runs its modules in, PyTorch's names ("0.weight", or given names), indexing, appending and
// slicing, and state dicts through the safetensors checkpoint code.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class SequentialTests
{
    /// <summary>Linear(2, 2) -> ReLU -> Linear(2, 1) with hand-set Float64 weights (see RunsModulesInOrder for the arithmetic).</summary>
    private static Sequential HandNet()
    {
        var seq = new Sequential(new Linear(2, 2, dtype: DType.Float64), new ReLU(), new Linear(2, 1, dtype: DType.Float64));
        using var w1 = Tensor.FromArray(new[] { 1.0, -1, 2, 0 }, [2, 2]);
        using var b1 = Tensor.FromArray(new[] { 0.5, -1 }, [2]);
        using var w2 = Tensor.FromArray(new[] { 1.0, 1 }, [1, 2]);
        using var b2 = Tensor.FromArray(new[] { -10.0 }, [1]);
        seq.LoadStateDict(new Dictionary<string, Tensor> { ["0.weight"] = w1, ["0.bias"] = b1, ["2.weight"] = w2, ["2.bias"] = b2 });
        return seq;
    }

    [Test]
    public void RunsModulesInOrder()
    {
        using var seq = HandNet();
        using var x = Tensor.FromArray(new[] { 3.0, 1, 1, 3 }, [2, 2]);
        // Row [3, 1]: W1 x = [3 - 1, 6] = [2, 6], + b1 = [2.5, 5], ReLU keeps it, W2 . = 7.5, + b2 = -2.5.
        // Row [1, 3]: W1 x = [1 - 3, 2] = [-2, 2], + b1 = [-1.5, 1], ReLU [0, 1], W2 . = 1, + b2 = -9.
        Check.Close(seq.Call(x), [2, 1], [-2.5, -9], atol: 1e-15);
        // The reverse order is another function: the order is what Call follows.
        Assert.That(seq.Select(m => m.GetType().Name), Is.EqualTo(new[] { "Linear", "ReLU", "Linear" }));
    }

    [Test]
    public void ParameterNames_ArePositionsAsInPyTorch()
    {
        using var seq = HandNet();
        // ReLU has no parameters but keeps its position "1", so the last Linear is "2" (PyTorch's state_dict keys).
        Assert.That(seq.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        Assert.That(seq.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(seq.Names, Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(seq.ToString(), Is.EqualTo("Sequential(9 parameters)"), "2*2 + 2 + 1*2 + 1");
    }

    [Test]
    public void NamedEntries_KeepTheirNames_InsideAnOuterModel()
    {
        using var seq = new Sequential(("fc", new Linear(3, 4)), ("act", new ReLU()), ("out", new Linear(4, 2, bias: false)));
        Assert.That(seq.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "fc.weight", "fc.bias", "out.weight" }));
        Assert.That(seq["out"], Is.SameAs(seq[2]));
        var e = Assert.Throws<KeyNotFoundException>(() => _ = seq["head"])!;
        Assert.That(e.Message, Does.Contain("'head'").And.Contain("'fc', 'act', 'out'"));
        // Appending after named entries takes the name of the position, as PyTorch's append does (str(len(self))).
        seq.Append(new Linear(2, 2));
        Assert.That(seq.Names.Last(), Is.EqualTo("3"));
        Assert.Throws<ArgumentException>(() => new Sequential(("a", new ReLU()), ("a", new ReLU())), "duplicate names");
    }

    [Test]
    public void Indexing_Count_Append_AndSlices()
    {
        var first = new Linear(2, 3);
        var act = new Gelu();
        var last = new Linear(3, 2);
        using var seq = new Sequential(first, act);
        Assert.That(seq.Count, Is.EqualTo(2));
        Assert.That(seq.Append(last), Is.SameAs(seq));
        Assert.That(seq.Count, Is.EqualTo(3));
        Assert.That(seq[0], Is.SameAs(first));
        Assert.That(seq[^1], Is.SameAs(last));
        Assert.That(seq.ToList(), Is.EqualTo(new Module<Tensor, Tensor>[] { first, act, last }));
        Assert.That(seq.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = seq[3])!;
        Assert.That(e.Message, Does.Contain("index 3 is out of range for 3 modules"));
        // A slice shares the modules and keeps their names ("1", "2"), as seq[1:] in PyTorch.
        var tail = seq[1..];
        Assert.That(tail.Names, Is.EqualTo(new[] { "1", "2" }));
        Assert.That(tail[1], Is.SameAs(last));
        Assert.That(tail.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "2.weight", "2.bias" }));
    }

    [Test]
    public void Empty_ReturnsItsInput()
    {
        using var seq = new Sequential();
        using var x = Tensor.FromArray(new[] { 1f, 2f });
        Assert.That(seq.Call(x), Is.SameAs(x));
        Assert.That(seq.Count, Is.Zero);
    }

    [Test]
    public void StateDict_RoundTripsThroughSafetensors()
    {
        using var source = HandNet();
        using var target = new Sequential(new Linear(2, 2, generator: new Generator(9), dtype: DType.Float64), new ReLU(),
                                          new Linear(2, 1, generator: new Generator(10), dtype: DType.Float64));
        string path = Path.Combine(Path.GetTempPath(), $"dotgrad-seq-{Guid.NewGuid():N}.safetensors");
        try
        {
            source.SaveSafetensors(path);
            var saved = Safetensors.Load(path, Device.Cpu);
            Assert.That(saved.Keys.Order(), Is.EqualTo(new[] { "0.bias", "0.weight", "2.bias", "2.weight" }));
            foreach (var t in saved.Values) t.Dispose();
            target.LoadSafetensors(path);
        }
        finally
        {
            File.Delete(path);
        }
        using var x = Tensor.FromArray(new[] { 3.0, 1, 1, 3 }, [2, 2]);
        Check.Close(target.Call(x), [2, 1], [-2.5, -9], atol: 1e-15);  // the values worked out in RunsModulesInOrder
    }

    [Test]
    public void Summary_ListsEachStepUnderItsName()
    {
        using var seq = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
        using var x = Tensor.Zeros([5, 3]);
        var lines = seq.Summary(x).Split('\n');
        Assert.That(lines.Count(l => l.TrimStart().StartsWith("0 ") || l.TrimStart().StartsWith("1 ") || l.TrimStart().StartsWith("2 ")), Is.EqualTo(3));
        Assert.That(lines.Any(l => l.Contains("ReLU") && l.Contains("[5, 4]")), Is.True);
    }
}
