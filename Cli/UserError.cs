// The one exception type for mistakes a user can fix (a bad option value, a missing file, an impossible model):
// Program prints its message as one paragraph, without a stack trace, and exits with code 2.
namespace DotGrad.Cli;

/// <summary>
/// A problem with what the user asked for, not a bug: the message says what was wrong and how to fix it.
/// <see cref="Program.Run"/> turns it into a paragraph on stderr and exit code 2 (<c>--verbose</c> adds the trace).
/// </summary>
public sealed class UserError : Exception
{
    public UserError(string message) : base(message) { }

    public UserError(string message, Exception inner) : base(message, inner) { }

    /// <summary>Wraps a library error (for example a model config the library rejects) with what the user was doing.</summary>
    public static UserError From(string context, Exception inner) => new($"{context}: {MessageOf(inner)}", inner);

    /// <summary>An exception's message without the " (Parameter 'x')" that ArgumentException appends: the user never saw that name.</summary>
    public static string MessageOf(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
}
