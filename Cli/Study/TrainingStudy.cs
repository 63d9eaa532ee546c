// A study made of `dotgrad train` runs (configurations x seeds, in groups that each start from their own baseline),
// and the claims its verdict checks against the measured losses. StudyCommand runs the plan; StudyReport writes it up.
namespace DotGrad.Cli.Study;

/// <summary>
/// What a training study runs and how it judges: <see cref="Plan"/> lists the runs; <see cref="Claims"/> are the
/// statements the verdict tests, each a function of the measured results (never written in advance).
/// </summary>
internal abstract class TrainingStudy : Study
{
    public abstract IReadOnlyList<StudyGroup> Groups(StudyOptions options);

    public abstract IReadOnlyList<StudyRun> Plan(StudyOptions options);

    /// <summary>A rough cost of one training step of the default size on a 2-core CPU, for the estimate printed before starting.</summary>
    public abstract double SecondsPerStep(StudyOptions options);

    /// <summary>What the runs are compared by (default: the validation loss of a text task).</summary>
    public virtual StudyMetric Metric => StudyMetric.TextLoss;

    /// <summary>
    /// Measurements after the runs (few-shot probes of their checkpoints, memory, fits), kept in
    /// <see cref="StudyResults.Extra"/> for <see cref="Claims"/> and <see cref="Sections"/>; nothing by default.
    /// <paramref name="root"/> is the study's directory (each run in root/RUN); progress goes to <paramref name="log"/>.
    /// </summary>
    public virtual object? Measure(StudyResults results, StudyOptions options, string root, TextWriter log) => null;

    /// <summary>Markdown sections a study adds to report.md after its group tables (its own tables and figures, written into <paramref name="root"/>); none by default.</summary>
    public virtual string? Sections(StudyResults results, StudyOptions options, string root) => null;

    /// <summary>The claims, judged from the results: one sentence each, saying whether it held.</summary>
    public abstract IEnumerable<string> Claims(StudyResults results);
}
