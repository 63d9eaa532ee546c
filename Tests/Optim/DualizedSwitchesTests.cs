// The three switches that turn the dualized optimizer into Muon's way one difference at a time: the fan factor
// (raw vs clipped, against Muon's own step), the vectors (dualized rules vs an AdamW group that steps as AdamW does)
// and the targets (per layer from the modular norm vs uniform); each kept by a state dict round trip.
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class DualizedSwitchesTests
{
    private static Tensor Matrix(int rows, int cols, ulong seed) => Tensor.Randn([rows, cols], new Generator(seed), DType.Float64);

    /// <summary>One step of <paramref name="make"/> from <paramref name="init"/> with gradient <paramref name="grad"/>; the update p0 - p1.</summary>
    private static double[] Update(Tensor init, Tensor grad, Func<Tensor, Optimizer> make)
    {
        using var scope = Tensor.NewDisposeScope();
        var p = init.Detach().Clone().RequireGrad();
        using var opt = make(p);
        p.Grad = grad.Clone();
        opt.Step();
        return MuonTestKit.Doubles(init - p.Detach());
    }

    // A down-projection [4, 8]: Muon's factor sqrt(max(1, 4/8)) = 1; modula's raw sqrt(4/8) = 0.7071.
    // Muon without Nesterov orthogonalizes the same EMA, so the clipped dualized step equals Muon's.
    [Test]
    public void Fan_ClippedEqualsMuonOnADownProjection_RawIsSmaller()
    {
        using var scope = Tensor.NewDisposeScope();
        var init = Matrix(4, 8, 1);
        var grad = Matrix(4, 8, 2);
        var muon = Update(init, grad, p => new Muon([p], new MuonOptions { Lr = 0.1, Nesterov = false }));
        var clipped = Update(init, grad, p => new Dualized([p], new DualizedOptions { Lr = 0.1, Fan = DualizedFan.Clipped }));
        var raw = Update(init, grad, p => new Dualized([p], new DualizedOptions { Lr = 0.1 }));
        Assert.That(clipped, Is.EqualTo(muon).Within(1e-12));
        for (int i = 0; i < raw.Length; i++)
            Assert.That(raw[i], Is.EqualTo(muon[i] * Math.Sqrt(0.5)).Within(1e-12), $"element {i}");
        Assert.That(raw.Sum(Math.Abs), Is.LessThan(clipped.Sum(Math.Abs)));
    }

    // An up-projection [8, 4]: both factors are sqrt(2), so the two fans agree.
    [Test]
    public void Fan_RawAndClippedAgreeOnAnUpProjection()
    {
        using var scope = Tensor.NewDisposeScope();
        var init = Matrix(8, 4, 3);
        var grad = Matrix(8, 4, 4);
        var clipped = Update(init, grad, p => new Dualized([p], new DualizedOptions { Fan = DualizedFan.Clipped }));
        var raw = Update(init, grad, p => new Dualized([p], new DualizedOptions()));
        Assert.That(raw, Is.EqualTo(clipped).Within(1e-12));
        Assert.That(DualizedRules.FanFactor(8, 4, DualizedFan.Raw), Is.EqualTo(Math.Sqrt(2)));
        Assert.That(DualizedRules.FanFactor(4, 8, DualizedFan.Clipped), Is.EqualTo(1));
        Assert.That(DualizedRules.FanFactor(4, 8, DualizedFan.Raw), Is.EqualTo(Math.Sqrt(0.5)).Within(1e-15));
    }

    private static VisionTransformer DualizedVit() =>
        new(new VitConfig(28, 7, 1, 10, 16, 1, 32, 2, VitPositions.SinCos2d, VitHead.Gap, Dualized: true), new Generator(1));

    [Test]
    public void Vectors_AdamW_PutsEveryNonMatrixParameterInOneAdamWGroup()
    {
        using var vit = DualizedVit();
        using var opt = new Dualized(vit, new DualizedOptions { Lr = 0.1, WeightDecay = 0.01 }, vectors: DualizedVectors.AdamW, adamLr: 0.002);
        var adamw = opt.ParamGroups.Single(g => g.Name == "adamw");
        var vectors = vit.Parameters().Where(p => p.Rank != 2).ToArray();
        Assert.That(adamw.Parameters, Is.EquivalentTo(vectors));
        var o = (DualizedOptions)adamw.Options;
        Assert.That((o.UseAdamW, o.Lr, o.WeightDecay, o.AdamBeta1, o.AdamBeta2), Is.EqualTo((true, 0.002, 0.0, 0.9, 0.95)));
        Assert.That(opt.ParamGroups.Where(g => g.Name != "adamw").SelectMany(g => g.Parameters), Is.All.Matches<Tensor>(p => p!.Rank == 2));
        Assert.That(opt.ParamGroups.Where(g => g.Name != "adamw").Select(g => ((DualizedOptions)g.Options).UseAdamW), Is.All.False);
        Assert.That(opt.State(vit.Head.Bias!).Buffers.Keys, Is.EquivalentTo(new[] { "exp_avg", "exp_avg_sq" }));
        Assert.That(opt.State(vit.Head.Weight).Buffers.Keys, Is.EqualTo(new[] { "momentum_buffer" }));

        using var dualized = new Dualized(vit);
        Assert.That(dualized.ParamGroups.Select(g => g.Name), Does.Not.Contain("adamw"));
        Assert.That(dualized.ParamGroups.Single(g => g.Name == "bias").Parameters, Does.Contain(vit.Head.Bias));
    }

    // An AdamW group's step is AdamW's with Muon's fallback betas (0.9, 0.95): two steps on a vector agree with AdamW.
    [Test]
    public void Vectors_AdamWGroup_StepsAsAdamW()
    {
        using var scope = Tensor.NewDisposeScope();
        var a = OptimKit.Param(0.5, -1, 2);
        var b = OptimKit.Param(0.5, -1, 2);
        using var dualized = new Dualized([a], new DualizedOptions { UseAdamW = true, Lr = 0.01, WeightDecay = 0.1 });
        using var adamw = new AdamW([b], new AdamOptions { Lr = 0.01, WeightDecay = 0.1, Beta1 = 0.9, Beta2 = 0.95, Eps = 1e-8 });
        foreach (var g in new[] { new double[] { 1, 2, -2 }, new double[] { 2, 0, 1 } })
        {
            OptimKit.Grad(a, g);
            OptimKit.Grad(b, g);
            dualized.Step();
            adamw.Step();
            Assert.That(OptimKit.Values(a), Is.EqualTo(OptimKit.Values(b)));
        }
        Assert.That(OptimKit.Values(a), Is.Not.EqualTo(new double[] { 0.5, -1, 2 }));
    }

    [Test]
    public void Vectors_AdamW_RefusesARuleOrTargetForAVectorItMoves()
    {
        using var vit = DualizedVit();
        var ex = Assert.Throws<ArgumentException>(() => new Dualized(vit, targetNorms: new Dictionary<string, double> { ["head.bias"] = 2 },
                                                                     vectors: DualizedVectors.AdamW));
        Assert.That(ex!.Message, Does.Contain("head.bias").And.Contain("AdamW"));
    }

    [Test]
    public void Targets_PerLayer_GiveEachParameterItsModularTarget()
    {
        using var vit = DualizedVit();
        using var opt = new Dualized(vit, targets: DualizedTargets.PerLayer);
        var expected = Dualized.ModularTargets(vit);
        var rules = Dualized.Rules(vit).ToDictionary(r => r.Name, r => r.Rule);
        foreach (var (name, p) in vit.NamedParameters())
        {
            var group = opt.ParamGroups.Single(g => g.Parameters.Contains(p));
            Assert.That(group.Name, Is.EqualTo($"{rules[name].ToString().ToLowerInvariant()} {name}"));
            Assert.That(((DualizedOptions)group.Options).TargetNorm(rules[name]), Is.EqualTo(expected[name]), name);
        }
        Assert.That(((DualizedOptions)opt.ParamGroups.Single(g => g.Name == "linear blocks.0.attn.query.weight").Options).LinearTarget,
                    Is.EqualTo(3 / 16.0).Within(1e-12));

        // An explicit target wins over the modular one; with the vectors in AdamW only the matrices keep per-layer targets.
        using var own = new Dualized(vit, targetNorms: new Dictionary<string, double> { ["head.weight"] = 0.7 }, targets: DualizedTargets.PerLayer);
        Assert.That(((DualizedOptions)own.ParamGroups.Single(g => g.Name == "linear head.weight").Options).LinearTarget, Is.EqualTo(0.7));
        using var mixed = new Dualized(vit, targets: DualizedTargets.PerLayer, vectors: DualizedVectors.AdamW);
        Assert.That(mixed.ParamGroups.Count(g => g.Name!.StartsWith("linear ", StringComparison.Ordinal)),
                    Is.EqualTo(vit.Parameters().Count(p => p.Rank == 2)));
        Assert.That(mixed.ParamGroups.Single(g => g.Name == "adamw").Parameters, Has.Count.EqualTo(vit.Parameters().Count(p => p.Rank != 2)));
    }

    // Per-layer targets scale the step: the query weight (target 3/16) moves 3/16 as far as under a uniform target of 1.
    [Test]
    public void Targets_PerLayer_ScaleTheStepOfEachLayer()
    {
        using var scope = Tensor.NewDisposeScope();
        using var a = DualizedVit();
        using var b = DualizedVit();
        var q = (a.Blocks[0].Attention.Query.Weight, b.Blocks[0].Attention.Query.Weight);
        var before = MuonTestKit.Doubles(q.Item1);
        using var uniform = new Dualized(a);
        using var perLayer = new Dualized(b, targets: DualizedTargets.PerLayer);
        var grad = Matrix(16, 16, 9).To(DType.Float32);
        q.Item1.Grad = grad.Clone();
        q.Item2.Grad = grad.Clone();
        uniform.Step();
        perLayer.Step();
        var du = MuonTestKit.Doubles(q.Item1).Zip(before, (x, y) => y - x).ToArray();
        var dp = MuonTestKit.Doubles(q.Item2).Zip(before, (x, y) => y - x).ToArray();
        for (int i = 0; i < du.Length; i++) Assert.That(dp[i], Is.EqualTo(du[i] * 3 / 16).Within(1e-6), $"element {i}");
    }

    [Test]
    public void StateDict_KeepsTheSwitches_AndARoundTripContinuesBitForBit()
    {
        static Optimizer Make(Module m) => new Dualized(m, new DualizedOptions { Fan = DualizedFan.Clipped }, targets: DualizedTargets.PerLayer,
                                                         vectors: DualizedVectors.AdamW, adamLr: 0.004);
        MuonTestKit.AssertRoundTrip(DualizedVit, Make);

        using var vit = DualizedVit();
        using var saved = Make(vit);
        using var state = saved.StateDict();
        string file = Path.Combine(Path.GetTempPath(), $"dualized-switches-{Guid.NewGuid():N}.safetensors");
        try
        {
            state.Save(file);
            using var loaded = OptimizerState.Load(file);
            var groups = loaded.Groups.Cast<DualizedOptions>().ToArray();
            Assert.That(groups.Select(g => g.Fan), Is.All.EqualTo(DualizedFan.Clipped));
            Assert.That(groups.Count(g => g.UseAdamW), Is.EqualTo(1));
            Assert.That(groups, Is.EqualTo(saved.ParamGroups.Select(g => g.Options)), "every group's options, the per-layer targets among them");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void BadSwitches_ThrowNamingTheField()
    {
        using var scope = Tensor.NewDisposeScope();
        var w = Tensor.Zeros([2, 2]).RequireGrad();
        foreach (var (options, field) in new (DualizedOptions, string)[]
        {
            (new DualizedOptions { Fan = (DualizedFan)5 }, "Fan"),
            (new DualizedOptions { AdamBeta2 = 1 }, "AdamBeta2"),
            (new DualizedOptions { AdamEps = -1 }, "AdamEps"),
        })
        {
            var ex = Assert.Throws<ArgumentException>(() => new Dualized([w], options), field);
            Assert.That(ex!.Message, Does.Contain("Dualized").And.Contain(field));
        }
        using var vit = DualizedVit();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dualized(vit, targets: (DualizedTargets)3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dualized(vit, vectors: (DualizedVectors)3));
    }
}
