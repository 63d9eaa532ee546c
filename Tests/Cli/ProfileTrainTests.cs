// train --profile: the steps after the first are profiled; the table is printed and written as profile.csv, with rows
// for the matrix products of the forward and the backward pass.
using System.Globalization;

namespace DotGrad.Tests.Cli;

[NonParallelizable] // the profiler restarts the host allocator's peak statistics, which other runs measure
public class ProfileTrainTests
{
    [Test]
    public void Profile_WritesProfileCsv_WithMatMulForwardAndBackwardRows_AndPrintsTheTable()
    {
        string dir = CliRunner.TempDir("profile");
        var r = CliRunner.Run(["train", "--steps", "3", "--profile", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

        string path = Path.Combine(dir, "profile.csv");
        Assert.That(File.Exists(path), r.ToString());
        Assert.That(File.Exists(path + ".tmp"), Is.False, "written atomically");
        var lines = File.ReadAllLines(path);
        Assert.That(lines[0], Is.EqualTo("op,phase,calls,total_ms,mean_ms,percent,gflop,gflop_per_s"));
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        var forward = rows.Single(c => c[0] == "matmul" && c[1] == "forward");
        var backward = rows.Single(c => c[0] == "matmul" && c[1] == "backward");
        // Two profiled steps (the first is a warm-up): the counts are even, and the backward has twice the forward's FLOPs
        // for every product whose operands both need gradients, so at least as many in all.
        Assert.That(long.Parse(forward[2], CultureInfo.InvariantCulture) % 2, Is.Zero);
        Assert.That(long.Parse(backward[2], CultureInfo.InvariantCulture), Is.GreaterThan(0));
        Assert.That(double.Parse(backward[6], CultureInfo.InvariantCulture),
                    Is.GreaterThanOrEqualTo(double.Parse(forward[6], CultureInfo.InvariantCulture)));
        Assert.That(r.Out, Does.Contain(path).And.Contain("GFLOP/s").And.Contain("memory peak"));
    }

    [Test]
    public void Profile_OfOneStep_SaysThatNothingWasProfiled()
    {
        string dir = CliRunner.TempDir("profile-one");
        var r = CliRunner.Run(["train", "--steps", "1", "--profile", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("profile   none"));
        Assert.That(File.Exists(Path.Combine(dir, "profile.csv")), Is.False);
    }
}
