// dotgrad attention: what every head of a trained character-level GPT looks at while reading a prompt, as one PNG of
// heatmaps (a row per layer, a column per head), recorded with AttentionMaps and drawn by AttentionPlot.
using System.CommandLine;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Cli.Output;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Commands;

internal static class AttentionCommand
{
    public static Command Create(CliContext context)
    {
        var checkpoint = new Option<string>("--checkpoint") { HelpName = "DIR", Description = "A GPT run directory (its latest checkpoint) or a checkpoints/step-N directory", Required = true };
        var prompt = new Option<string>("--prompt") { Description = @"The text the model reads (its last context-length characters); \n, \t and \\ are read as newline, tab and backslash", Required = true };
        var output = new Option<string>("--out") { HelpName = "FILE.png", Description = "Where the picture goes", DefaultValueFactory = _ => AttentionPlot.FileName };
        var device = DeviceChoice.CreateOption();
        var command = new Command("attention", "Draw a trained GPT's attention over a prompt: one heatmap per layer and head, in one PNG")
        {
            checkpoint, prompt, output, device,
        };
        command.SetAction(p => Run(context, p.GetValue(checkpoint)!, p.GetValue(prompt)!, p.GetValue(output)!, DeviceChoice.Resolve(p.GetValue(device))));
        return command;
    }

    private static int Run(CliContext context, string checkpoint, string promptText, string outPath, Device device)
    {
        string dir = Checkpoint.Resolve(checkpoint, "--checkpoint");
        var state = Checkpoint.Read(dir);
        string taskName = state.Task["name"]?.ToString() ?? "another task";
        if (state.ModelKind != GptModel.Kind)
            throw new UserError($"--checkpoint '{dir}' holds a {state.ModelKind} trained on {taskName}; attention draws a GPT's attention over the characters " +
                                "of a prompt, so it needs a gpt checkpoint (from 'dotgrad train gpt --text FILE', or the sort task's 'dotgrad train')");
        var config = GptModel.FromJson(state.ModelConfig, dir);
        var vocab = CheckpointText.Vocabulary(state, config.VocabSize, dir);

        string text = CheckpointText.Unescape(promptText);
        if (text.Length == 0) throw new UserError("--prompt is empty; give at least one character for the model to read");
        var ids = vocab.Encode(text, "--prompt");
        if (ids.Length > config.ContextLength)
        {
            context.Out.WriteLine($"note      the prompt has {ids.Length} characters and the model reads at most {config.ContextLength}: drawing the last {config.ContextLength}");
            ids = ids[^config.ContextLength..];
            text = text[^config.ContextLength..];
        }

        using var model = GptModel.Build(config, state.Settings.Seed, device);
        Checkpoint.LoadWeights(dir, model, state.Step);
        model.Eval();
        var perLayer = new List<double[,,]>();
        using (var maps = AttentionMaps.Record())
        using (Autograd.NoGrad())
        using (var scope = Tensor.NewDisposeScope())
        {
            model.Call(Tensor.FromArray(ids, [1, ids.Length], device));                 // [1, T] -> logits [1, T, V]
            perLayer.AddRange(maps.Maps.Select(m => AttentionPlot.Heads(m)));           // one [nh, T, T] per layer
        }
        if (perLayer.Count != config.Depth)
            throw new InvalidOperationException($"attention: recorded {perLayer.Count} attention maps for a model of {config.Depth} blocks");

        try
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (parent is not null) Directory.CreateDirectory(parent);
            AttentionPlot.Save(outPath, perLayer, AttentionPlot.Labels(text));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"--out '{outPath}' cannot be written: {e.Message}", e);
        }
        int heads = perLayer[0].GetLength(0);
        context.Out.WriteLine($"attention {config.Depth} layer{(config.Depth == 1 ? "" : "s")} x {heads} head{(heads == 1 ? "" : "s")} " +
                              $"over {text.Length} character{(text.Length == 1 ? "" : "s")} {CharVocab.Show(text)}");
        context.Out.WriteLine($"plot      {outPath}");
        context.Out.Flush();
        return ExitCodes.Success;
    }
}
