// The modular norm's targets: chains, sums, taring and the scaled residual on small hand-worked networks, the targets
// of a tiny dualized ViT against the values worked out by hand (independent of depth), and the models it refuses.
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class ModularNormTests
{
    // Chain(a, bond 2, b): mass 2. b (last) gets 1 * 1/2 = 0.5; a gets 1 * 1/2 / (2 * 1) = 0.25 (b's sensitivity is 1).
    [Test]
    public void Chain_DividesEarlierAtomsByTheSensitivityAfterThem()
    {
        var t = ModularNorm.Targets(ModularNorm.Chain(ModularNorm.Atom("a"), ModularNorm.Bond(2), ModularNorm.Atom("b")));
        Assert.That(t["a"], Is.EqualTo(0.25).Within(1e-15));
        Assert.That(t["b"], Is.EqualTo(0.5).Within(1e-15));
    }

    // Sum(a, Chain(b, c)) with masses 1, 1, 2: total 4; a gets 1/4, the chain 3/4: c 3/4 * 2/3 = 1/2, b 3/4 * 1/3 / 1 = 1/4.
    // Sensitivities: a 1, chain 1 * 1 -> the sum's is 2.
    [Test]
    public void Sum_SharesByMass_AndAddsSensitivities()
    {
        var sum = ModularNorm.Sum(ModularNorm.Atom("a"), ModularNorm.Chain(ModularNorm.Atom("b"), ModularNorm.Atom("c", mass: 2)));
        Assert.That(sum.Mass, Is.EqualTo(4));
        Assert.That(sum.Sensitivity, Is.EqualTo(2));
        var t = ModularNorm.Targets(sum);
        Assert.That(t["a"], Is.EqualTo(0.25).Within(1e-15));
        Assert.That(t["b"], Is.EqualTo(0.25).Within(1e-15));
        Assert.That(t["c"], Is.EqualTo(0.5).Within(1e-15));
    }

    // modula's GPT pattern: Chain(Tare(embed, 1), Tare(blocks, 5), head): total mass 7. The tare changes the share of
    // the part, not the shares inside it: the two block atoms split 5/7 evenly.
    [Test]
    public void Tare_SetsAPartsShare_AndKeepsTheSharesInside()
    {
        var blocks = ModularNorm.Tare(ModularNorm.Chain(ModularNorm.Atom("w1"), ModularNorm.Atom("w2")), 5);
        var net = ModularNorm.Chain(ModularNorm.Tare(ModularNorm.Atom("embed"), 1), blocks, ModularNorm.Atom("head"));
        Assert.That(net.Mass, Is.EqualTo(7));
        var t = ModularNorm.Targets(net);
        Assert.That(t["embed"], Is.EqualTo(1 / 7.0).Within(1e-15));
        Assert.That(t["w1"], Is.EqualTo(2.5 / 7).Within(1e-15));
        Assert.That(t["w2"], Is.EqualTo(2.5 / 7).Within(1e-15));
        Assert.That(t["head"], Is.EqualTo(1 / 7.0).Within(1e-15));
    }

    // (1 - s) x + s f(x) with s = 1/4 and f = Chain(bond 3, atom): sensitivity 3/4 + 1/4 * 3 = 1.5; f's atom gets 1 / s = 4.
    [Test]
    public void ScaledResidual_DividesTheBranchTargetByS()
    {
        var r = ModularNorm.ScaledResidual(ModularNorm.Chain(ModularNorm.Bond(3), ModularNorm.Atom("w")), 0.25);
        Assert.That(r.Sensitivity, Is.EqualTo(1.5).Within(1e-15));
        Assert.That(ModularNorm.Targets(r)["w"], Is.EqualTo(4).Within(1e-15));
    }

    [Test]
    public void BadNodes_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModularNorm.Bond(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModularNorm.Atom("w", mass: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModularNorm.ScaledResidual(ModularNorm.Atom("w"), 1));
        Assert.Throws<ArgumentException>(() => ModularNorm.Tare(ModularNorm.Bond(), 1));
        Assert.Throws<ArgumentException>(() => ModularNorm.Targets(ModularNorm.Bond()));
        var twice = Assert.Throws<ArgumentException>(() => ModularNorm.Targets(ModularNorm.Chain(ModularNorm.Atom("w"), ModularNorm.Atom("w"))));
        Assert.That(twice!.Message, Does.Contain("'w'").And.Contain("twice"));
        Assert.Throws<ArgumentException>(() => new ModularMasses(Blocks: 0).Validate());
    }

    private static VisionTransformer DualizedVit(int depth, VitHead head = VitHead.Gap, VitPositions positions = VitPositions.SinCos2d) =>
        new(new VitConfig(28, 7, 1, 10, 16, depth, 32, 2, positions, head, Dualized: true), new Generator(1));

    // The dualized ViT (see Dualized.ModularTargets): masses input 1 (tared), blocks 5 (tared), output natural 4
    // (norm gain, norm bias, head weight, head bias): total 10, every sensitivity 1.
    //   output atoms: 1 * 4/10 * 1/4 = 1/10 each; input 1/10 over the patch weight and bias: 1/20 each.
    //   blocks: 5/10, each of N blocks 1/(2N); block masses: attention step 10 (ln_1 2 + attention 8), MLP step 6 (ln_2 2 + MLP 4).
    //   attention step 1/(2N) * 10/16, divided by s = 1/(2N): 10/16 -> ln_1 gain, bias 1/16 each; attention 8/16 = 1/2:
    //     out weight, bias 1/2 * 1/8 = 1/16 each; the (V, scores) tuple 1/2 * 6/8 / (1/3) = 9/8: V 9/8 * 2/6 = 3/8,
    //     3/16 per atom; scores 9/8 * 4/6 = 3/4 over (Q, K): Q 3/8, 3/16 per atom; K the same.
    //   MLP step 1/(2N) * 6/16 / s = 6/16 over its 6 atoms: 1/16 each.
    [TestCase(1)]
    [TestCase(3)]
    public void DualizedVit_TargetsMatchTheHandDerivation_AtAnyDepth(int depth)
    {
        using var vit = DualizedVit(depth);
        var t = Dualized.ModularTargets(vit);
        Assert.That(t.Keys, Is.EquivalentTo(vit.NamedParameters().Select(p => p.Name)), "every parameter has a target");
        var expected = new Dictionary<string, double>
        {
            ["patch_embed.weight"] = 1 / 20.0, ["patch_embed.bias"] = 1 / 20.0,
            ["norm.weight"] = 0.1, ["norm.bias"] = 0.1, ["head.weight"] = 0.1, ["head.bias"] = 0.1,
        };
        for (int i = 0; i < depth; i++)
        {
            foreach (var name in new[] { "ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias", "attn.out.weight", "attn.out.bias",
                                         "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias" })
                expected[$"blocks.{i}.{name}"] = 1 / 16.0;
            foreach (var name in new[] { "query", "key", "value" })
            {
                expected[$"blocks.{i}.attn.{name}.weight"] = 3 / 16.0;
                expected[$"blocks.{i}.attn.{name}.bias"] = 3 / 16.0;
            }
        }
        Assert.That(t.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (name, value) in expected)
            Assert.That(t[name], Is.EqualTo(value).Within(1e-12), name);
    }

    // Tok head, learned positions: the input is Sum(patch Linear (mass 2), positions (1), cls token (1)), tared to 1 and
    // given 1/10: each atom 1/10 * 1/4 = 1/40. The output is the same four atoms, the blocks the same as above.
    [Test]
    public void DualizedVit_TokHeadAndLearnedPositions_ShareTheInputsTarget()
    {
        using var vit = DualizedVit(2, VitHead.Tok, VitPositions.Learned);
        var t = Dualized.ModularTargets(vit);
        foreach (var name in new[] { "patch_embed.weight", "patch_embed.bias", "pos_embed", "cls_token" })
            Assert.That(t[name], Is.EqualTo(1 / 40.0).Within(1e-12), name);
        Assert.That(t["head.weight"], Is.EqualTo(0.1).Within(1e-12));
        Assert.That(t["blocks.1.attn.query.weight"], Is.EqualTo(3 / 16.0).Within(1e-12));
    }

    // Heavier blocks take a larger share: blocks mass 10 gives total 15, so the output atoms get 1/15 and Q 3/16 * (10/15) / (5/10).
    [Test]
    public void Masses_ChangeTheShares()
    {
        using var vit = DualizedVit(1);
        var t = Dualized.ModularTargets(vit, new ModularMasses(Blocks: 10));
        Assert.That(t["head.weight"], Is.EqualTo(1 / 15.0).Within(1e-12));
        Assert.That(t["blocks.0.attn.query.weight"], Is.EqualTo(3 / 16.0 * (10 / 15.0) / 0.5).Within(1e-12));
    }

    // A standard ViT block is not well-normed: its residual x + f(x) has sensitivity 1 + sensitivity(f) > 1, so the
    // input's target shrinks with depth (each block divides it), as modula's rule says.
    [Test]
    public void StandardVit_InputTargetShrinksWithDepth()
    {
        using var one = new VisionTransformer(new VitConfig(28, 7, 1, 10, 16, 1, 32, 2), new Generator(1));
        using var three = new VisionTransformer(new VitConfig(28, 7, 1, 10, 16, 3, 32, 2), new Generator(1));
        double a = Dualized.ModularTargets(one)["patch_embed.weight"], b = Dualized.ModularTargets(three)["patch_embed.weight"];
        Assert.That(b, Is.LessThan(a / 4), $"depth 1: {a}, depth 3: {b}");
    }

    [Test]
    public void GptWithAnUntiedHead_HasATargetForEveryParameter()
    {
        using var gpt = new Gpt(new GptConfig(11, 4, 8, 2, 2, TiedHead: false, Residual: ResidualKind.Scaled, Activation: Activation.ScaledGelu,
                                              Scale: AttentionScale.Inverse, AttentionOutputScale: 1.0 / 3), new Generator(1));
        var t = Dualized.ModularTargets(gpt);
        Assert.That(t.Keys, Is.EquivalentTo(gpt.NamedParameters().Select(p => p.Name)));
        Assert.That(t.Values, Is.All.GreaterThan(0));
    }

    [Test]
    public void ModelsWithoutAModularRule_AreRefusedByName()
    {
        using var map = DualizedVit(1, VitHead.Map);
        Assert.That(Assert.Throws<ArgumentException>(() => Dualized.ModularTargets(map))!.Message, Does.Contain("MAP head"));
        using var rezero = new VisionTransformer(new VitConfig(28, 7, 1, 10, 16, 1, 32, 2,
            BlockOptions: new BlockConfig(16, 2, 32, Residual: ResidualKind.ReZero)), new Generator(1));
        Assert.That(Assert.Throws<ArgumentException>(() => Dualized.ModularTargets(rezero))!.Message, Does.Contain("ReZero"));
        using var tied = new Gpt(new GptConfig(11, 4, 8, 1, 2), new Generator(1));
        Assert.That(Assert.Throws<ArgumentException>(() => Dualized.ModularTargets(tied))!.Message, Does.Contain("tied"));
        using var mixer = new MlpMixer(MlpMixerConfig.Mnist(), new Generator(1));
        Assert.That(Assert.Throws<ArgumentException>(() => Dualized.ModularTargets(mixer))!.Message, Does.Contain("MlpMixer").And.Contain("uniform"));
    }
}
