// What a study is: a named, predefined list of `dotgrad train` runs (configurations x seeds, in groups that each
// start from their own baseline), and the claims its verdict checks against the measured numbers.
namespace DotGrad.Cli.Study;

/// <summary>One train run of a study: its directory name, its group and configuration, its seed and its train options.</summary>
internal sealed record StudyRun(string Name, string Group, string Config, ulong Seed, int Steps, string[] Args);

/// <summary>A group of configurations compared with the group's first one, its baseline.</summary>
internal sealed record StudyGroup(string Name, string Description);

/// <summary>What the command line gave a study: the size, the data file and the device.</summary>
internal sealed record StudyOptions(bool Quick, string TextFile, string? Device);

/// <summary>
/// What a study runs and how it judges: <see cref="Plan"/> lists the runs; <see cref="Claims"/> are the statements
/// the verdict tests, each a function of the measured results (never written in advance).
/// </summary>
internal abstract class Study
{
    /// <summary>The name on the command line: 'dotgrad study NAME'.</summary>
    public abstract string Name { get; }

    /// <summary>One line for 'dotgrad study --list'.</summary>
    public abstract string Summary { get; }

    /// <summary>A paragraph on what the study asks, at the top of report.md.</summary>
    public abstract string Question { get; }

    public abstract IReadOnlyList<StudyGroup> Groups(StudyOptions options);

    public abstract IReadOnlyList<StudyRun> Plan(StudyOptions options);

    /// <summary>A rough cost of one training step of the default size on a 2-core CPU, for the estimate printed before starting.</summary>
    public abstract double SecondsPerStep(StudyOptions options);

    /// <summary>Markdown sections a study adds to report.md after its group tables (its own tables); none by default.</summary>
    public virtual string? Sections(StudyResults results, StudyOptions options) => null;

    /// <summary>The claims, judged from the results: one sentence each, saying whether it held.</summary>
    public abstract IEnumerable<string> Claims(StudyResults results);
}

/// <summary>The studies this version knows.</summary>
internal static class Studies
{
    public static readonly IReadOnlyList<Study> All = [new ArchitectureStudy(), new MixersStudy()];

    public static Study? Find(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The default text file of the text studies: ../shared/data/tinyshakespeare.txt from the working directory.</summary>
    public static readonly string DefaultText = Path.Combine("..", "shared", "data", "tinyshakespeare.txt");
}
