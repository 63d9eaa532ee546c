// dotgrad fit: a CSV of points on a known law gives back its constants, a PNG that decodes and the residual; named
// columns; a missing file or column, too few points, a non-positive value or a word in a number cell is a usage error.
using System.Globalization;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class FitCommandTests
{
    private static string Csv(string header, IEnumerable<(double X, double Y)> rows)
    {
        string path = Path.Combine(CliRunner.TempDir("fit"), "points.csv");
        File.WriteAllLines(path, rows.Select(r => $"{r.X.ToString("R", CultureInfo.InvariantCulture)},{r.Y.ToString("R", CultureInfo.InvariantCulture)}").Prepend(header));
        return path;
    }

    private static IEnumerable<(double, double)> OnTheLaw(int count = 10) =>
        PowerLawTests.LogSpaced(1, 1e4, count).Select(x => (x, PowerLawTests.Law(2, 0.5, 0.05, 3, x)));

    private static double Constant(string output, string name)
    {
        var line = output.Split('\n').Single(l => l.StartsWith($"{name}         ", StringComparison.Ordinal));
        return double.Parse(line[10..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    [Test]
    public void Fit_PrintsTheConstants_AndDrawsTheLogLogPlot()
    {
        string csv = Csv("compute,error", OnTheLaw()), png = Path.Combine(Path.GetDirectoryName(csv)!, "plots", "law.png");
        var r = CliRunner.Run("fit", csv, "--out", png);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(Constant(r.Out, "a"), Is.EqualTo(2).Within(0.1).Percent);
            Assert.That(Constant(r.Out, "b"), Is.EqualTo(0.5).Within(0.1).Percent);
            Assert.That(Constant(r.Out, "c"), Is.EqualTo(0.05).Within(0.1).Percent);
            Assert.That(Constant(r.Out, "d"), Is.EqualTo(3).Within(0.1).Percent);
            Assert.That(r.Out, Does.Contain("over 10 points").And.Contain("residual  RMS").And.Contain($"plot      {png}"));
        });
        using var image = SKBitmap.Decode(png);
        Assert.That(image, Is.Not.Null, "the plot decodes as a PNG");
        Assert.That((image.Width, image.Height), Is.EqualTo((900, 600)));
        Assert.That(File.Exists(png + ".tmp"), Is.False, "no temporary file is left behind");
    }

    [Test]
    public void Fit_ReadsTheNamedColumns_InAnyOrderAndCase()
    {
        string path = Path.Combine(CliRunner.TempDir("fit-columns"), "runs.csv");
        File.WriteAllLines(path, OnTheLaw().Select((p, i) => $"run{i}, {p.Item2.ToString("R", CultureInfo.InvariantCulture)} ,{p.Item1.ToString("R", CultureInfo.InvariantCulture)}")
                                           .Prepend("name,\"Val Error\",Steps").Append(""));
        var r = CliRunner.Run("fit", path, "--x", "steps", "--y", "val error", "--out", Path.Combine(Path.GetDirectoryName(path)!, "fit.png"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(Constant(r.Out, "b"), Is.EqualTo(0.5).Within(0.1).Percent);
        Assert.That(r.Out, Does.Contain("val error = a (steps + d)^(-b) + c"));
    }

    [Test]
    public void AMissingColumn_IsAUsageError_ThatListsTheHeader() =>
        CliRunner.AssertUsageError(CliRunner.Run("fit", Csv("flops,err", OnTheLaw())), "no column 'compute'; its header has 'flops', 'err'");

    [Test]
    public void TooFewPoints_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("fit", Csv("compute,error", OnTheLaw(4))), "at least 5 points; got 4");

    [Test]
    public void ANonPositiveValue_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("fit", Csv("compute,error", OnTheLaw().Append((1e5, 0.0)))), "every error value must be finite and positive");

    [Test]
    public void AWordInANumberCell_IsAUsageError()
    {
        string path = Csv("compute,error", OnTheLaw());
        File.AppendAllLines(path, ["1e5,n/a"]);
        CliRunner.AssertUsageError(CliRunner.Run("fit", path), "line 12: the 'error' cell 'n/a' is not a number");
    }

    [Test]
    public void AMissingFile_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("fit", Path.Combine(CliRunner.TempDir("fit-missing"), "none.csv")), "cannot be read");
}
