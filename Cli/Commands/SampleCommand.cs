// dotgrad sample: continue a prompt with a trained GPT checkpoint (temperature, top-k, a seed for repeatable text).
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
        var checkpoint = new Option<string>("--checkpoint") { HelpName = "DIR", Description = "A run directory (its latest checkpoint) or a checkpoints/step-N directory", Required = true };
        var prompt = new Option<string>("--prompt") { Description = @"The text to continue; \n, \t and \\ are read as newline, tab and backslash", Required = true };
        var tokens = new Option<int?>("--tokens") { Description = "How many characters to generate (default: a sort task's answer length, otherwise 200)" };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature; 0 is greedy", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int?>("--top-k") { Description = "Sample only from the K most likely characters" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling; the same seed gives the same text", DefaultValueFactory = _ => 0 };
        var device = DeviceChoice.CreateOption();
        var command = new Command("sample", "Generate text from a trained GPT checkpoint")
        {
            checkpoint, prompt, tokens, temperature, topK, seed, device,
        };
        command.SetAction(p => Run(context, p.GetValue(checkpoint)!, p.GetValue(prompt)!, p.GetValue(tokens), p.GetValue(temperature),
                                   p.GetValue(topK), p.GetValue(seed), DeviceChoice.Resolve(p.GetValue(device))));
        return command;
    }

    private static int Run(CliContext context, string checkpoint, string promptText, int? tokensGiven, double temperature, int? topK, ulong seed, Device device)
    {
        if (tokensGiven is < 0) throw new UserError($"--tokens must be >= 0, got {tokensGiven}");
        if (!(temperature >= 0) || !double.IsFinite(temperature)) throw new UserError($"--temperature must be a finite number >= 0, got {temperature}");
        if (topK is < 1) throw new UserError($"--top-k must be at least 1, got {topK}");

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
}
