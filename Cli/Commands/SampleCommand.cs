// dotgrad sample: continue a prompt with a trained GPT checkpoint (temperature, top-k, a seed for repeatable text), or
// with GPT-2 weights in the Hugging Face layout and GPT-2's tokenizer (--checkpoint FILE.safetensors --tokenizer gpt2).
using System.CommandLine;
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Commands;

internal static class SampleCommand
{
    public static Command Create(CliContext context)
    {
        var checkpoint = new Option<string>("--checkpoint")
        {
            HelpName = "DIR|FILE", Required = true,
            Description = "A run directory (its latest checkpoint), a checkpoints/step-N directory, or GPT-2 weights (model.safetensors in the Hugging Face layout, with --tokenizer gpt2)",
        };
        var tokenizer = new Option<string?>("--tokenizer") { HelpName = "NAME", Description = "The tokenizer of a GPT-2 checkpoint file: gpt2 (GPT-2's BPE, shipped with dotgrad)" };
        var heads = new Option<int?>("--heads") { HelpName = "N", Description = "Attention heads of a GPT-2 checkpoint file (default: n_head of config.json beside it, else width / 64)" };
        var prompt = new Option<string>("--prompt") { Description = @"The text to continue; \n, \t and \\ are read as newline, tab and backslash", Required = true };
        var tokens = new Option<int?>("--tokens") { Description = "How many tokens (characters of a char-level run) to generate (default: a sort task's answer length, 100 for GPT-2, otherwise 200)" };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature; 0 is greedy", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int?>("--top-k") { Description = "Sample only from the K most likely tokens (characters of a char-level run)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling; the same seed gives the same text", DefaultValueFactory = _ => 0 };
        var device = DeviceChoice.CreateOption();
        var command = new Command("sample", "Generate text from a trained GPT checkpoint or from GPT-2 weights (Hugging Face layout)")
        {
            checkpoint, tokenizer, heads, prompt, tokens, temperature, topK, seed, device,
        };
        command.SetAction(p =>
        {
            var settings = new Settings(p.GetValue(prompt)!, p.GetValue(tokens), p.GetValue(temperature), p.GetValue(topK), p.GetValue(seed));
            string path = p.GetValue(checkpoint)!;
            string? tokenizerName = p.GetValue(tokenizer);
            int? headCount = p.GetValue(heads);
            Check(settings, headCount);
            return tokenizerName is not null || File.Exists(path) && !Path.GetFileName(path).Equals(Checkpoint.RunFile, StringComparison.Ordinal)
                ? RunGpt2(context, path, tokenizerName, headCount, settings, DeviceChoice.Resolve(p.GetValue(device)))
                : headCount is not null
                    ? throw new UserError("--heads applies to a GPT-2 checkpoint file (--checkpoint FILE.safetensors --tokenizer gpt2); a run directory records its own model")
                    : Run(context, path, settings, DeviceChoice.Resolve(p.GetValue(device)));
        });
        return command;
    }

    /// <summary>What to generate, whatever the checkpoint.</summary>
    private sealed record Settings(string Prompt, int? Tokens, double Temperature, int? TopK, ulong Seed);

    private static void Check(Settings s, int? heads)
    {
        if (s.Tokens is < 0) throw new UserError($"--tokens must be >= 0, got {s.Tokens}");
        if (!(s.Temperature >= 0) || !double.IsFinite(s.Temperature)) throw new UserError($"--temperature must be a finite number >= 0, got {s.Temperature}");
        if (s.TopK is < 1) throw new UserError($"--top-k must be at least 1, got {s.TopK}");
        if (heads is < 1) throw new UserError($"--heads must be at least 1, got {heads}");
    }

