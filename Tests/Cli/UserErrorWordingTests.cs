// Every user error is one readable paragraph with exit code 2: no .NET type names, no "(Parameter 'x')", no list of
// forty keys, a suggestion for a mistyped command, and the cases that used to end in "unexpected error" with exit 1.
using DotGrad.Cli;

namespace DotGrad.Tests.Cli;

public class UserErrorWordingTests
{
    [TestCase("--lr", "abc", "as a number")]
    [TestCase("--seed", "-1", "as a whole number, 0 or more")]
    [TestCase("--steps", "1.5", "as a whole number")]
    public void AValueOfTheWrongKind_IsNamedInWords_NotAsADotNetType(string option, string value, string words)
    {
        var r = CliRunner.Run("train", option, value);
        CliRunner.AssertUsageError(r, $"'{value}' for option '{option}' {words}");
        Assert.That(r.Err, Does.Not.Contain("System."));
    }

    [TestCase("trian", "train")]
    [TestCase("smaple", "sample")]
    [TestCase("devics", "devices")]
    public void AMistypedCommand_GetsTheNearestOne(string typed, string meant)
    {
        var r = CliRunner.Run(typed);
        CliRunner.AssertUsageError(r, $"Did you mean 'dotgrad {meant}'?");
        Assert.That(r.Err, Does.Not.Contain("Required command"));
    }

    [Test]
    public void AnEmptyTextFile_IsAUserError()
    {
        string file = Path.Combine(CliRunner.TempDir("empty-text"), "empty.txt");
        File.WriteAllText(file, "");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--text", file, "--steps", "2", "--out", CliRunner.TempDir("empty-run")), "is empty");
    }

    [Test]
    public void ForeignWeights_AreSummarised_NotListedKeyByKey()
    {
        string dir = TrainTiny("foreign-weights");
        string checkpoint = Path.Combine(dir, "checkpoints", "step-000002");
        using (var t = Tensor.Zeros(3))
            Safetensors.Save(Path.Combine(checkpoint, "model.safetensors"), new Dictionary<string, Tensor> { ["foo"] = t },
                             new Dictionary<string, string> { ["step"] = "2" });
        var r = CliRunner.Run("train", "--resume", checkpoint, "--steps", "4", "--extend");
        CliRunner.AssertUsageError(r, "20 missing keys (wte.weight, wpe.weight, h.0.ln_1.weight, ...); 1 unexpected key (foo)");
        Assert.That(r.Err, Does.Not.Contain("(Parameter"));
    }

    [Test]
    public void AStepEditedInRunJson_IsCaught_AgainstTheStepTheWeightsRecord()
    {
        string dir = TrainTiny("edited-step");
        string runJson = Path.Combine(dir, "checkpoints", "step-000002", "run.json");
        File.WriteAllText(runJson, File.ReadAllText(runJson).Replace("\"step\": 2", "\"step\": 1"));
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", dir + "/checkpoints/step-000002"), "run.json says step 1, but its weights are from step 2");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", dir + "/checkpoints/step-000002", "--prompt", "12"), "inconsistent");
    }

    [Test]
    public void AFieldOfTheWrongKindInRunJson_IsNamedInWords()
    {
        string dir = TrainTiny("json-kind");
        string runJson = Path.Combine(dir, "checkpoints", "step-000002", "run.json");
        string text = File.ReadAllText(runJson);
        int at = text.IndexOf("\"model\": \"gpt\"", StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), text);
        File.WriteAllText(runJson, text[..at] + "\"model\": 5" + text[(at + "\"model\": \"gpt\"".Length)..]);
        var r = CliRunner.Run("train", "--resume", dir + "/checkpoints/step-000002");
        CliRunner.AssertUsageError(r, "a number where text was expected");
        Assert.That(r.Err, Does.Not.Contain("System."));
    }

    [Test]
    public void AWriteToAFullDisk_IsRecognised()
    {
        // /dev/full fails every write with ENOSPC: the exception .NET raises for a full disk, as the CLI will meet it.
        if (!File.Exists("/dev/full")) Assert.Ignore("no /dev/full on this system");
        var e = Assert.Throws<IOException>(() =>
        {
            using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
            full.Write(new byte[4096]);
            full.Flush();
        });
        Assert.That(Program.IsDiskFull(e!), Is.True, $"HResult {e!.HResult}: {e.Message}");
        Assert.That(Program.IsDiskFull(new IOException("The process cannot access the file")), Is.False);
    }

    private static string TrainTiny(string name)
    {
        string dir = CliRunner.TempDir(name);
        var r = CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return dir;
    }
}

public class DivergenceMessageTests
{
    [Test]
    public void ADivergedRun_NamesTheFirstOpThatProducedANaN_AndDoesNotAdviseAClipAlreadyOn()
    {
        string dir = CliRunner.TempDir("diverge");
        var r = CliRunner.Run(["train", "--steps", "30", "--lr", "10000", "--clip", "1", "--out", dir, .. CliRunner.Tiny]);
        CliRunner.AssertUsageError(r, "training diverged");
        Assert.That(r.Err, Does.Match("(produced|received) a NaN or an infinity"), "the op that made it, from the anomaly replay");
        Assert.That(r.Err, Does.Not.Contain("add --clip 1"), "clipping is on already");
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.That(rows[^1].Split(',')[1], Is.EqualTo("NaN").Or.EqualTo("Infinity").Or.EqualTo("-Infinity"), "the diverged step is recorded");
    }
}
