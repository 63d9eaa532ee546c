// dotgrad train lm: a tiny token-mixer language model trained on a text through the command, resumed from its
// checkpoint, and bad mixer switches as usage errors.
namespace DotGrad.Tests.Cli;

public class MixerLmTrainTests
{
    private static string TinyText(string dir)
    {
        string text = Path.Combine(dir, "tiny.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat.\nthe dog sat on the log.\n", 12)));
        return text;
    }

    [TestCase("gmlp-tanh", "--rezero")]
    [TestCase("container", "--mixer-heads")]
    [TestCase("mixer", "--mixer-heads")]
    public void TrainLm_RunsAndResumes(string mixer, string extra)
    {
        string dir = CliRunner.TempDir($"lm-{mixer}");
        string run = Path.Combine(dir, "run");
        string[] extraArgs = extra == "--rezero" ? ["--rezero"] : ["--mixer-heads", "2"];
        var r = CliRunner.Run(["train", "lm", "--mixer", mixer, "--text", TinyText(dir), "--context", "16", "--width", "16", "--depth", "2",
                               "--mlp-hidden", "32", .. extraArgs, "--steps", "2", "--batch", "4", "--eval-every", "0", "--out", run]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"lm: {mixer} mixer, width 16, depth 2"));
        string runJson = Path.Combine(run, "checkpoints", "step-000002", "run.json");
        Assert.That(File.Exists(runJson), Is.True, "the final checkpoint");
        Assert.That(File.ReadAllText(runJson), Does.Contain("\"Mixer\""));
        var resumed = CliRunner.Run("train", "--resume", run, "--steps", "3", "--extend");   // its cosine schedule held at its end
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
    }

    [Test]
    public void BadMixerSwitches_AreUsageErrors()
    {
        string dir = CliRunner.TempDir("lm-bad");
        string text = TinyText(dir);
        CliRunner.AssertUsageError(CliRunner.Run("train", "lm", "--mixer", "lstm", "--text", text, "--context", "8"), "--mixer 'lstm' is not one of attention, mixer, gmlp");
        CliRunner.AssertUsageError(CliRunner.Run("train", "lm", "--heads", "2", "--text", text, "--context", "8"), "--heads does not apply to lm");
        CliRunner.AssertUsageError(CliRunner.Run("train", "gpt", "--mixer", "gmlp", "--text", text, "--context", "8"), "--mixer does not apply to gpt");
        CliRunner.AssertUsageError(CliRunner.Run("train", "lm", "--mixer-heads", "3", "--width", "16", "--text", text, "--context", "8"), "impossible model configuration");
    }
}
