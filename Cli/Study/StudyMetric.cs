// What a training study compares its runs by: the final evaluation in metrics.csv (the validation loss of a text
// task, the test accuracy of an image task), which way is better, and how the report prints it.
using System.Globalization;

namespace DotGrad.Cli.Study;

/// <summary>
/// The evaluation a training study reads from the last column of metrics.csv. <see cref="HigherIsBetter"/> turns the
/// comparisons around (accuracy); <see cref="Format"/> and <see cref="FormatDelta"/> print a value and a difference.
/// </summary>
internal sealed record StudyMetric(string Name, string Short, bool HigherIsBetter, string Unit, string Throughput, string Description)
{
    /// <summary>The character-level cross-entropy in nats on the held-out last 10% of the text (lower is better).</summary>
    public static readonly StudyMetric TextLoss = new("validation loss", "val loss", false, "nats", "tokens/s",
        "the loss is the character-level cross-entropy in nats on the held-out last 10% of the text");

    /// <summary>The fraction of MNIST test images classified correctly (higher is better), printed in percent.</summary>
    public static readonly StudyMetric TestAccuracy = new("test accuracy", "test accuracy", true, "points", "images/s",
        "the score is the accuracy on the MNIST test images of the run's digits (all 10,000 for ten digits), in percent");

    /// <summary>What the figures draw on their log axis: the loss itself, or the error 1 - accuracy (so that 99% and 99.5% stay apart).</summary>
    public string PlotName => HigherIsBetter ? $"{Name.Replace("accuracy", "error", StringComparison.Ordinal)} (1 - accuracy)" : Name;

    public double Plotted(double value) => HigherIsBetter ? 1 - value : value;

    public string Format(double value) =>
        !double.IsFinite(value) ? "-"
        : HigherIsBetter ? (value * 100).ToString("F2", CultureInfo.InvariantCulture) + "%"
        : value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>A difference of two values: nats with four decimals, or percentage points.</summary>
    public string FormatDelta(double delta) =>
        HigherIsBetter ? (delta * 100).ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + " points"
                       : delta.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture);
}
