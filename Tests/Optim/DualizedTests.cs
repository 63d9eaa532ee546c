// Dualized updates: each rule by hand over two momentum steps, the Linear rule against Newton-Schulz, the rules a
// model's layers get, state, zero gradients, convergence, state dict round trips and bad input.
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class DualizedTests
{
    private static void Step(Optimizer optimizer, Tensor p, Array grad)
    {
        using var scope = Tensor.NewDisposeScope();
        p.Grad = Tensor.FromArray(grad);
        optimizer.Step();
        p.Grad = null;
    }

    // Embedding rule, target 0.5, lr 0.1, beta 0.95, d = 2 (python3, double; eps 1e-12 in every norm):
    //   g1 rows (3, 4), (0, 0), (1, -1);  g2 rows (0, 1), (0, 0), (-3, 1)
    //   t=1: m1 = 0.05 g1: rows (0.15, 0.2), (0, 0), (0.05, -0.05)
    //        update row = m_row / (||m_row|| + 1e-12) * sqrt(2) * 0.5:  row 0: (0.6, 0.8) * 0.70711 = (0.42426, 0.56569);
    //        row 1 stays 0; row 2: (0.70711, -0.70711) * 0.70711 = (0.5, -0.5) (times 1 - 1.4e-11 from the eps)
    //        p1 = p0 - 0.1 update = [[0.9575735931289768, 1.9434314575053024], [-1, 0.5], [-0.049999999999292895, 3.049999999999293]]
    //   t=2: m2 = 0.95 m1 + 0.05 g2: rows (0.1425, 0.24), (0, 0), (-0.1025, 0.0025)
    //        p2 = [[0.9214730516169221, 1.8826305454849996], [-1, 0.5], [0.020689655172431452, 3.0482758620682753]]
    [Test]
    public void EmbeddingRule_TwoSteps_ByHand_ZeroRowStaysPut()
    {
        var p = Tensor.FromArray(new double[,] { { 1, 2 }, { -1, 0.5 }, { 0, 3 } }).RequireGrad();
        using var opt = new Dualized([p], new DualizedOptions { Rule = DualizedRule.Embedding, EmbeddingTarget = 0.5 });
        Step(opt, p, new double[,] { { 3, 4 }, { 0, 0 }, { 1, -1 } });
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.9575735931289768, 1.9434314575053024, -1, 0.5, -0.049999999999292895, 3.049999999999293 }).Within(1e-12));
        Step(opt, p, new double[,] { { 0, 1 }, { 0, 0 }, { -3, 1 } });
        Assert.That(MuonTestKit.Doubles(opt.State(p)["momentum_buffer"]), Is.EqualTo(new[] { 0.1425, 0.24, 0, 0, -0.1025, 0.0025 }).Within(1e-15));
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.9214730516169221, 1.8826305454849996, -1, 0.5, 0.020689655172431452, 3.0482758620682753 }).Within(1e-12));
    }

    // Bias rule, target 2, lr 0.1, d = 3: update = m / (||m|| + 1e-12) * sqrt(3) * 2
    //   t=1: m1 = 0.05 [1, 2, -2] = [0.05, 0.1, -0.1], ||m1|| = 0.15: update = [1, 2, -2]/3 * 3.4641 = [1.1547, 2.3094, -2.3094]
    //        p1 = [0.5, -1, 2] - 0.1 update = [0.38452994616284464, -1.2309401076743107, 2.2309401076743107]
    //   t=2: m2 = 0.95 m1 + 0.05 [2, 0, 1] = [0.1475, 0.095, -0.045], ||m2|| = 0.18112495686679972
    //        p2 = [0.10242912633724915, -1.4126321611213044, 2.317004764570255]
    [Test]
    public void BiasRule_TwoSteps_ByHand()
    {
        var p = Tensor.FromArray(new double[] { 0.5, -1, 2 }).RequireGrad();
        using var opt = new Dualized([p], new DualizedOptions { Rule = DualizedRule.Bias, BiasTarget = 2 });
        Step(opt, p, new double[] { 1, 2, -2 });
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.38452994616284464, -1.2309401076743107, 2.2309401076743107 }).Within(1e-12));
        Step(opt, p, new double[] { 2, 0, 1 });
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.10242912633724915, -1.4126321611213044, 2.317004764570255 }).Within(1e-12));
    }

    // Scale rule, target 0.25, lr 0.1: update = sign(m) * 0.25, a step of 0.025 per element (0 where m = 0)
    //   t=1: m1 = 0.05 [1, -2, 0, 0.5] = [0.05, -0.1, 0, 0.025], sign [1, -1, 0, 1]:  p1 = [0.975, 1.025, 1, 0.975]
    //   t=2: m2 = 0.95 m1 + 0.05 [-3, 0, 0, -1] = [-0.1025, -0.095, 0, -0.02625], sign [-1, -1, 0, -1]:  p2 = [1, 1.05, 1, 1]
    [Test]
    public void ScaleRule_TwoSteps_ByHand_SignOfZeroIsZero()
    {
        var p = Tensor.FromArray(new double[] { 1, 1, 1, 1 }).RequireGrad();
        using var opt = new Dualized([p], new DualizedOptions { Rule = DualizedRule.Scale, ScaleTarget = 0.25 });
        Step(opt, p, new double[] { 1, -2, 0, 0.5 });
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.975, 1.025, 1, 0.975 }).Within(1e-15));
        Step(opt, p, new double[] { -3, 0, 0, -1 });
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 1, 1.05, 1, 1 }).Within(1e-15));
    }

    [Test]
    public void LinearRule_DownProjection_IsNewtonSchulzTimesSqrtFanOutOverFanIn()
    {
        // W [2, 4]: fan_out 2 < fan_in 4, factor sqrt(2/4) = 0.7071 (Muon would use max(1, 0.5) = 1); target 2, lr 0.1
        using var scope = Tensor.NewDisposeScope();
        var p0 = Tensor.Randn([2, 4], new Generator(8), DType.Float64);
        var g1 = Tensor.Randn([2, 4], new Generator(9), DType.Float64);
        var g2 = Tensor.Randn([2, 4], new Generator(10), DType.Float64);
        var p = p0.Clone().RequireGrad();
        using var opt = new Dualized([p], new DualizedOptions { LinearTarget = 2 });   // a 2-D parameter gets the Linear rule by shape
        double factor = Math.Sqrt(2.0 / 4) * 2;

        p.Grad = g1;
        opt.Step();
        var m1 = g1 * 0.05;                                                          // m1 = 0.05 g1
        var p1 = p0 - NewtonSchulz.Orthogonalize(m1) * factor * 0.1;
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(MuonTestKit.Doubles(p1)).Within(1e-12));

        p.Grad = g2;
        opt.Step();
        var m2 = m1 * 0.95 + g2 * 0.05;                                              // m2 = 0.95 m1 + 0.05 g2
        var p2 = p1 - NewtonSchulz.Orthogonalize(m2) * factor * 0.1;
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(MuonTestKit.Doubles(p2)).Within(1e-12));

        // the step's singular values are those of NS (about [0.7, 1.2]) times 0.1 * sqrt(1/2) * 2 = 0.1414: below Muon's 0.1 * 2
        var step = MuonTestKit.Doubles(p1 - p2).Select(v => v / 0.1).ToArray();
        Assert.That(NewtonSchulzTests.SingularValues(step, 2, 4), Has.All.InRange(0.6 * factor, 1.25 * factor));
    }

    [Test]
    public void RulesApplyDirectly_EvenWhenRankDiffers()
    {
        // a [1, 2, 2] position table: the Embedding rule normalises each row over the last dim
        using var scope = Tensor.NewDisposeScope();
        var table = Tensor.FromArray(new double[] { 3, 4, 0, -2 }, [1, 2, 2]);
        var u = DualizedRules.Embedding(table, 1);
        Assert.That(u.Shape, Is.EqualTo(new[] { 1, 2, 2 }));
        // rows (3, 4) -> (0.6, 0.8) sqrt(2); (0, -2) -> (0, -1) sqrt(2)
        Assert.That(MuonTestKit.Doubles(u), Is.EqualTo(new[] { 0.6 * Math.Sqrt(2), 0.8 * Math.Sqrt(2), 0, -Math.Sqrt(2) }).Within(1e-12));
        Assert.That(DualizedRules.ByShape(table), Is.EqualTo(DualizedRule.Embedding));
        Assert.That(DualizedRules.ByShape(Tensor.Zeros([1])), Is.EqualTo(DualizedRule.Scale));
        Assert.That(DualizedRules.ByShape(Tensor.Zeros([5])), Is.EqualTo(DualizedRule.Bias));
        Assert.That(DualizedRules.ByShape(Tensor.Zeros([5, 2])), Is.EqualTo(DualizedRule.Linear));
        Assert.That(DualizedRules.ByShape(Tensor.Scalar(2)), Is.EqualTo(DualizedRule.Scale));
    }

    private static Dictionary<string, DualizedRule> RuleByName(Module model) => Dualized.Rules(model).ToDictionary(r => r.Name, r => r.Rule);

    [Test]
    public void Rules_ComeFromTheOwningLayer_ThenFromTheShape()
    {
        using var gpt = new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(1));
        var rules = RuleByName(gpt);
        Assert.That(rules, Has.Count.EqualTo(gpt.NamedParameters().Count()));
        Assert.That(rules["wte.weight"], Is.EqualTo(DualizedRule.Embedding));
        Assert.That(rules["wpe.weight"], Is.EqualTo(DualizedRule.Embedding));
        Assert.That(rules["h.0.ln_1.weight"], Is.EqualTo(DualizedRule.Scale));
        Assert.That(rules["h.0.ln_1.bias"], Is.EqualTo(DualizedRule.Bias));
        Assert.That(rules["h.0.attn.query.weight"], Is.EqualTo(DualizedRule.Linear));
        Assert.That(rules["h.0.attn.query.bias"], Is.EqualTo(DualizedRule.Bias));
        Assert.That(rules["h.0.mlp.proj.weight"], Is.EqualTo(DualizedRule.Linear));
        Assert.That(rules["lm_head.weight"], Is.EqualTo(DualizedRule.Linear));

        // RMS norms (with QK-norm) and ReZero's alpha [1]
        using var rms = new Gpt(new GptConfig(11, 4, 8, 1, 2, NormKind: NormKind.RmsNorm, QkNorm: true), new Generator(1));
        var rmsRules = RuleByName(rms);
        Assert.That(rmsRules["h.0.ln_1.weight"], Is.EqualTo(DualizedRule.Scale));
        Assert.That(rmsRules["h.0.attn.query_norm.weight"], Is.EqualTo(DualizedRule.Scale));
        using var rezero = new Gpt(new GptConfig(11, 4, 8, 1, 2, Residual: ResidualKind.ReZero), new Generator(1));
        Assert.That(RuleByName(rezero)["h.0.alpha_1"], Is.EqualTo(DualizedRule.Scale));

        // ViT: position table and cls token by shape (rank 3: rows over the last dim)
        using var vit = new VisionTransformer(new VitConfig(8, 4, 1, 3, 8, 1, 16, 2), new Generator(2));
        var vitRules = RuleByName(vit);
        Assert.That(vitRules["pos_embed"], Is.EqualTo(DualizedRule.Embedding));
        Assert.That(vitRules["cls_token"], Is.EqualTo(DualizedRule.Embedding));
        Assert.That(vitRules["patch_embed.weight"], Is.EqualTo(DualizedRule.Linear));

        // gMLP's spatial gate: a raw [n, n] weight and [n] bias, by shape
        using var gmlp = new GMlp(GMlpConfig.ImageClassifier(8, 4, 1, 3, 8, 1, 16), new Generator(3));
        var gRules = RuleByName(gmlp);
        Assert.That(gRules["blocks.0.sgu.weight"], Is.EqualTo(DualizedRule.Linear));
        Assert.That(gRules["blocks.0.sgu.bias"], Is.EqualTo(DualizedRule.Bias));
        Assert.That(gRules["blocks.0.sgu.norm.weight"], Is.EqualTo(DualizedRule.Scale));
    }

    [Test]
    public void FromModel_OneGroupPerRule_WithOverridesByName()
    {
        using var gpt = new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(1));
        using var opt = new Dualized(gpt);
        Assert.That(opt.ParamGroups.Select(g => g.Name), Is.EqualTo(new[] { "embedding", "scale", "bias", "linear" }));
        foreach (var g in opt.ParamGroups)
        {
            var o = (DualizedOptions)g.Options;
            Assert.That(o.Rule.ToString()!.ToLowerInvariant(), Is.EqualTo(g.Name));
            Assert.That((o.Lr, o.Momentum, o.WeightDecay), Is.EqualTo((0.1, 0.95, 0.0)));
        }
        Assert.That(opt.ParamGroups.Sum(g => g.Parameters.Count), Is.EqualTo(gpt.NamedParameters().Count()));

        using var custom = new Dualized(gpt, new DualizedOptions { Lr = 0.05 },
            rules: new Dictionary<string, DualizedRule> { ["wpe.weight"] = DualizedRule.Bias },
            targetNorms: new Dictionary<string, double> { ["lm_head.weight"] = 0.5 });
        var head = custom.ParamGroups.Single(g => g.Name == "linear lm_head.weight");
        Assert.That(head.Parameters, Is.EqualTo(new[] { gpt.Head!.Weight }));
        Assert.That(((DualizedOptions)head.Options).LinearTarget, Is.EqualTo(0.5));
        Assert.That(((DualizedOptions)head.Options).Lr, Is.EqualTo(0.05));
        Assert.That(custom.ParamGroups.Single(g => g.Name == "bias").Parameters, Does.Contain(gpt.PositionEmbedding!.Weight));
        Assert.That(custom.ParamGroups.Single(g => g.Name == "linear").Parameters, Does.Not.Contain(gpt.Head!.Weight));

        var ex = Assert.Throws<ArgumentException>(() => new Dualized(gpt, targetNorms: new Dictionary<string, double> { ["lm_head.wieght"] = 1 }));
        Assert.That(ex!.Message, Does.Contain("lm_head.wieght").And.Contain("targetNorms"));
        var bad = Assert.Throws<ArgumentException>(() => new Dualized(gpt, rules: new Dictionary<string, DualizedRule> { ["ln_f.weight"] = DualizedRule.Linear }));
        Assert.That(bad!.Message, Does.Contain("Dualized").And.Contain("Rule").And.Contain("Linear"));
    }

    [Test]
    public void StateBytes_OneBufferPerParameter()
    {
        using var gpt = new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(1));
        using var opt = new Dualized(gpt);
        Assert.That(opt.StateBytes(), Is.EqualTo(gpt.ParameterCount() * 4));
        var p = gpt.Blocks[0].Attention.Query.Weight;
        Assert.That(opt.State(p).Buffers.Keys, Is.EqualTo(new[] { "momentum_buffer" }));
        using var scope = Tensor.NewDisposeScope();
        using var doubles = new Dualized([Tensor.Zeros([3, 5], DType.Float64).RequireGrad()]);
        Assert.That(doubles.StateBytes(), Is.EqualTo(15 * 8));
    }

    [TestCase(DualizedRule.Linear)]
    [TestCase(DualizedRule.Embedding)]
    [TestCase(DualizedRule.Bias)]
    [TestCase(DualizedRule.Scale)]
    public void ZeroGradient_LeavesTheParameterUnchanged_NoNaN(DualizedRule rule)
    {
        using var scope = Tensor.NewDisposeScope();
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var p = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }).To(dtype).RequireGrad();
            using var opt = new Dualized([p], new DualizedOptions { Rule = rule });
            for (int k = 0; k < 2; k++)
            {
                p.Grad = Tensor.ZerosLike(p);
                opt.Step();
            }
            Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new double[] { 1, 2, 3, 4, 5, 6 }), $"{rule} {dtype}");
        }
    }

    [Test]
    public void ConvexQuadratic_FallsBelowATenth()
    {
        // the Linear rule on a 2 x 3 matrix, lr 0.1 decayed linearly to 0 over 300 steps (modula's recipe): f 48 -> about 1e-4
        var x = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        using var opt = new Dualized([x]) { Schedule = Schedules.LinearDecay(300) };
        var (start, end) = MuonTestKit.Minimize(opt, x, MuonTestKit.Quadratic, 300);
        TestContext.Out.WriteLine($"f: {start} -> {end}");
        Assert.That(start, Is.EqualTo(48.0));
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    [Test]
    public void Rosenbrock_OnTheColumnsOfAMatrix_FallsBelowATenth()
    {
        // The Linear rule needs a matrix: three columns (x, y), each a copy of the 2-D Rosenbrock from (-1.5, 2), f = 37.5.
        // The columns stay equal, so the momentum is rank 1 and each column takes a normalised step of about
        // lr sqrt(2/3)/sqrt(3) along it; the lr decays linearly to 0 over 300 steps so the steps settle in the valley.
        var xy = MuonTestKit.RosenbrockStart(3);
        using var opt = new Dualized([xy]) { Schedule = Schedules.LinearDecay(300) };
        var (start, end) = MuonTestKit.Minimize(opt, xy, MuonTestKit.Rosenbrock, 300);
        TestContext.Out.WriteLine($"f: {start} -> {end}");
        Assert.That(start, Is.EqualTo(37.5));
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    [Test]
    public void StateDict_RoundTrip_ByShape_BitForBit()
    {
        using var scope = Tensor.NewDisposeScope();
        var init = new[]
        {
            Tensor.Randn([4, 3], new Generator(1)),          // Linear
            Tensor.Randn([3], new Generator(2)),             // Bias
            Tensor.Randn([1], new Generator(3)),             // Scale
            Tensor.Randn([1, 3, 2], new Generator(4)),       // Embedding rows
        };
        MuonTestKit.AssertRoundTrip(init, ps => new Dualized(ps, new DualizedOptions { WeightDecay = 0.01 }));
    }

    [Test]
    public void StateDict_RoundTrip_FromAModel_BitForBit()
    {
        MuonTestKit.AssertRoundTrip(
            () => new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(5)),
            model => new Dualized(model, targetNorms: new Dictionary<string, double> { ["lm_head.weight"] = 0.5 }));
    }

    [Test]
    public void LoadStateDict_RestoresRulesAndTargets()
    {
        using var gpt = new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(1));
        using var saved = new Dualized(gpt, new DualizedOptions { LinearTarget = 0.25, ScaleTarget = 3 });
        using var state = saved.StateDict();
        using var other = new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(1));
        using var restored = new Dualized(other);
        Assert.That(((DualizedOptions)restored.ParamGroups[3].Options).LinearTarget, Is.EqualTo(1.0));
        restored.LoadStateDict(state);
        for (int g = 0; g < restored.ParamGroups.Count; g++)
            Assert.That(restored.ParamGroups[g].Options, Is.EqualTo(saved.ParamGroups[g].Options));
        Assert.That(((DualizedOptions)restored.ParamGroups[3].Options).LinearTarget, Is.EqualTo(0.25));
        Assert.That(((DualizedOptions)restored.ParamGroups[3].Options).Rule, Is.EqualTo(DualizedRule.Linear));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.WithOpenCL))]
    public void OnADevice_StepsMatchTheCpu(Device device)
    {
        TestDevices.Require(device);
        using var scope = Tensor.NewDisposeScope();
        // by shape: Linear, Bias, Scale, Embedding rows
        var init = new[] { Tensor.Randn([4, 3], new Generator(1)), Tensor.Randn([3], new Generator(2)), Tensor.Randn([1], new Generator(3)), Tensor.Randn([1, 3, 2], new Generator(4)) };
        MuonTestKit.AssertDeviceFollowsCpu(init, device, ps => new Dualized(ps));
    }

    [Test]
    public void BadOptions_ThrowNamingDualizedAndTheField()
    {
        using var scope = Tensor.NewDisposeScope();
        var w = Tensor.Zeros([2, 2]).RequireGrad();
        foreach (var (options, field) in new (DualizedOptions, string)[]
        {
            (new DualizedOptions { Lr = double.NaN }, "Lr"),
            (new DualizedOptions { Lr = -1 }, "Lr"),
            (new DualizedOptions { Momentum = 1 }, "Momentum"),
            (new DualizedOptions { Momentum = double.NaN }, "Momentum"),
            (new DualizedOptions { NsSteps = 0 }, "NsSteps"),
            (new DualizedOptions { LinearTarget = -1 }, "LinearTarget"),
            (new DualizedOptions { EmbeddingTarget = double.PositiveInfinity }, "EmbeddingTarget"),
            (new DualizedOptions { Rule = (DualizedRule)7 }, "Rule"),
        })
        {
            var ex = Assert.Throws<ArgumentException>(() => new Dualized([w], options), field);
            Assert.That(ex!.Message, Does.Contain("Dualized").And.Contain(field));
        }
        var v = Tensor.Zeros([3]).RequireGrad();
        var linear = Assert.Throws<ArgumentException>(() => new Dualized([v], new DualizedOptions { Rule = DualizedRule.Linear }));
        Assert.That(linear!.Message, Does.Contain("Dualized").And.Contain("Rule").And.Contain("[3]"));
        var s = Tensor.Scalar(1.0).RequireGrad();
        Assert.Throws<ArgumentException>(() => new Dualized([s], new DualizedOptions { Rule = DualizedRule.Embedding }));
    }
}
