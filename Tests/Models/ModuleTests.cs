// The module system on a nested test net: dotted names and their order, counts, train/eval, in-place dtype and
// device moves, state dicts (exact round trips, strict and non-strict loading, the mismatch report) and the summary.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class ModuleTests
{
    private static Tensor Input(DType dtype = DType.Float32, Device? device = null) =>
        Tensor.Randn([4, TestNet.In], new Generator(7), DType.Float32, device ?? Device.Cpu).To(dtype);

    [Test]
    public void NamedParameters_AreDottedAndInRegistrationOrder()
    {
        using var net = new TestNet();
        Assert.That(net.NamedParameters().Select(p => p.Name), Is.EqualTo(TestNet.ParameterNames));
        Assert.That(net.NamedParameters().First(p => p.Name == "blocks.1.fc.weight").Parameter, Is.SameAs(net.Block1.Fc.Weight));
        Assert.That(net.Parameters().Count(), Is.EqualTo(TestNet.ParameterNames.Length));
        Assert.That(net.Parameters().All(p => p.RequiresGrad && p.GradFn is null), Is.True, "parameters are leaves that require grad");
    }

    [Test]
    public void NamedModulesAndBuffers_AreDotted()
    {
        using var net = new TestNet();
        Assert.That(net.NamedModules().Select(m => m.Name), Is.EqualTo(new[]
        {
            "", "inp", "blocks", "blocks.0", "blocks.0.ln", "blocks.0.fc", "blocks.0.drop",
            "blocks.1", "blocks.1.ln", "blocks.1.fc", "blocks.1.drop", "head",
        }));
        Assert.That(net.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "blocks.0.mask", "blocks.0.cache", "blocks.1.mask", "blocks.1.cache" }));
        Assert.That(net.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "inp", "blocks", "head" }));
    }

    [Test]
    public void ParameterCount_MatchesTheHandCount()
    {
        using var net = new TestNet();
        Assert.That(net.ParameterCount(), Is.EqualTo(TestNet.ParameterTotal));
        Assert.That(net.Block0.ParameterCount(), Is.EqualTo(96));
        Assert.That(net.ToString(), Is.EqualTo("TestNet(241 parameters)"));
    }

    [Test]
    public void TrainAndEval_PropagateToEverySubmodule()
    {
        using var net = new TestNet();
        Assert.That(net.NamedModules().All(m => m.Module.Training), Is.True, "modules start in training mode");
        Assert.That(net.Eval(), Is.SameAs(net));
        Assert.That(net.NamedModules().Where(m => m.Module.Training).Select(m => m.Name), Is.Empty);
        // In eval mode dropout is the identity, so two calls agree; in training mode masks differ.
        using var x = Input();
        var first = Check.Values(net.Call(x));
        Assert.That(Check.Values(net.Call(x)), Is.EqualTo(first));
        net.Train();
        Assert.That(net.Block1.Drop.Training, Is.True);
        first = Check.Values(net.Call(x));
        Assert.That(Check.Values(net.Call(x)), Is.Not.EqualTo(first));
        net.Block0.Eval();
        Assert.That((net.Training, net.Block0.Training, net.Block0.Drop.Training, net.Block1.Drop.Training), Is.EqualTo((true, false, false, true)));
    }

    [Test]
    public void AddMember_BadOrDuplicateName_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new BadNames("a.b"));
        Assert.That(e!.Message, Does.Contain("'a.b'").And.Contain("no '.'"));
        e = Assert.Throws<ArgumentException>(() => new BadNames("w"));
        Assert.That(e!.Message, Does.Contain("'w' is already registered"));
    }

    private sealed class BadNames : Module
    {
        public BadNames(string second)
        {
            AddParameter("w", Tensor.Zeros([1], DType.Float32));
            AddParameter(second, Tensor.Zeros([1], DType.Float32));
        }
    }

    [Test]
    public void ToFloat64_KeepsReferences_ConvertsValuesAndGradients()
    {
        using var net = new TestNet();
        net.Eval();
        var weight = net.Block0.Fc.Weight;
        using var x = Input();
        net.Call(x).Sum().Backward();
        var before = Check.Values(weight);
        var gradBefore = Check.Values(weight.Grad!);
        var grad = weight.Grad!;

        Assert.That(net.To(DType.Float64), Is.SameAs(net));
        Assert.That(net.Block0.Fc.Weight, Is.SameAs(weight), "layers keep their parameter objects");
        Assert.That(net.Parameters().Concat(net.NamedBuffers().Select(b => b.Buffer)).All(t => t.DType == DType.Float64), Is.True);
        Assert.That(weight.RequiresGrad && weight.GradFn is null, Is.True, "still a leaf that requires grad");
        Assert.That(weight.Grad, Is.SameAs(grad));
        Assert.That(grad.DType, Is.EqualTo(DType.Float64));
        Assert.That(Check.Values(weight), Is.EqualTo(before), "Float32 -> Float64 is exact");
        Assert.That(Check.Values(grad), Is.EqualTo(gradBefore));

        // The converted net runs in Float64 and gives the Float32 answer to float precision.
        using var x64 = Input(DType.Float64);
        var y64 = net.Call(x64);
        Assert.That(y64.DType, Is.EqualTo(DType.Float64));
        net.To(DType.Float32);
        Check.Close(net.Call(x), [4, TestNet.Out], Check.Values(y64), atol: 1e-5, rtol: 1e-5);

        Assert.Throws<ArgumentException>(() => net.To(DType.Int32));
    }

    [Test]
    public void ToOpenCL_KeepsReferencesAndGivesTheCpuOutput()
    {
        var gpu = Device.OpenCL(0);
        TestDevices.Require(gpu);
        using var net = new TestNet();
        net.Eval();
        using var x = Input();
        var expected = Check.Values(net.Call(x));
        var weight = net.Inp.Weight;
        var mask = net.Block1.Mask;

        net.To(gpu);
        Assert.That(net.Inp.Weight, Is.SameAs(weight));
        Assert.That(net.Block1.Mask, Is.SameAs(mask));
        Assert.That(net.Parameters().Concat(net.NamedBuffers().Select(b => b.Buffer)).All(t => t.Device == gpu), Is.True);
        using var xg = x.To(gpu);
        var y = net.Call(xg);
        Assert.That(y.Device, Is.EqualTo(gpu));
        Check.Close(y, [4, TestNet.Out], expected, atol: 1e-5, rtol: 1e-5);

        y.Sum().Backward();
        Assert.That(weight.Grad!.Device, Is.EqualTo(gpu));
        net.To(Device.Cpu);
        Assert.That(weight.Device == Device.Cpu && weight.Grad!.Device == Device.Cpu, Is.True, "gradients move with their parameters");
    }

    [Test]
    public void StateDict_HasParametersAndPersistentBuffersOnly_AsViews()
    {
        using var net = new TestNet();
        var state = net.StateDict();
        Assert.That(state.Keys, Is.EqualTo(TestNet.ParameterNames.Concat(["blocks.0.mask", "blocks.1.mask"])));
        Assert.That(state.Values.All(t => !t.RequiresGrad), Is.True, "state dict entries are detached");
        // A view: changing it changes the model (PyTorch's state_dict shares storage too).
        state["scale"][TensorIndex.Ellipsis] = Tensor.Full([1], 5.0, DType.Float32);
        Assert.That(net.Scale.Item(), Is.EqualTo(5.0));
    }

    [Test]
    public void LoadStateDict_RoundTripIsExact()
    {
        using var a = new TestNet(seed: 1);
        using var b = new TestNet(seed: 2);
        Assert.That(Check.Values(b.Inp.Weight), Is.Not.EqualTo(Check.Values(a.Inp.Weight)));
        b.LoadStateDict(a.StateDict());
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()), name);
        Assert.That(b.Inp.Weight.RequiresGrad && b.Inp.Weight.GradFn is null, Is.True);
        a.Eval();
        b.Eval();
        using var x = Input();
        Assert.That(b.Call(x).ToArray<float>(), Is.EqualTo(a.Call(x).ToArray<float>()));
    }

    [Test]
    public void LoadStateDict_ConvertsDType()
    {
        using var a = new TestNet(seed: 1, dtype: DType.Float64);
        using var b = new TestNet(seed: 2);
        b.LoadStateDict(a.StateDict());
        Assert.That(b.Head.Weight.DType, Is.EqualTo(DType.Float32));
        Assert.That(Check.Values(b.Head.Weight), Is.EqualTo(Check.Values(a.Head.Weight.To(DType.Float32))));
    }

    [Test]
    public void LoadStateDict_Strict_ListsMissingUnexpectedAndMisshapedKeysWithBothShapes_AndChangesNothing()
    {
        using var a = new TestNet(seed: 1);
        using var b = new TestNet(seed: 2);
        var state = new Dictionary<string, Tensor>(a.StateDict());
        state.Remove("inp.bias");
        state.Remove("blocks.1.mask");
        state["extra.weight"] = Tensor.Zeros([2], DType.Float32);
        state["blocks.0.fc.weight"] = Tensor.Zeros([8, 7], DType.Float32);
        state["head.weight"] = Tensor.Zeros([3, 8], DType.Float32);
        var before = Check.Values(b.Inp.Weight);

        var e = Assert.Throws<ArgumentException>(() => b.LoadStateDict(state));
        Assert.That(e!.Message, Does.Contain("TestNet.LoadStateDict"));
        Assert.That(e.Message, Does.Contain("missing keys: inp.bias, blocks.1.mask"));
        Assert.That(e.Message, Does.Contain("unexpected keys: extra.weight"));
        Assert.That(e.Message, Does.Contain("blocks.0.fc.weight: checkpoint [8, 7], model [8, 8]"));
        Assert.That(e.Message, Does.Contain("head.weight: checkpoint [3, 8], model [2, 8]"));
        Assert.That(Check.Values(b.Inp.Weight), Is.EqualTo(before), "a failed load changes nothing");
    }

    [Test]
    public void LoadStateDict_NonStrict_LoadsWhatMatches_ButStillRefusesMisshapedKeys()
    {
        using var a = new TestNet(seed: 1);
        using var b = new TestNet(seed: 2);
        var state = new Dictionary<string, Tensor>(a.StateDict());
        state.Remove("inp.bias");
        state["extra.weight"] = Tensor.Zeros([2], DType.Float32);
        var bias = Check.Values(b.Inp.Bias!);

        b.LoadStateDict(state, strict: false);
        Assert.That(Check.Values(b.Inp.Weight), Is.EqualTo(Check.Values(a.Inp.Weight)));
        Assert.That(Check.Values(b.Inp.Bias!), Is.EqualTo(bias), "a missing key leaves the parameter as it was");

        state["head.weight"] = Tensor.Zeros([3, 8], DType.Float32);
        var e = Assert.Throws<ArgumentException>(() => b.LoadStateDict(state, strict: false));
        Assert.That(e!.Message, Does.Contain("head.weight: checkpoint [3, 8], model [2, 8]"));
    }

    [Test]
    public void Summary_PrintsEachLayerWithItsOutputShapeAndParameterCount()
    {
        var g = new Generator(3);
        using var seq = new TestSequential(new Linear(4, 8, generator: g), new ReLU(), new Dropout(0.5, g), new Linear(8, 2, generator: g));
        using var x = Tensor.Randn([3, 4], g);
        string summary = seq.Summary(x);
        TestContext.Out.WriteLine(summary);
        var rows = summary.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToList();

        Assert.That(rows[0], Is.EqualTo(new[] { "Layer", "Type", "Output shape", "Parameters" }));
        Assert.That(rows[2], Is.EqualTo(new[] { "(model)", "TestSequential", "[3, 2]", "58" }));
        Assert.That(rows[3], Is.EqualTo(new[] { "0", "Linear", "[3, 8]", "40" }));       // 4*8 + 8
        Assert.That(rows[4], Is.EqualTo(new[] { "1", "ReLU", "[3, 8]", "0" }));
        Assert.That(rows[5], Is.EqualTo(new[] { "2", "Dropout", "[3, 8]", "0" }));
        Assert.That(rows[6], Is.EqualTo(new[] { "3", "Linear", "[3, 2]", "18" }));       // 8*2 + 2
        Assert.That(summary, Does.Contain("Total parameters: 58").And.Contain("Trainable parameters: 58"));
        // Children are indented under their parent.
        Assert.That(summary.Split('\n')[3], Does.StartWith("  0"));
    }

    [Test]
    public void Summary_OfTheNestedNet_ShowsDottedNamesAndRecordsNoGraph()
    {
        using var net = new TestNet();
        using var x = Input();
        string summary = net.Summary(x);
        Assert.That(summary, Does.Contain("blocks.1.fc"));
        Assert.That(summary, Does.Contain("Total parameters: 241"));
        Assert.That(net.Parameters().All(p => p.Grad is null), Is.True);
    }

    [Test]
    public void Dispose_ReleasesParametersGradientsAndBuffers()
    {
        var net = new TestNet();
        using (var x = Input()) net.Call(x).Sum().Backward();
        var weight = net.Inp.Weight;
        var mask = net.Block0.Mask;
        net.Dispose();
        Assert.That(weight.IsDisposed && mask.IsDisposed && weight.Grad is null, Is.True);
    }
}
