// dotgrad graph: the one-neuron graph and each model's graph written as DOT with the node count printed; --trace
// prints the forward pass; a PNG or SVG beside the DOT when Graphviz is installed, and the DOT with an install hint
// when it is not; bad options are usage errors.
using System.Text.RegularExpressions;
using DotGrad.Autodiff;
using DotGrad.Cli.Output;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class GraphCommandTests
{
    /// <summary>The nodes a DOT file declares (not its edges).</summary>
    private static int DeclaredNodes(string dot) => Regex.Matches(dot, @"^\s*n\d+ \[", RegexOptions.Multiline).Count;

    private static int Count(string text, string word) => Regex.Matches(text, $@"label=""{word}\\n").Count;

    [Test]
    public void Default_WritesTheOneNeuronGraph_AndRendersAPngWhenGraphvizIsThere()
    {
        string dir = CliRunner.TempDir("graph");
        string dotPath = Path.Combine(dir, "neuron.dot");
        var r = CliRunner.Run("graph", "--out", dotPath);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

        string dot = File.ReadAllText(dotPath);
        Assert.That(dot, Does.StartWith("digraph autograd"));
        foreach (var op in new[] { "MatMul", "Expand", "Add", "Tanh", "Sub", "Square" })
            Assert.That(Count(dot, op), Is.EqualTo(1), $"{op} in\n{dot}");
        Assert.That(Regex.Matches(dot, "fillcolor=lightblue").Count, Is.EqualTo(2), "w and b require grad");
        Assert.That(DeclaredNodes(dot), Is.EqualTo(13), dot);
        Assert.That(r.Out, Does.Contain("nodes     13 (8 ops, 5 leaves)"));
        Assert.That(r.Out, Does.Contain("tanh(x w + b)"));
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Has.None.EndsWith(".tmp"), "no temporary file is left behind");

        if (Graphviz.FindDot() is null)
        {
            Assert.That(r.Out, Does.Contain("install Graphviz"));
            Assert.Ignore("the DOT is checked; Graphviz's dot is not on the PATH, so there is no PNG to check");
        }
        string png = Path.Combine(dir, "neuron.png");
        Assert.That(r.Out, Does.Contain(png));
        using var image = SKBitmap.Decode(png);
        Assert.That(image, Is.Not.Null, "the PNG decodes");
        Assert.That(image.Width * image.Height, Is.GreaterThan(100 * 100));
    }

    [Test]
    public void Trace_PrintsTheForwardPass_AsATable()
    {
        string dir = CliRunner.TempDir("graph-trace");
        var r = CliRunner.Run("graph", "--trace", "--out", Path.Combine(dir, "graph.dot"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var lines = r.Out.Split('\n');
        int header = Array.IndexOf(lines, ShapeTrace.Header);
        Assert.That(header, Is.GreaterThanOrEqualTo(0), r.Out);
        Assert.That(lines[header + 1], Does.Contain("MatMul").And.Contain("[4, 3], [3, 1]").And.Contain("-> [4, 1]"));
        Assert.That(lines[(header + 1)..(header + 9)].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]),
                    Is.EqualTo(new[] { "MatMul", "Expand", "Add", "Tanh", "Sub", "Square", "Sum", "Mul" }), r.Out);
    }

    [Test]
    public void ModelGpt_TakesTheModelSwitches_AndDrawsOneAttentionPerBlock()
    {
        string dir = CliRunner.TempDir("graph-gpt");
        string dotPath = Path.Combine(dir, "gpt.dot");
        var r = CliRunner.Run("graph", "--model", "gpt", "--width", "8", "--depth", "2", "--heads", "4", "--format", "svg", "--out", dotPath);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("gpt: width 8, depth 2, heads 4"));
        string dot = File.ReadAllText(dotPath);
        Assert.That(Count(dot, "AttentionFused"), Is.EqualTo(2), "one fused attention node per block");
        Assert.That(Count(dot, "CrossEntropyFused"), Is.EqualTo(1), "the graph ends in the training loss");
        Assert.That(Regex.IsMatch(dot, @"label=""AttentionFused\\n\[2, 4, 8, 2\]"""), Is.True, "batch 2, 4 heads, the sort task's context of 8, head size 2");
        var nodes = Regex.Match(r.Out, @"nodes\s+(\d+) \((\d+) ops, (\d+) leaves\)");
        Assert.That(nodes.Success, Is.True, r.Out);
        Assert.That(int.Parse(nodes.Groups[1].Value), Is.EqualTo(DeclaredNodes(dot)));
        if (Graphviz.FindDot() is not null)
            Assert.That(File.ReadAllText(Path.Combine(dir, "gpt.svg")), Does.Contain("<svg"));
        Assert.That(File.Exists(Path.Combine(dir, "gpt.png")), Is.False, "--format svg draws only the SVG");
    }

    [TestCase("vit")]
    [TestCase("mixer")]
    [TestCase("gmlp")]
    public void VisionModels_DrawTheirLoss_WithoutMnist(string model)
    {
        string dir = CliRunner.TempDir($"graph-{model}");
        string dotPath = Path.Combine(dir, "g.dot");
        var r = CliRunner.Run("graph", "--model", model, "--out", dotPath, "--format", "svg");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"{model}: width 16, depth 1"));
        string dot = File.ReadAllText(dotPath);
        Assert.That(Regex.IsMatch(dot, @"label=""CrossEntropy\w*\\n\[\]"""), Is.True, dot);
        Assert.That(Regex.IsMatch(dot, @"label=""leaf\\n\[2, 16, 49\] Float32"""), Is.True, "two 28 x 28 images cut into 16 patches of 7 x 7 pixels each");
    }

    [Test]
    public void WithoutGraphviz_WritesTheDot_AndSaysHowToInstallIt()
    {
        // A child process whose PATH has no dot in it.
        string dir = CliRunner.TempDir("graph-nodot");
        string emptyPath = Directory.CreateDirectory(Path.Combine(dir, "empty-path")).FullName;
        string dotPath = Path.Combine(dir, "graph.dot");
        var r = CliRunner.RunProcess(new Dictionary<string, string> { ["PATH"] = emptyPath }, "graph", "--out", dotPath);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(File.ReadAllText(dotPath), Does.StartWith("digraph"));
        Assert.That(File.Exists(Path.Combine(dir, "graph.png")), Is.False);
        Assert.That(r.Out, Does.Contain("not on the PATH").And.Contain(Graphviz.InstallHint));
        Assert.That(r.Err, Is.Empty, "a missing Graphviz is not an error");
    }

    [Test]
    public void Help_ListsTheOptions_AndTheCommandIsListed()
    {
        var help = CliRunner.Run("graph", "--help");
        Assert.That(help.ExitCode, Is.EqualTo(0), help.ToString());
        Assert.That(help.Out, Does.Contain("--model").And.Contain("--trace").And.Contain("--format").And.Contain("--width"));
        Assert.That(CliRunner.Run().Out, Does.Contain("graph").And.Contain("attention"));
    }

    [Test]
    public void BadOptions_AreUsageErrors()
    {
        string dir = CliRunner.TempDir("graph-bad");
        string dotPath = Path.Combine(dir, "g.dot");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--format", "jpg", "--out", dotPath), "--format 'jpg'");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--model", "rnn", "--out", dotPath), "gpt, vit, mixer, gmlp");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--width", "8", "--out", dotPath), "--model");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--out", Path.Combine(dir, "g.png")), ".dot");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--model", "mixer", "--heads", "2", "--out", dotPath), "--heads does not apply to mixer");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--model", "gpt", "--width", "10", "--heads", "4", "--out", dotPath), "impossible model configuration");
        CliRunner.AssertUsageError(CliRunner.Run("graph", "--model", "gpt", "--batch", "0", "--out", dotPath), "--batch");
        Assert.That(Directory.GetFiles(dir), Is.Empty, "nothing is written when the options are wrong");
    }
}
