// dotgrad attention: a tiny character-level GPT trained through the command, then its attention over a prompt drawn
// as one PNG (a heatmap per layer and head); a prompt longer than the context is cropped; a sort-task GPT works too;
// an empty prompt, unknown characters and a checkpoint that is not a GPT are usage errors.
using System.Text.Json.Nodes;
using DotGrad.Cli.Output;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class AttentionCommandTests
{
    private const int Context = 16, Depth = 2, Heads = 2;
    private string _run = "";

    /// <summary>Two training steps of a 2-layer, 2-head GPT on a small text: enough for the plumbing.</summary>
    [OneTimeSetUp]
    public void TrainATinyTextGpt()
    {
        string dir = CliRunner.TempDir("attention-run");
        string text = Path.Combine(dir, "tiny.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat.\nthe dog sat on the log.\n", 12)));
        _run = Path.Combine(dir, "run");
        var r = CliRunner.Run("train", "gpt", "--text", text, "--context", $"{Context}", "--width", "16", "--depth", $"{Depth}", "--heads", $"{Heads}",
                              "--steps", "2", "--batch", "4", "--eval-every", "0", "--out", _run);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    [Test]
    public void Attention_DrawsAHeatmapPerLayerAndHead_InOnePng()
    {
        string dir = CliRunner.TempDir("attention");
        string png = Path.Combine(dir, "att.png");
        var r = CliRunner.Run("attention", "--checkpoint", _run, "--prompt", @"the cat\nsat", "--out", png);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"{Depth} layers x {Heads} heads over 11 characters \"the cat\\nsat\""));
        Assert.That(r.Out, Does.Contain(png));
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EqualTo(new[] { "att.png" }), "written atomically: no temporary file is left");

        using var image = SKBitmap.Decode(png);
        Assert.That(image, Is.Not.Null, "the PNG decodes");
        // A grid of Depth rows and Heads columns of square heatmaps, each at least 220 pixels a side plus its margin.
        Assert.That(image.Width, Is.InRange(Heads * 220, Heads * 500));
        Assert.That(image.Height, Is.InRange(Depth * 220, Depth * 500));
        Assert.That(image.Width, Is.GreaterThan(image.Height), "the colour bars' room on the right");
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < image.Height; y += 7)
            for (int x = 0; x < image.Width; x += 7) colours.Add(image.GetPixel(x, y));
        Assert.That(colours, Has.Count.GreaterThan(20), "heatmaps, not a blank image");
    }

    [Test]
    public void LongPrompt_IsCroppedToTheContext()
    {
        string png = Path.Combine(CliRunner.TempDir("attention-long"), "att.png");
        var r = CliRunner.Run("attention", "--checkpoint", _run, "--prompt", "the cat sat on the mat. the dog sat on the log.", "--out", png);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"the model reads at most {Context}"));
        Assert.That(r.Out, Does.Contain($"over {Context} characters \" sat on the log.\""), "the last characters are kept");
        Assert.That(File.Exists(png), Is.True);
    }

    [Test]
    public void SortTaskGpt_Works_Too()
    {
        string run = CliRunner.TempDir("attention-sort");
        Assert.That(CliRunner.Run(["train", "--steps", "1", "--out", run, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        string png = Path.Combine(run, "att.png");
        var r = CliRunner.Run("attention", "--checkpoint", run, "--prompt", "3141>1134", "--out", png);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("1 layer x 2 heads over 8 characters"), "the sort task's context is 2 x 4 digits: the prompt is cropped");
        Assert.That(File.Exists(png), Is.True);
    }

    [Test]
    public void BadInput_IsAUsageError()
    {
        string png = Path.Combine(CliRunner.TempDir("attention-bad"), "att.png");
        CliRunner.AssertUsageError(CliRunner.Run("attention", "--checkpoint", _run, "--prompt", "", "--out", png), "--prompt is empty");
        CliRunner.AssertUsageError(CliRunner.Run("attention", "--checkpoint", _run, "--prompt", "the CAT", "--out", png), "vocabulary lacks: \"C\" \"A\" \"T\"");
        CliRunner.AssertUsageError(CliRunner.Run("attention", "--checkpoint", "/no/such/run", "--prompt", "the", "--out", png), "does not exist");
        CliRunner.AssertUsageError(CliRunner.Run("attention", "--prompt", "the"), "--checkpoint");
        Assert.That(File.Exists(png), Is.False);
    }

    [Test]
    public void ACheckpointThatIsNotAGpt_IsAUsageError()
    {
        string mnist = IdxFiles.Directory(CliRunner.TempDir("attention-mnist"), train: 16, test: 8, gzip: false);
        string run = CliRunner.TempDir("attention-vit");
        var train = CliRunner.Run("train", "vit", "--mnist", mnist, "--steps", "1", "--batch", "2", "--eval-every", "0", "--width", "16", "--depth", "1",
                                  "--heads", "2", "--mlp-hidden", "16", "--out", run);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.ToString());
        CliRunner.AssertUsageError(CliRunner.Run("attention", "--checkpoint", run, "--prompt", "1"), "needs a gpt checkpoint");

        // A GPT checkpoint whose run.json lost its vocabulary cannot turn the prompt into tokens.
        string copy = CliRunner.TempDir("attention-novocab");
        string checkpoint = Directory.GetDirectories(Path.Combine(_run, "checkpoints")).Single();
        foreach (var file in Directory.GetFiles(checkpoint)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "run.json")))!;
        json["task"]!.AsObject().Remove("vocab");
        File.WriteAllText(Path.Combine(copy, "run.json"), json.ToJsonString());
        CliRunner.AssertUsageError(CliRunner.Run("attention", "--checkpoint", copy, "--prompt", "the"), "no vocabulary");
    }

    [Test]
    public void Help_ExitsZero()
    {
        var r = CliRunner.Run("attention", "--help");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("--checkpoint").And.Contain("--prompt").And.Contain("--out"));
    }

    [Test]
    public void Labels_ShowWhitespace()
    {
        Assert.That(AttentionPlot.Labels("a b\n\tc"), Is.EqualTo(new[] { "a", "\u2423", "b", "\u21B5", "\u21E5", "c" }));
    }
}
