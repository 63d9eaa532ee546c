// Bad input gives one paragraph on stderr and exit code 2, never a stack trace (unless --verbose): unknown options,
// missing or corrupt files, truncated or foreign checkpoints, impossible models, unavailable devices and optimizers.
namespace DotGrad.Tests.Cli;

public class BadInputTests
{
    private string _checkpoint = "";

    [OneTimeSetUp]
    public void TrainATinyCheckpoint()
    {
        string dir = CliRunner.TempDir("bad-input");
        var r = CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        _checkpoint = Path.Combine(dir, "checkpoints", "step-000002");
    }

    /// <summary>A copy of the tiny checkpoint to damage.</summary>
    private string CopyOfCheckpoint()
    {
        string copy = CliRunner.TempDir("damaged");
        foreach (var f in Directory.GetFiles(_checkpoint)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        return copy;
    }

    [Test]
    public void UnknownOption() => CliRunner.AssertUsageError(CliRunner.Run("train", "--no-such-option", "3"), "--no-such-option");

    [Test]
    public void UnknownCommand() => CliRunner.AssertUsageError(CliRunner.Run("fly"), "fly");

    [Test]
    public void OptionValueOfTheWrongType() => CliRunner.AssertUsageError(CliRunner.Run("train", "--steps", "many"), "many");

    [Test]
    public void MissingTextFile() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "gpt", "--text", "/no/such/file.txt"), "does not exist");

    [Test]
    public void TextFileThatIsNotUtf8()
    {
        string file = Path.Combine(CliRunner.TempDir("binary"), "data.bin");
        File.WriteAllBytes(file, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 256 | 0x80)).ToArray());
        CliRunner.AssertUsageError(CliRunner.Run("train", "gpt", "--text", file), "not UTF-8");
    }

    [Test]
    public void TextFileTooShortForTheContext()
    {
        string file = Path.Combine(CliRunner.TempDir("short"), "short.txt");
        File.WriteAllText(file, "to be or not to be");
        CliRunner.AssertUsageError(CliRunner.Run("train", "gpt", "--text", file), "characters");
    }

    [Test]
    public void TruncatedWeights()
    {
        string copy = CopyOfCheckpoint();
        string weights = Path.Combine(copy, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", copy, "--prompt", "12>"), "cannot be loaded");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", copy, "--steps", "4", "--extend"), "cannot be loaded");
    }

    [Test]
    public void TruncatedOptimizerState()
    {
        string copy = CopyOfCheckpoint();
        string state = Path.Combine(copy, "optimizer.safetensors");
        File.WriteAllBytes(state, File.ReadAllBytes(state)[..20]);
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", copy, "--steps", "4", "--extend"), "optimizer state");
    }

    [Test]
    public void CorruptRunJson()
    {
        string copy = CopyOfCheckpoint();
        File.WriteAllText(Path.Combine(copy, "run.json"), "{ \"format\": \"dotgrad.run\", \"vers");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", copy, "--prompt", "12>"), "not valid JSON");
    }

    [Test]
    public void ForeignDirectory()
    {
        string dir = CliRunner.TempDir("foreign");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a checkpoint");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "12>"), "not a dotgrad checkpoint");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", dir), "not a dotgrad checkpoint");
    }

    [Test]
    public void ForeignRunJson()
    {
        string copy = CopyOfCheckpoint();
        File.WriteAllText(Path.Combine(copy, "run.json"), "{\"format\": \"something.else\", \"version\": 1}");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", copy, "--prompt", "12>"), "format");
    }

    [Test]
    public void WeightsOfAnotherModel()
    {
        // A checkpoint whose weights belong to a wider model: the strict load names the mismatched tensors.
        string other = CliRunner.TempDir("other");
        // (Of the same step: weights from another step are caught before their shapes, see UserErrorWordingTests.)
        Assert.That(CliRunner.Run("train", "--steps", "2", "--width", "32", "--depth", "1", "--heads", "2", "--batch", "2", "--digits", "4",
                                  "--eval-every", "0", "--out", other).ExitCode, Is.EqualTo(0));
        string copy = CopyOfCheckpoint();
        File.Copy(Path.Combine(other, "checkpoints", "step-000002", "model.safetensors"), Path.Combine(copy, "model.safetensors"), overwrite: true);
        var r = CliRunner.Run("sample", "--checkpoint", copy, "--prompt", "12>");
        CliRunner.AssertUsageError(r, "cannot be loaded");
        Assert.That(r.Err, Does.Contain("mis-shaped keys (wte.weight: checkpoint [11, 32], model [11, 16]"));
    }

    [Test]
    public void WidthNotDivisibleByHeads() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "--width", "30", "--heads", "4", "--steps", "1"), "Heads = 4 must divide Width = 30");

    [Test]
    public void UnavailableDevice() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "--device", "opencl:7", "--steps", "1"), "opencl:7");

    [Test]
    public void NotADevice() =>
        CliRunner.AssertUsageError(CliRunner.Run("gradcheck", "--device", "tpu"), "tpu");

    [Test]
    public void UnknownOptimizer() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "--optimizer", "adadelta", "--steps", "1"), "adamw");

    [Test]
    public void ImpossibleSchedule() =>
        CliRunner.AssertUsageError(CliRunner.Run("train", "--steps", "10", "--warmup", "8", "--cooldown", "5"), "--warmup");

    [Test]
    public void OutputDirectoryThatCannotBeCreated()
    {
        string file = Path.Combine(CliRunner.TempDir("out-file"), "a-file");
        File.WriteAllText(file, "");
        CliRunner.AssertUsageError(CliRunner.Run(["train", "--steps", "1", "--out", Path.Combine(file, "run"), .. CliRunner.Tiny]), "cannot be created");
    }

    [Test]
    public void Verbose_ShowsTheStackTrace()
    {
        var r = CliRunner.Run("train", "--width", "30", "--heads", "4", "--steps", "1", "--verbose");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("dotgrad: impossible model configuration"));
        Assert.That(r.Err, Does.Contain("   at "), "--verbose shows where the error came from");
    }
}
