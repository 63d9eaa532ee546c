// --head-weight-decay: the output layer's weight leaves the body's groups for a group "head" of its own with that
// decay, under every optimizer (muon and dualized too); the body keeps --weight-decay; a large head decay keeps the
// head's weights small; a GPT whose head is the token embedding has no head to decay apart.
using System.Text.Json.Nodes;
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Optim;

namespace DotGrad.Tests.Cli;

public class HeadWeightDecayTests
{
    private static readonly string[] TinyVit = ["--width", "16", "--depth", "1", "--heads", "2", "--mlp-hidden", "32", "--batch", "8", "--eval-every", "0"];
    private string _synthetic = "";

    [OneTimeSetUp]
    public void WriteASmallMnistDirectory() =>
        _synthetic = IdxFiles.Directory(CliRunner.TempDir("head-decay-mnist"), train: 32, test: 10, gzip: false);

    private static IEnumerable<TestCaseData> Cases() =>
        from name in Optimizers.Names
        from kind in new[] { "vit", "mixer", "gmlp" }
        select new TestCaseData(name, kind);

    [TestCaseSource(nameof(Cases))]
    public void TheHeadWeight_GetsAGroupOfItsOwn_WithItsDecay(string optimizerName, string kindName)
    {
        var kind = ModelKinds.Find(kindName)!;
        var config = kind.Configure(new ModelSwitches(Width: 16, Depth: 1, MlpHidden: 32, Heads: kindName == "vit" ? 2 : null), MnistTask.Load(_synthetic));
        using var model = kind.Build(config, 1, Device.Cpu, "test");
        var head = model.NamedParameters().Single(p => p.Name == "head.weight").Parameter;
        const double Body = 0.05, Head = 2.5;
        using var plain = Optimizers.Create(optimizerName, model, 1e-3, Body, fallbackLr: 3e-3);
        using var split = Optimizers.Create(optimizerName, model, 1e-3, Body, fallbackLr: 3e-3, head: new HeadGroup(Optimizers.HeadWeights(model, kind), Head));

        Assert.That(plain.ParamGroups.Select(g => g.Name), Does.Not.Contain("head"), "without the option the groups are as before");
        var group = split.ParamGroups.Single(g => g.Name == "head");
        Assert.That(group.Parameters, Has.Count.EqualTo(1), "the head's weight only (its bias has no decay)");
        Assert.That(group.Parameters[0], Is.SameAs(head));
        Assert.That(group.WeightDecay, Is.EqualTo(Head));
        Assert.That(split.ParamGroups.Where(g => g != group).SelectMany(g => g.Parameters), Has.None.SameAs(head), "the head is in one group");
        Assert.That(split.ParamGroups.Sum(g => g.Parameters.Count), Is.EqualTo(plain.ParamGroups.Sum(g => g.Parameters.Count)), "every parameter still in a group");
        // The body keeps its decay: the group holding a hidden matrix has the --weight-decay it had without the option.
        var hidden = model.NamedParameters().First(p => p.Parameter.Rank == 2 && !p.Name.StartsWith("head", StringComparison.Ordinal)
                                                         && !p.Name.StartsWith("patch_embed", StringComparison.Ordinal) && !p.Name.StartsWith("stem", StringComparison.Ordinal)).Parameter;
        double DecayOf(Optimizer o) => o.ParamGroups.Single(g => g.Parameters.Any(p => ReferenceEquals(p, hidden))).WeightDecay;
        Assert.That(DecayOf(split), Is.EqualTo(DecayOf(plain)).And.EqualTo(Body));
        // The head group's other options are those of the group it would be in without the option: only the decay differs.
        var bodyOptions = split.ParamGroups.Single(g => g.Name == optimizerName switch { "muon" => "adamw", "dualized" => "linear", _ => null }).Options;
        Assert.That(group.Options, Is.EqualTo(bodyOptions with { WeightDecay = Head }));
    }

    [Test]
    public void ALargeHeadDecay_KeepsTheHeadSmall_AndIsSaved()
    {
        string plain = CliRunner.TempDir("head-plain"), decayed = CliRunner.TempDir("head-decayed");
        string[] common = ["train", "vit", "--mnist", _synthetic, "--steps", "12", "--lr", "0.01", "--warmup", "0", "--schedule", "constant", .. TinyVit];
        var a = CliRunner.Run([.. common, "--out", plain]);
        var b = CliRunner.Run([.. common, "--head-weight-decay", "50", "--out", decayed]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That(b.Out, Does.Contain("weight decay 0.01, head weight decay 50,"));
        Assert.That(a.Out, Does.Not.Contain("head weight decay"));

        double HeadNorm(string dir)
        {
            var w = DotGrad.Safetensors.Load(Path.Combine(dir, "checkpoints", "step-000012", "model.safetensors"))["head.weight"];
            return Math.Sqrt(w.ToArray<float>().Sum(v => (double)v * v));
        }
        // AdamW moves each weight by about lr a step; a decay of lr * 50 = 0.5 a step holds the head near lr / 0.5 of that.
        Assert.That(HeadNorm(decayed), Is.LessThan(0.5 * HeadNorm(plain)), $"{HeadNorm(decayed)} vs {HeadNorm(plain)}");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(decayed, "checkpoints", "step-000012", "run.json")))!;
        Assert.That(run["settings"]!["HeadWeightDecay"]!.GetValue<double>(), Is.EqualTo(50));

        var resumed = CliRunner.Run("train", "--resume", decayed, "--steps", "14", "--out", CliRunner.TempDir("head-resumed"));
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Out, Does.Contain("head weight decay 50"), "the head group comes back with the checkpoint");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", decayed, "--steps", "14", "--head-weight-decay", "1"), "--head-weight-decay");
    }

    [Test]
    public void ATiedGptHead_IsAUsageError_AnUntiedOneTrains()
    {
        CliRunner.AssertUsageError(CliRunner.Run(["train", "--head-weight-decay", "1", "--steps", "1", .. CliRunner.Tiny]), "tied to the token embedding");
        var r = CliRunner.Run(["train", "--head", "untied", "--head-weight-decay", "1", "--optimizer", "muon", "--steps", "2",
                               "--out", CliRunner.TempDir("untied-head"), .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("head weight decay 1,"));
    }

    [Test]
    public void ANegativeHeadDecay_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--head-weight-decay", "-1", "--steps", "1", .. TinyVit]), "--head-weight-decay must be");

    [Test]
    public void HeadDecayWithPerLayerDualizedTargets_IsAUsageError()
    {
        var r = CliRunner.Run(["train", "vit", "--dualized", "--mnist", _synthetic, "--optimizer", "dualized", "--head-weight-decay", "0.1", "--steps", "1", .. TinyVit]);
        CliRunner.AssertUsageError(r, "--dualized-targets uniform");
        var ok = CliRunner.Run(["train", "vit", "--dualized", "--mnist", _synthetic, "--optimizer", "dualized", "--dualized-targets", "uniform",
                                "--head-weight-decay", "0.1", "--steps", "1", "--out", CliRunner.TempDir("head-decay-dualized"), .. TinyVit]);
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.ToString());
        Assert.That(ok.Out, Does.Contain("head weight decay 0.1"));
    }
}
