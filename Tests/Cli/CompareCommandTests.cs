// dotgrad compare: several tiny runs, one PNG with every curve, a table and compare.csv whose memory column is each
// optimizer's StateBytes; architecture variants beside a baseline; and the usage errors.
using System.Globalization;
using SkiaSharp;

namespace DotGrad.Tests.Cli;

public class CompareCommandTests
{
    [Test]
    public void Optimizers_GiveOneRunEach_APlotAndATableWithTheirMemory()
    {
        string dir = CliRunner.TempDir("compare");
        var r = CliRunner.Run(["compare", "--optimizers", "sgd,adamw,muon", "--out", dir, "--steps", "4", .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("run 3 of 3: muon"));
        Assert.That(r.Out, Does.Contain("optimizer memory"));

        var rows = File.ReadAllLines(Path.Combine(dir, "compare.csv"));
        Assert.That(rows[0], Is.EqualTo("run,optimizer,switches,final_loss,metric,wall_s,optimizer_state_bytes,param_norm"));
        Assert.That(rows.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "sgd", "adamw", "muon" }));
        long Bytes(int row) => long.Parse(rows[row].Split(',')[6], CultureInfo.InvariantCulture);
        Assert.That(Bytes(2), Is.EqualTo(2 * Bytes(1)), "AdamW keeps two buffers per parameter, SGD with momentum one");
        Assert.That(Bytes(3), Is.InRange(Bytes(1) + 1, Bytes(2) - 1), "Muon: one buffer for matrices, AdamW's two for the rest");
        foreach (var row in rows.Skip(1))
            Assert.That(double.IsFinite(double.Parse(row.Split(',')[3], CultureInfo.InvariantCulture)), row);

        foreach (var run in new[] { "sgd", "adamw", "muon" })
            Assert.That(File.Exists(Path.Combine(dir, run, "metrics.csv")), run);
        using var png = SKBitmap.Decode(Path.Combine(dir, "compare.png"));
        Assert.That(png, Is.Not.Null, "compare.png decodes as an image");
    }

    [Test]
    public void Variants_RunBesideABaseline_WithTheirSwitches()
    {
        string dir = CliRunner.TempDir("compare-variants");
        var r = CliRunner.Run(["compare", "--variant", "--norm post --norm-kind rmsnorm", "--out", dir, "--steps", "3", .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var rows = File.ReadAllLines(Path.Combine(dir, "compare.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.That(rows.Select(c => c[0]), Is.EqualTo(new[] { "baseline", "--norm post --norm-kind rmsnorm" }));
        Assert.That(rows.Select(c => c[1]), Is.All.EqualTo("adamw"));
        string runJson = File.ReadAllText(Directory.GetFiles(Path.Combine(dir, "norm-post-norm-kind-rmsnorm"), "run.json", SearchOption.AllDirectories).Single());
        Assert.That(runJson, Does.Contain("\"Norm\": \"Post\"").And.Contain("\"NormKind\": \"RmsNorm\""));
    }

    [Test]
    public void UnknownOptimizer_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("compare", "--optimizers", "sgd,adadelta"), "adadelta");

    [Test]
    public void OneRun_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("compare", "--optimizers", "adamw"), "at least two runs");

    [Test]
    public void OptimizerPassedThrough_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("compare", "--optimizer", "sgd"), "--optimizers");

    [Test]
    public void BadTrainOption_StopsTheComparison_WithTrainsError()
    {
        var r = CliRunner.Run("compare", "--optimizers", "sgd,adamw", "--heads", "3", "--width", "16", "--out", CliRunner.TempDir("compare-bad"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.Contain("compare stopped at run 1"));
        Assert.That(r.Err, Does.Not.Contain("   at "), "no stack trace");
    }
}