    private static int Run(CliContext context, string checkpoint, Settings settings, Device device)
    {
        var (promptText, tokensGiven, temperature, topK, seed) = settings;

        string dir = Checkpoint.Resolve(checkpoint, "--checkpoint");
        var state = Checkpoint.Read(dir);
        if (state.ModelKind != GptModel.Kind)
            throw new UserError($"--checkpoint '{dir}' holds a {state.ModelKind} trained on {state.Task["name"]?.ToString() ?? "another task"}, which classifies " +
                                "and does not generate text; sample needs a gpt checkpoint (from 'dotgrad train' or 'dotgrad train gpt --text FILE')");
        var config = GptModel.FromJson(state.ModelConfig, dir);
        // A sort checkpoint answers with as many digits as the question has; text goes on for 200 characters.
        int tokens = tokensGiven ?? (state.Task["name"]?.ToString() == "sort" && state.Task["digits"] is { } digits ? digits.GetValue<int>() : 200);
        var vocab = CheckpointText.Vocabulary(state, config.VocabSize, dir);
        string text = CheckpointText.Unescape(promptText);
        if (text.Length == 0) throw new UserError("--prompt is empty; give at least one character to start from");
        var ids = vocab.Encode(text, "--prompt");

        using var model = GptModel.Build(config, state.Settings.Seed, device);
        Checkpoint.LoadWeights(dir, model, state.Step);
        model.Eval();
        using var scope = Tensor.NewDisposeScope();
        var prompt = Tensor.FromArray(ids, [1, ids.Length], device);                   // [1, T0]
        var output = model.Generate(prompt, tokens, temperature, topK, new Generator(seed)).ToArray<int>(); // [1, T0 + tokens]
        context.Out.WriteLine(vocab.Decode(output));
        context.Out.Flush();
        return ExitCodes.Success;
    }

    /// <summary>GPT-2 weights in the Hugging Face layout (see <see cref="Gpt2Checkpoints"/>), tokenized with GPT-2's BPE.</summary>
    private static int RunGpt2(CliContext context, string path, string? tokenizerName, int? heads, Settings settings, Device device)
    {
        if (tokenizerName is null)
            throw new UserError($"--checkpoint '{path}' is a file: a GPT-2 checkpoint (model.safetensors in the Hugging Face layout) needs --tokenizer gpt2 " +
                                "to turn the prompt into tokens; a checkpoint from 'dotgrad train' is its run directory");
        if (tokenizerName != Gpt2Tokenizer.Name)
            throw new UserError($"--tokenizer '{tokenizerName}' is not known; the one tokenizer dotgrad ships is '{Gpt2Tokenizer.Name}' (GPT-2's BPE)");
        if (Directory.Exists(path))
            throw new UserError($"--tokenizer applies to a GPT-2 checkpoint file, but --checkpoint '{path}' is a directory; a run directory from 'dotgrad train' " +
                                "carries its own vocabulary (leave out --tokenizer), and GPT-2 weights are a .safetensors file (pass the file)");
        if (!File.Exists(path))
            throw new UserError($"--checkpoint '{path}' does not exist; pass GPT-2 weights in the Hugging Face layout (model.safetensors, " +
                                "with the config.json beside it)");
        string text = CheckpointText.Unescape(settings.Prompt);
        if (text.Length == 0) throw new UserError("--prompt is empty; give at least one character to start from");

        Gpt model;
        try
        {
            model = Gpt2Checkpoints.LoadGpt2(path, heads, device: device);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            // The message names the file; where it asks for the head count, say which option gives it.
            string hint = e.Message.Contains("pass the number of heads", StringComparison.Ordinal) ? " with --heads N" : "";
            throw new UserError(UserError.MessageOf(e).TrimEnd('.') + hint, e);
        }
        using (model)
        {
            if (model.Config.VocabSize < Gpt2Tokenizer.VocabSize)
                throw new UserError($"--checkpoint '{path}' has a vocabulary of {model.Config.VocabSize} tokens, but the gpt2 tokenizer gives ids up to " +
                                    $"{Gpt2Tokenizer.VocabSize - 1}; the weights were not trained with GPT-2's tokenizer");
            var tokenizer = new Gpt2Tokenizer();
            var ids = tokenizer.Encode(text);
            using var scope = Tensor.NewDisposeScope();
            var prompt = Tensor.FromArray(ids, [1, ids.Length], device);                   // [1, T0]
            var output = model.Generate(prompt, settings.Tokens ?? 100, settings.Temperature, settings.TopK, new Generator(settings.Seed)).ToArray<int>();
            context.Out.WriteLine(tokenizer.Decode(output));
            context.Out.Flush();
        }
        return ExitCodes.Success;
    }
}
