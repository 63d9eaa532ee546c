// dotgrad sample --checkpoint FILE.safetensors --tokenizer gpt2: a small random GPT saved in the Hugging Face GPT-2
// layout continues a prompt, repeatably, as the library's Generate does; mistakes are one-paragraph usage errors.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Models;

namespace DotGrad.Tests.Cli;

public class SampleGpt2Tests
{
    /// <summary>GPT-2's vocabulary and layout, tiny otherwise: width 8, one block of 2 heads, context 32.</summary>
    private static readonly GptConfig Tiny = new(VocabSize: 50257, ContextLength: 32, Width: 8, Depth: 1, Heads: 2, Activation: Activation.GeluTanh);

    private static string SaveTiny(GptConfig config, bool writeConfig = true)
    {
        string dir = CliRunner.TempDir("gpt2");
        string path = Path.Combine(dir, "model.safetensors");
        using var gpt = new Gpt(config, new Generator(21));
        gpt.SaveGpt2(path);
        if (writeConfig) gpt.WriteConfig(Gpt2Checkpoints.ConfigPath(path));
        return path;
    }

    [Test]
    public void Sample_Gpt2File_ContinuesThePrompt_AsGenerateDoes_Repeatably()
    {
        string path = SaveTiny(Tiny);
        var a = CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "gpt2", "--prompt", "Hello world", "--tokens", "6", "--seed", "3", "--top-k", "50");
        var b = CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "gpt2", "--prompt", "Hello world", "--tokens", "6", "--seed", "3", "--top-k", "50");
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(b.Out, Is.EqualTo(a.Out), "the same seed gives the same text");
        Assert.That(a.Out, Does.StartWith("Hello world"));

        // The same continuation from the library: the default temperature 0.8, top-k 50, seed 3.
        var tokenizer = new Gpt2Tokenizer();
        using var gpt = Gpt2Checkpoints.LoadGpt2(path);
        var ids = tokenizer.Encode("Hello world");
        using var prompt = Tensor.FromArray(ids, [1, ids.Length]);
        var output = gpt.Generate(prompt, 6, 0.8, 50, new Generator(3)).ToArray<int>();
        Assert.That(a.Out, Is.EqualTo(tokenizer.Decode(output) + "\n"));
    }

    [Test]
    public void Sample_Gpt2File_HeadsOption_OverridesConfigJson()
    {
        // Without config.json, width 8 is not a multiple of 64: the heads must be given.
        string path = SaveTiny(Tiny, writeConfig: false);
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "gpt2", "--prompt", "Hi"), "heads");
        var r = CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "gpt2", "--heads", "2", "--prompt", "Hi", "--tokens", "2", "--temperature", "0");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "gpt2", "--heads", "3", "--prompt", "Hi"), "3 heads");
    }

    [Test]
    public void Sample_Gpt2Mistakes_AreUsageErrors()
    {
        string path = SaveTiny(Tiny);
        string dir = Path.GetDirectoryName(path)!;
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", path, "--prompt", "Hi"), "--tokenizer gpt2");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "bert", "--prompt", "Hi"), "'gpt2'");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", dir, "--tokenizer", "gpt2", "--prompt", "Hi"), "directory");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", Path.Combine(dir, "none.safetensors"), "--tokenizer", "gpt2", "--prompt", "Hi"), "does not exist");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", path, "--tokenizer", "gpt2", "--prompt", ""), "empty");
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", dir, "--heads", "2", "--prompt", "Hi"), "--heads");

        // A model whose vocabulary is smaller than GPT-2's, and a file in DotGrad's own layout.
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", SaveTiny(Tiny with { VocabSize = 100 }), "--tokenizer", "gpt2", "--prompt", "Hi"),
                                   "vocabulary of 100 tokens");
        string own = Path.Combine(CliRunner.TempDir("own"), "model.safetensors");
        using (var gpt = new Gpt(Tiny with { VocabSize = 100 }, new Generator(1))) gpt.SaveSafetensors(own);
        CliRunner.AssertUsageError(CliRunner.Run("sample", "--checkpoint", own, "--tokenizer", "gpt2", "--prompt", "Hi"), "missing keys");
    }
}
