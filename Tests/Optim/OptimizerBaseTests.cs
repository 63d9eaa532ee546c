// What every optimizer gets from the base: groups with their own lr and decay, skipped parameters, schedules,
// ZeroGrad, the checks on bad input, and state dicts that refuse to load where they do not fit.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class OptimizerBaseTests
{
    [Test]
    public void Groups_HaveTheirOwnLearningRateAndDecay()
    {
        using var body = Param(1.0);
        using var head = Param(1.0);
        using var sgd = new Sgd([body], new SgdOptions { Lr = 0.1, WeightDecay = 0.01 });
        var headGroup = sgd.AddParamGroup([head], sgd.Defaults with { Lr = 0.5, WeightDecay = 1.0 }, "head");
        Grad(body, 1.0);
        Grad(head, 1.0);
        sgd.Step();
        AssertClose(body, [1 - 0.1 * (1 + 0.01)]);   // 0.899
        AssertClose(head, [1 - 0.5 * (1 + 1.0)]);    // 0
        Assert.That(headGroup.Name, Is.EqualTo("head"));
        Assert.That(sgd.ParamGroups, Has.Count.EqualTo(2));
        // Changing a group's lr between steps takes effect at the next step.
        sgd.ParamGroups[0].Lr = 1.0;
        sgd.Step();
        AssertClose(body, [0.899 - 1.0 * (1 + 0.01 * 0.899)]);
    }

    [Test]
    public void ParametersWithoutGradient_AreSkipped_AndKeepTheirStepCount()
    {
        using var a = Param(1.0);
        using var b = Param(2.0);
        using var adam = new Adam([a, b], new AdamOptions { Lr = 0.1 });
        Grad(a, 1.0);
        adam.Step();
        Assert.That(Values(b), Is.EqualTo(new[] { 2.0 }));
        Assert.That(adam.State(a).Step, Is.EqualTo(1));
        Assert.That(adam.State(b).Step, Is.Zero);
        Assert.That(adam.StepCount, Is.EqualTo(1));
    }

    [Test]
    public void Schedule_MultipliesEveryGroupsLr_AtTheZeroBasedStep()
    {
        using var p = Param(0.0);
        using var sgd = new Sgd([p], new SgdOptions { Lr = 1.0 });
        sgd.Schedule = Schedules.LinearWarmup(4);
        var seen = new List<double>();
        for (int step = 0; step < 6; step++)
        {
            seen.Add(sgd.CurrentLr(sgd.ParamGroups[0]));
            Grad(p, -1.0);
            sgd.Step();
        }
        Assert.That(seen, Is.EqualTo(new[] { 0, 0.25, 0.5, 0.75, 1, 1 }));
        AssertClose(p, [0 + 0.25 + 0.5 + 0.75 + 1 + 1]);   // each step moves by its lr (g = -1)
    }

    [Test]
    public void Schedule_GivingNaN_Throws()
    {
        using var p = Param(0.0);
        using var sgd = new Sgd([p]) { Schedule = _ => double.NaN };
        Grad(p, 1.0);
        var e = Assert.Throws<InvalidOperationException>(sgd.Step);
        Assert.That(e!.Message, Does.Contain("Sgd").And.Contain("NaN"));
    }

    [Test]
    public void ZeroGrad_DropsEveryGradient()
    {
        using var a = Param(1.0);
        using var b = Param(2.0);
        using var sgd = new Sgd([a]);
        sgd.AddParamGroup([b]);
        (a * 3.0 + b * 4.0).Sum().Backward();
        Assert.That(a.Grad, Is.Not.Null);
        sgd.ZeroGrad();
        Assert.That(a.Grad, Is.Null);
        Assert.That(b.Grad, Is.Null);
    }

    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void BadLearningRate_NamesTheOptimizerAndField(double lr)
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new AdamW([p], new AdamOptions { Lr = lr }));
        Assert.That(e!.Message, Does.Contain("AdamW").And.Contain("Lr").And.Contain(">= 0"));
        using var sgd = new Sgd([p]);
        Assert.Throws<ArgumentException>(() => sgd.ParamGroups[0].Lr = lr);
        Assert.That(sgd.ParamGroups[0].Lr, Is.EqualTo(1e-3), "a rejected value changes nothing");
    }

    [TestCase(1.0)]
    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    public void BetasOutsideTheUnitInterval_AreRejected(double beta)
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Adam([p], new AdamOptions { Beta2 = beta }));
        Assert.That(e!.Message, Does.Contain("Adam").And.Contain("Beta2").And.Contain("[0, 1)"));
        Assert.Throws<ArgumentException>(() => new Sgd([p], new SgdOptions { Momentum = beta }));
    }

    [Test]
    public void AParameterInTwoGroups_IsRejected()
    {
        using var a = Param(1.0);
        using var b = Param(1.0);
        using var sgd = new Sgd([a, b]);
        var e = Assert.Throws<ArgumentException>(() => sgd.AddParamGroup([b]));
        Assert.That(e!.Message, Does.Contain("already in group 0"));
        Assert.That(sgd.ParamGroups, Has.Count.EqualTo(1), "the failed group was not added");
        var twice = Assert.Throws<ArgumentException>(() => new Adam([a, a]));
        Assert.That(twice!.Message, Does.Contain("listed twice"));
    }

    [Test]
    public void NonLeafIntegerAndEmptyParameterLists_AreRejected()
    {
        using var a = Param(1.0);
        using var computed = a * 2.0;
        Assert.That(Assert.Throws<ArgumentException>(() => new Sgd([computed]))!.Message, Does.Contain("not a leaf"));
        using var ints = Tensor.Zeros([2], DType.Int32);
        Assert.That(Assert.Throws<ArgumentException>(() => new Sgd([ints]))!.Message, Does.Contain("floating point"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Sgd([]))!.Message, Does.Contain("empty parameter list"));
    }

    [Test]
    public void LoadStateDict_FromAnotherOptimizer_SaysWhichSavedIt()
    {
        using var p = Param(1.0, 2.0);
        using var adam = new Adam([p]);
        using var state = adam.StateDict();
        using var adamw = new AdamW([Param(1.0, 2.0)]);
        var e = Assert.Throws<ArgumentException>(() => adamw.LoadStateDict(state));
        Assert.That(e!.Message, Does.Contain("AdamW.LoadStateDict").And.Contain("saved by Adam"));
    }

    [Test]
    public void LoadStateDict_WithMismatchedShapes_NamesTheBufferAndBothShapes_AndChangesNothing()
    {
        using var small = Param(1.0, 2.0);
        using var big = Param(1.0, 2.0, 3.0);
        using var saved = new Adam([small]);
        Grad(small, 1.0, 1.0);
        saved.Step();
        using var state = saved.StateDict();
        using var target = new Adam([big]);
        var before = Values(target.State(big)["exp_avg"]);
        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(state));
        Assert.That(e!.Message, Does.Contain("'0.exp_avg'").And.Contain("[2]").And.Contain("[3]"));
        Assert.That(Values(target.State(big)["exp_avg"]), Is.EqualTo(before));
        Assert.That(target.StepCount, Is.Zero);
    }

    [Test]
    public void LoadStateDict_WithOtherGroupSizes_IsRejected()
    {
        using var a = Param(1.0);
        using var b = Param(1.0);
        using var one = new Sgd([a, b], new SgdOptions { Momentum = 0.9 });
        using var state = one.StateDict();
        using var two = new Sgd([Param(1.0)], new SgdOptions { Momentum = 0.9 });
        two.AddParamGroup([Param(1.0)]);
        var e = Assert.Throws<ArgumentException>(() => two.LoadStateDict(state));
        Assert.That(e!.Message, Does.Contain("[2]").And.Contain("[1, 1]"));
    }

    [Test]
    public void LoadStateDict_RestoresOptionsAndStepCounts()
    {
        using var p = Param(1.0, 2.0);
        using var adam = new Adam([p], new AdamOptions { Lr = 0.05 });
        adam.ParamGroups[0].Lr = 0.02;
        Grad(p, 1.0, 1.0);
        adam.Step();
        using var state = adam.StateDict();
        using var q = Param(1.0, 2.0);
        using var fresh = new Adam([q]);
        fresh.LoadStateDict(state);
        Assert.That(fresh.ParamGroups[0].Lr, Is.EqualTo(0.02));
        Assert.That(fresh.StepCount, Is.EqualTo(1));
        Assert.That(fresh.State(q).Step, Is.EqualTo(1));
        Assert.That(Values(fresh.State(q)["exp_avg"]), Is.EqualTo(Values(adam.State(p)["exp_avg"])));
    }

    [Test]
    public void StateFile_ThatIsAModelCheckpoint_IsRejected()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dotgrad-optim-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var w = Tensor.Ones(2);
            DotGrad.Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = w });
            var e = Assert.Throws<InvalidDataException>(() => OptimizerState.Load(path));
            Assert.That(e!.Message, Does.Contain("not an optimizer state file"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
