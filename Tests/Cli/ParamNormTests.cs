// metrics.csv ends with param_norm, the global L2 norm of the parameters after each step: it equals the norm of the
// weights a checkpoint saved at that step; the study reader exposes it at every row and evaluation, and files
// written before the column existed still read (NaN there) and keep their rows when a run resumes.
using System.Globalization;
using DotGrad.Cli.Output;
using DotGrad.Cli.Study;

namespace DotGrad.Tests.Cli;

public class ParamNormTests
{
    [Test]
    public void ParamNorm_IsTheNormOfTheSavedWeights_AtThatStep()
    {
        string dir = CliRunner.TempDir("param-norm");
        var r = CliRunner.Run(["train", "--steps", "4", "--save-every", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        foreach (int step in new[] { 2, 4 })
        {
            var weights = DotGrad.Safetensors.Load(Path.Combine(dir, "checkpoints", $"step-{step:D6}", "model.safetensors"));
            double sum = weights.Values.Sum(t => t.ToArray<float>().Sum(v => (double)v * v));
            double logged = double.Parse(rows[step - 1][7], CultureInfo.InvariantCulture);
            Assert.That(logged, Is.EqualTo(Math.Sqrt(sum)).Within(1e-9).Percent, $"step {step}");
        }
        var (_, _, _, norms) = MetricsWriter.Read(Path.Combine(dir, "metrics.csv"));
        Assert.That(norms, Has.Length.EqualTo(4).And.All.GreaterThan(0));
        Assert.That(norms[0], Is.Not.EqualTo(norms[3]), "the weights move, and the norm with them");
    }

    [Test]
    public void RunOutcome_ExposesTheParamNorm_PerRowAndAtEvaluations_AndOlderFilesReadAsNaN()
    {
        var run = new StudyRun("r", "g", "c", 1, 3, []);
        string current = CliRunner.TempDir("outcome-norm");
        File.WriteAllLines(Path.Combine(current, "metrics.csv"),
            ["step,loss,lr,grad_norm,tok_per_s,elapsed_s,val_loss,param_norm", "1,4.2,1,1,100,0.1,,10.5", "2,3.9,1,1,100,0.2,3.95,10.75", "3,3.5,1,1,100,0.3,3.6,11"]);
        var o = RunOutcome.Read(run, current);
        Assert.That(o.Status, Is.EqualTo(RunStatus.Finished));
        Assert.That(o.EvalLoss, Is.EqualTo(new[] { 3.95, 3.6 }), "columns 0-6 read as before");
        Assert.That(o.RowSteps, Is.EqualTo(new[] { 1.0, 2, 3 }));
        Assert.That(o.ParamNorm, Is.EqualTo(new[] { 10.5, 10.75, 11 }));
        Assert.That(o.EvalParamNorm, Is.EqualTo(new[] { 10.75, 11 }));

        string older = CliRunner.TempDir("outcome-old");
        File.WriteAllLines(Path.Combine(older, "metrics.csv"), ["step,loss,lr,grad_norm,tok_per_s,elapsed_s,val_loss", "1,4.2,1,1,100,0.1,", "2,3.5,1,1,100,0.3,3.6"]);
        var old = RunOutcome.Read(run with { Steps = 2 }, older);
        Assert.That(old.Status, Is.EqualTo(RunStatus.Finished));
        Assert.That(old.ParamNorm, Has.Length.EqualTo(2).And.All.NaN);
        Assert.That(old.EvalParamNorm, Has.Length.EqualTo(1).And.All.NaN);
    }

    [Test]
    public void Resume_OfAFileWithoutTheColumn_KeepsItsRows_WithAnEmptyCell()
    {
        string dir = CliRunner.TempDir("old-metrics");
        string path = Path.Combine(dir, "metrics.csv");
        File.WriteAllLines(path, ["step,loss,lr,grad_norm,tok_per_s,elapsed_s,accuracy", "1,2.5,0.001,1,10,0.1,", "2,2.4,0.002,1,10,0.2,", "3,2.3,0.003,1,10,0.3,"]);
        using (var w = new MetricsWriter(path, "tok", "accuracy", startStep: 2))
            w.Write(new MetricsRow(3, 2.25, 0.003, 1, 10, 0.3, null, 7.5));
        Assert.That(File.ReadAllLines(path), Is.EqualTo(new[]
        {
            "step,loss,lr,grad_norm,tok_per_s,elapsed_s,accuracy,param_norm", "1,2.5,0.001,1,10,0.1,,", "2,2.4,0.002,1,10,0.2,,", "3,2.25,0.003,1,10.0,0.300,,7.5",
        }));
        var (steps, _, _, norms) = MetricsWriter.Read(path);
        Assert.That(steps, Is.EqualTo(new[] { 1.0, 2, 3 }));
        Assert.That(norms[..2], Is.All.NaN);
        Assert.That(norms[2], Is.EqualTo(7.5));
    }
}
