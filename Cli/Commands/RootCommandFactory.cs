// The command tree: dotgrad train | sample | compare | study | probe | fit | gradcheck | devices | graph | attention, and the
// options every command shares.
using System.CommandLine;

namespace DotGrad.Cli.Commands;

internal static class RootCommandFactory
{
    /// <summary>Shows stack traces with errors, and more detail where a command has it.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show stack traces with errors",
        Recursive = true,
    };

    public static RootCommand Create(CliContext context)
    {
        var root = new RootCommand("DotGrad: train a small GPT (a built-in task or text) or an image classifier (MNIST), sample text, probe few-shot transfer, fit power laws, check gradients, list devices, draw autograd graphs and attention maps.")
        {
            Verbose,
        };
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(SampleCommand.Create(context));
        root.Subcommands.Add(CompareCommand.Create(context));
        root.Subcommands.Add(StudyCommand.Create(context));
        root.Subcommands.Add(ProbeCommand.Create(context));
        root.Subcommands.Add(FitCommand.Create(context));
        root.Subcommands.Add(GradCheckCommand.Create(context));
        root.Subcommands.Add(DevicesCommand.Create(context));
        root.Subcommands.Add(GraphCommand.Create(context));
        root.Subcommands.Add(AttentionCommand.Create(context));
        return root;
    }
}
