// dotgrad sample: continues a prompt from a checkpoint (sort or text), the same seed gives the same text; the
// char-level Shakespeare run and sample use the shared data when it is there.
namespace DotGrad.Tests.Cli;

public class SampleCommandTests
{
    [Test]
    public void Sample_FromASortCheckpoint_ContinuesThePrompt_Repeatably()
    {
        string dir = CliRunner.TempDir("sample-sort");
        Assert.That(CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        var a = CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "3141>", "--tokens", "4", "--seed", "7");
        var b = CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "3141>", "--tokens", "4", "--seed", "7");
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(a.Out, Is.EqualTo(b.Out), "the same seed gives the same text");
        string text = a.Out.TrimEnd('\n');
        Assert.That(text, Does.StartWith("3141>"));
        Assert.That(text, Has.Length.EqualTo(9));
        Assert.That(text.All(c => "0123456789>".Contains(c)), Is.True, text);
    }

    [Test]
    public void Shakespeare_TinyRun_ThenSample()
    {
        string path = CliRunner.RequireData("tinyshakespeare.txt");
        string dir = CliRunner.TempDir("shakespeare");
        var train = CliRunner.Run("train", "gpt", "--text", path, "--steps", "3", "--batch", "4", "--context", "16", "--width", "16",
                                  "--depth", "1", "--heads", "2", "--eval-every", "0", "--out", dir);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.ToString());
        Assert.That(train.Out, Does.Contain("vocabulary 65").And.Contain("validation loss"));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[0], Does.EndWith(",val_loss,param_norm"));

        var a = CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "ROMEO:", "--tokens", "20", "--seed", "3", "--top-k", "5");
        var b = CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "ROMEO:", "--tokens", "20", "--seed", "3", "--top-k", "5");
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(a.Out, Is.EqualTo(b.Out));
        Assert.That(a.Out, Does.StartWith("ROMEO:"));
        Assert.That(a.Out[..^1], Has.Length.EqualTo(26), "the prompt and 20 characters");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "ROMEO: \u00e9"), "vocabulary");
    }
}
