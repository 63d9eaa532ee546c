// The entry point of the dotgrad command: parse, run one command, and turn every failure into a message and an
// exit code (0 done, 1 a failed check or a bug, 2 a usage error the user can fix).
using System.CommandLine;
using DotGrad.Backends.OpenCL;
using DotGrad.Cli.Commands;

namespace DotGrad.Cli;

public static class Program
{
    /// <summary>The process entry point: stdout and stderr, live progress when stdout is a terminal.</summary>
    public static int Main(string[] args)
    {
        bool interactive = !Console.IsOutputRedirected
                           && Environment.GetEnvironmentVariable("TERM") != "dumb"
                           && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        return Run(args, Console.Out, Console.Error, interactive);
    }

    /// <summary>Runs one command line with the given writers (plain output, no terminal) and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => Run(args, output, error, interactive: false);

    /// <summary>Runs one command line; <paramref name="interactive"/> draws live progress bars instead of plain lines.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0) args = ["--help"];                  // a bare "dotgrad" shows what there is to run
        var context = new CliContext(output, error, interactive);
        var root = RootCommandFactory.Create(context);
        var parse = root.Parse(args);
        context.Verbose = parse.GetValue(RootCommandFactory.Verbose);

        if (parse.Errors.Count > 0)
        {
            // Unknown options, missing values, values of the wrong type: what went wrong, and where to read more.
            string command = parse.CommandResult.Command == root ? "dotgrad" : $"dotgrad {parse.CommandResult.Command.Name}";
            var messages = parse.Errors.Select(e => Sentence(ParseMessages.Readable(e.Message))).ToList();
            // A bare "dotgrad trian" also reports the missing command: the typo is the news, with a suggestion.
            if (parse.CommandResult.Command == root && ParseMessages.Suggest(args, root) is { } suggestion)
                messages = [.. messages.Where(m => !m.StartsWith("Required command", StringComparison.Ordinal)), suggestion];
            error.WriteLine($"dotgrad: {string.Join(" ", messages)} Run '{command} --help' for the options.");
            return ExitCodes.Usage;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (UserError e)
        {
            Report(error, e.Message, e, context.Verbose);
            return ExitCodes.Usage;
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            Report(error, $"the disk is full ({e.Message.TrimEnd('.')}). Free some space, write fewer checkpoints (--save-every), or write elsewhere with --out; " +
                          "a run stopped by this resumes from its last checkpoint", e, context.Verbose);
            return ExitCodes.Usage;
        }
        catch (OpenCLUnavailableException e)
        {
            Report(error, $"{e.Message.TrimEnd('.')}. Run 'dotgrad devices' to see what is installed, or use --device cpu.", e, context.Verbose);
            return ExitCodes.Usage;
        }
        catch (Exception e)
        {
            string hint = context.Verbose ? "" : " Run again with --verbose for the stack trace.";
            Report(error, $"unexpected error ({e.GetType().Name}): {e.Message}{hint}", e, context.Verbose);
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// Whether <paramref name="e"/> is a write that ran out of space: ENOSPC (28) or EDQUOT (122) on Unix, where .NET
    /// keeps the errno as the HResult; ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.
    /// </summary>
    internal static bool IsDiskFull(IOException e) =>
        e.HResult is 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027)
        || e.Message.Contains("No space left on device", StringComparison.Ordinal)
        || e.Message.Contains("Disk quota exceeded", StringComparison.Ordinal);

    /// <summary>One paragraph on stderr, then the full exception when <paramref name="verbose"/>.</summary>
    private static void Report(TextWriter error, string message, Exception exception, bool verbose)
    {
        error.WriteLine($"dotgrad: {Sentence(message.ReplaceLineEndings(" "))}");
        if (verbose)
        {
            error.WriteLine();
            error.WriteLine(exception.ToString());
        }
    }

    private static string Sentence(string text)
    {
        text = text.Trim();
        return text.Length == 0 || text.EndsWith('.') || text.EndsWith('?') || text.EndsWith(')') ? text : text + ".";
    }
}

/// <summary>The process exit codes.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;
    /// <summary>A check failed (a gradient check) or an unexpected error, a bug, happened.</summary>
    public const int Failure = 1;
    /// <summary>The command line or its inputs were wrong: unknown options, missing or corrupt files, impossible configs.</summary>
    public const int Usage = 2;
}
