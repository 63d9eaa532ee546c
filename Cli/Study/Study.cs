// What a study is: a named, predefined experiment with a question, the data it needs, and a report.md with a verdict
// computed from its numbers. Two kinds: a TrainingStudy is a list of `dotgrad train` runs; a MeasurementStudy measures
// something itself (timings, counts) and writes its own report.
namespace DotGrad.Cli.Study;

/// <summary>
/// One train run of a study: its directory name, its group and configuration, its seed and its train options. An
/// argument may name another run's files through <see cref="Root"/> (the study's directory), as a branch names the
/// checkpoint it starts from; such a run must come after that run in the plan.
/// </summary>
internal sealed record StudyRun(string Name, string Group, string Config, ulong Seed, int Steps, string[] Args)
{
    /// <summary>Stands for the study's directory in <see cref="Args"/>; replaced when the run starts.</summary>
    public const string Root = "{root}";
}

/// <summary>A group of configurations compared with the group's first one, its baseline.</summary>
internal sealed record StudyGroup(string Name, string Description);

/// <summary>What the command line gave a study: the size, the data (a text file, an MNIST directory) and the device.</summary>
internal sealed record StudyOptions(bool Quick, string TextFile, string? Device, string MnistDir = Studies.DefaultMnist);

/// <summary>Which data a study needs; the command checks it is there before anything runs.</summary>
internal enum StudyData
{
    /// <summary>Nothing to read: the study makes its own inputs.</summary>
    None,
    /// <summary>A UTF-8 text file (--text, default tinyshakespeare).</summary>
    Text,
    /// <summary>The four MNIST IDX files in a directory (--mnist).</summary>
    Mnist,
}

/// <summary>What every study has: a name, a one-line summary, the question at the top of its report, and its data.</summary>
internal abstract class Study
{
    /// <summary>The name on the command line: 'dotgrad study NAME'.</summary>
    public abstract string Name { get; }

    /// <summary>One line for 'dotgrad study --list'.</summary>
    public abstract string Summary { get; }

    /// <summary>A paragraph on what the study asks, at the top of report.md.</summary>
    public abstract string Question { get; }

    /// <summary>The data the study reads, checked by the command before the study starts.</summary>
    public abstract StudyData Data { get; }
}

/// <summary>The studies this version knows.</summary>
internal static class Studies
{
    public static readonly IReadOnlyList<Study> All = [new ArchitectureStudy(), new MixersStudy(), new ShapesStudy(), new DualizedStudy(), new ScalingVitStudy()];

    public static Study? Find(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The default text file of the text studies: ../shared/data/tinyshakespeare.txt from the working directory.</summary>
    public static readonly string DefaultText = Path.Combine("..", "shared", "data", "tinyshakespeare.txt");

    /// <summary>The default MNIST directory of the MNIST studies, from the working directory ('/' works as a separator everywhere .NET runs).</summary>
    public const string DefaultMnist = "../shared/data/mnist";
}
