// Command-line parse errors in the user's words: System.CommandLine names the .NET type a value failed to parse as
// ("System.Nullable`1[System.Double]"), which says nothing to someone who typed --lr abc; and a mistyped command
// ("trian") deserves the nearest real one.
using System.CommandLine;
using System.Text.RegularExpressions;

namespace DotGrad.Cli;

internal static partial class ParseMessages
{
    /// <summary><paramref name="message"/> with ".NET type" phrases replaced by what the value must look like.</summary>
    public static string Readable(string message) =>
        ExpectedType().Replace(message, m => $"as {Describe(m.Groups["type"].Value)}");

    /// <summary>What a value of the .NET type <paramref name="typeName"/> looks like to a user.</summary>
    internal static string Describe(string typeName)
    {
        var nullable = NullableType().Match(typeName);
        string name = nullable.Success ? nullable.Groups["inner"].Value : typeName;
        return name switch
        {
            "System.Double" or "System.Single" => "a number (such as 0.001 or 1e-3)",
            "System.Int32" or "System.Int64" => "a whole number",
            "System.UInt32" or "System.UInt64" => "a whole number, 0 or more",
            "System.Boolean" => "true or false",
            "System.String" => "text",
            _ => $"a value of the kind '{name[(name.LastIndexOf('.') + 1)..]}'",
        };
    }

    /// <summary>
    /// A System.Text.Json conversion error ("An element of type 'Number' cannot be converted to a 'System.String'") as
    /// "a number where text was expected"; other messages unchanged.
    /// </summary>
    public static string JsonReadable(string message) =>
        JsonConversion().Replace(message, m =>
        {
            string found = m.Groups["kind"].Value switch
            {
                "Number" => "a number",
                "String" => "text",
                "True" or "False" => "true or false",
                "Object" => "an object",
                "Array" => "a list",
                "Null" => "nothing (null)",
                var other => other.ToLowerInvariant(),
            };
            return $"{found} where {Describe(m.Groups["type"].Value)} was expected";
        });

    /// <summary>
    /// "Did you mean 'train'?" when the first argument is a near miss of a command (at most two edits away).
    /// System.CommandLine's own typo corrections exist only as its ParseErrorAction's multi-line console output, which
    /// does not fit the CLI's one-paragraph errors, so the suggestion is computed here.
    /// </summary>
    public static string? Suggest(string[] args, Command root)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return null;
        string typed = args[0].ToLowerInvariant();
        if (root.Subcommands.Any(c => c.Name == typed)) return null;
        var best = root.Subcommands.Select(c => (c.Name, Distance: Edits(typed, c.Name))).OrderBy(c => c.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= 2 ? $"Did you mean 'dotgrad {best.Name}'?" : null;
    }

    /// <summary>The Damerau-Levenshtein distance (optimal string alignment): insertions, deletions, substitutions and swaps of neighbours.</summary>
    internal static int Edits(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    [GeneratedRegex(@"as expected type '(?<type>[^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"An element of type '(?<kind>\w+)' cannot be converted to a '(?<type>[^']+)'\.?")]
    private static partial Regex JsonConversion();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>.+)\]$")]
    private static partial Regex NullableType();
}
