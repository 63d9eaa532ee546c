// --resume continues a run exactly: on the CPU, N steps in one go and N/2 + resume + N/2 give the same losses bit
// for bit, and the same final weights, because the data order comes from a generator whose state is checkpointed.
namespace DotGrad.Tests.Cli;

public class ResumeTests
{
    private const int N = 8;

    [Test]
    public void Resume_FromTheMiddle_GivesTheLossesOfAnUninterruptedRun_BitForBit()
    {
        string whole = CliRunner.TempDir("whole"), resumed = CliRunner.TempDir("resumed");
        var a = CliRunner.Run(["train", "--steps", $"{N}", "--save-every", $"{N / 2}", "--out", whole, .. CliRunner.Tiny]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        var b = CliRunner.Run("train", "--resume", Path.Combine(whole, "checkpoints", $"step-{N / 2:D6}"), "--out", resumed);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That(b.Out, Does.Contain($"Resuming").And.Contain($"at step {N / 2} of {N}"));

        var lossesWhole = Losses(whole);
        var lossesResumed = Losses(resumed);
        Assert.That(lossesWhole.Keys, Is.EqualTo(Enumerable.Range(1, N)));
        Assert.That(lossesResumed.Keys, Is.EqualTo(Enumerable.Range(N / 2 + 1, N / 2)), "the resumed run starts after the checkpoint's step");
        foreach (var (step, loss) in lossesResumed)
            Assert.That(loss, Is.EqualTo(lossesWhole[step]), $"step {step}: the loss (as written, every bit) differs");

        string final = Path.Combine("checkpoints", $"step-{N:D6}", "model.safetensors");
        Assert.That(File.ReadAllBytes(Path.Combine(resumed, final)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, final))), "the same final weights");
    }

    [Test]
    public void Resume_IntoItsOwnRunDirectory_KeepsTheEarlierMetricsRows()
    {
        string dir = CliRunner.TempDir("own-dir");
        Assert.That(CliRunner.Run(["train", "--steps", "4", "--save-every", "2", "--out", dir, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        var expected = Losses(dir);
        var r = CliRunner.Run("train", "--resume", dir + "/checkpoints/step-000002");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(Losses(dir), Is.EqualTo(expected), "rows 1-2 kept, rows 3-4 rewritten identically");
    }

    [Test]
    public void Resume_WithAChangedSetting_IsAUsageError()
    {
        string dir = CliRunner.TempDir("changed");
        Assert.That(CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", dir, "--lr", "0.1"), "--lr");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", dir), "already finished");
    }

    /// <summary>Step -> the loss exactly as metrics.csv has it (round-trip text, so equal strings mean equal bits).</summary>
    private static Dictionary<int, string> Losses(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Skip(1)
            .Select(l => l.Split(','))
            .ToDictionary(c => int.Parse(c[0], System.Globalization.CultureInfo.InvariantCulture), c => c[1]);
}
