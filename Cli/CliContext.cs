// What every command writes to: plain text writers for stdout and stderr, and a Spectre console over stdout that
// draws live progress and colour only when stdout is a terminal.
using Spectre.Console;

namespace DotGrad.Cli;

/// <summary>The output streams of one <see cref="Program.Run"/> and whether stdout is an interactive terminal.</summary>
public sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, bool interactive)
    {
        Out = output;
        Err = error;
        Interactive = interactive;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // A log file or a test's StringWriter has no width; wide enough that tables do not wrap.
        if (!interactive) Console.Profile.Width = 200;
    }

    /// <summary>Standard output: results, tables, progress.</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error: errors and warnings.</summary>
    public TextWriter Err { get; }

    /// <summary>True when stdout is a terminal: live progress bars; otherwise one plain line per update (CI logs).</summary>
    public bool Interactive { get; }

    /// <summary>Spectre's console over <see cref="Out"/>, for tables and progress.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Set from the global <c>--verbose</c> option: show stack traces and extra detail.</summary>
    public bool Verbose { get; set; }
}
