// A lesson's page and file, read the way the course tests compare them: the page's excerpts must equal the regions
// of the file they name, and the page's output block must equal what the file prints (numbers on lines marked
// "(varies)" may differ).
using System.Text.RegularExpressions;

namespace DotGrad.Tests.Course;

/// <summary>One lesson: <c>NN-name.md</c> beside <c>NN-name.cs</c> in docs/course.</summary>
public sealed partial class CoursePage
{
    /// <summary>The mark at the end of an output line whose numbers depend on the machine or on the quick mode.</summary>
    public const string Varies = "(varies)";

    /// <summary>The mark at the end of an output line that is all about the machine (its CPU, its OpenCL devices): only its presence is checked.</summary>
    public const string Machine = "(machine)";

    private const string OutputMarker = "<!-- output -->";

    public CoursePage(string markdownPath)
    {
        MarkdownPath = markdownPath;
        SourcePath = Path.ChangeExtension(markdownPath, ".cs");
        Markdown = File.ReadAllText(markdownPath).Replace("\r\n", "\n");
        Source = File.Exists(SourcePath) ? File.ReadAllText(SourcePath).Replace("\r\n", "\n") : "";
    }

    public string MarkdownPath { get; }
    public string SourcePath { get; }
    public string Markdown { get; private set; }
    public string Source { get; }
    public string Name => Path.GetFileNameWithoutExtension(MarkdownPath);

    // <!-- code: NAME --> then a fenced block; // region: NAME ... // endregion in the file.
    [GeneratedRegex(@"<!-- code: (?<name>[\w-]+) -->\n```(?<lang>\w*)\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ExcerptBlock();

    [GeneratedRegex(@"^[ \t]*// region: (?<name>[\w-]+)[ \t]*\n(?<body>.*?)^[ \t]*// endregion[ \t]*$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex SourceRegion();

    [GeneratedRegex(@"<!-- output -->\n```text\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex OutputBlock();

    [GeneratedRegex(@"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|[-+]?∞|[-+]?Infinity")]
    private static partial Regex Number();

    [GeneratedRegex(@"!\[[^\]]*\]\((?<path>figures/[^)\s]+)\)")]
    private static partial Regex FigureLink();

    /// <summary>The regions of the file by name, dedented by their common indentation.</summary>
    public Dictionary<string, string> Regions() =>
        SourceRegion().Matches(Source).ToDictionary(m => m.Groups["name"].Value, m => Dedent(m.Groups["body"].Value));

    /// <summary>Each excerpt on the page: the region it names and the code it shows.</summary>
    public List<(string Region, string Code)> Excerpts() =>
        ExcerptBlock().Matches(Markdown).Select(m => (m.Groups["name"].Value, m.Groups["body"].Value)).ToList();

    /// <summary>The page's output block (the lesson's standard output), or null when it has none.</summary>
    public string? Output => OutputBlock().Match(Markdown) is { Success: true } m ? m.Groups["body"].Value : null;

    /// <summary>The figures the page shows (paths relative to docs/course).</summary>
    public List<string> Figures() => FigureLink().Matches(Markdown).Select(m => m.Groups["path"].Value).Distinct().ToList();

    /// <summary>
    /// The differences between the page's output and what the lesson printed, one line each (empty when they agree).
    /// A page line ending in (varies) matches a printed line that is the same once every number is blanked out.
    /// </summary>
    public List<string> CompareOutput(string printed)
    {
        var expected = Lines(Output ?? "");
        var actual = Lines(printed);
        var diffs = new List<string>();
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            string? e = i < expected.Count ? expected[i] : null, a = i < actual.Count ? actual[i] : null;
            if (e is null || a is null)
            {
                diffs.Add($"line {i + 1}: page has {(e is null ? "nothing" : $"'{e}'")}, the lesson printed {(a is null ? "nothing" : $"'{a}'")}");
                continue;
            }
            if (e.EndsWith(Machine, StringComparison.Ordinal)) continue;
            bool varies = e.EndsWith(Varies, StringComparison.Ordinal);
            if (varies ? Blank(e[..^Varies.Length]) == Blank(a) : e == a) continue;
            diffs.Add($"line {i + 1}: page '{e}', the lesson printed '{a}'");
        }
        return diffs;
    }

    /// <summary>The page with every excerpt replaced by its region's code and the output block by <paramref name="printed"/>
    /// (keeping the (varies) marks where the line count is unchanged). For DOTGRAD_COURSE_UPDATE=1.</summary>
    public string Updated(string? printed)
    {
        var regions = Regions();
        var page = ExcerptBlock().Replace(Markdown, m =>
            regions.TryGetValue(m.Groups["name"].Value, out var code)
                ? $"<!-- code: {m.Groups["name"].Value} -->\n```{m.Groups["lang"].Value}\n{code}```"
                : m.Value);
        if (printed is null || OutputBlock().Match(page) is not { Success: true } block) return page;
        var old = Lines(block.Groups["body"].Value);
        var lines = Lines(printed);
        if (old.Count == lines.Count)
            for (int i = 0; i < lines.Count; i++)
                foreach (var mark in new[] { Varies, Machine })
                    if (old[i].EndsWith(mark, StringComparison.Ordinal)) lines[i] += "  " + mark;
        var body = string.Concat(lines.Select(l => l + "\n"));
        return page[..block.Index] + $"{OutputMarker}\n```text\n{body}```" + page[(block.Index + block.Length)..];
    }

    private static string Blank(string line) => Number().Replace(line.TrimEnd(), "#").TrimEnd();

    private static List<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static string Dedent(string body)
    {
        var lines = body.Split('\n');
        if (lines.Length > 0 && lines[^1].Trim().Length == 0) lines = lines[..^1];
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Concat(lines.Select(l => (l.Length >= indent ? l[indent..] : l.TrimStart()).TrimEnd() + "\n"));
    }

    public override string ToString() => Name;
}
