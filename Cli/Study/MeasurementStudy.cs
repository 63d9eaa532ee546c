// A study that measures rather than trains: it runs its own measurements in-process and writes report.md itself.
namespace DotGrad.Cli.Study;

/// <summary>A study that is not a list of train runs: <see cref="Run"/> measures, judges and writes the report.</summary>
internal abstract class MeasurementStudy : Study
{
    /// <summary>
    /// Runs the study: prints an estimate and its progress on <paramref name="context"/>'s output, writes report.md
    /// (atomically) and its figures into <paramref name="root"/> (which exists), and returns the exit code.
    /// </summary>
    public abstract int Run(CliContext context, StudyOptions options, string root);
}
