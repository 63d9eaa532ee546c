// A new run never trains into a directory that holds another run (unless --overwrite replaces it), and a run holds a
// lock on its directory, so that a second training into it at the same time is refused with the first one's name.
using DotGrad.Cli.Training;

namespace DotGrad.Tests.Cli;

public class RunDirectoryTests
{
    [Test]
    public void ANewRun_IntoADirectoryHoldingARun_IsRefused_AndOverwriteReplacesTheRun()
    {
        string dir = CliRunner.TempDir("taken");
        Assert.That(CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        var before = File.ReadAllText(Path.Combine(dir, "metrics.csv"));

        var again = CliRunner.Run(["train", "--steps", "3", "--out", dir, .. CliRunner.Tiny]);
        CliRunner.AssertUsageError(again, "already holds a run");
        Assert.That(again.Err, Does.Contain("--resume").And.Contain("--overwrite"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "metrics.csv")), Is.EqualTo(before), "the refused run wrote nothing");

        var replaced = CliRunner.Run(["train", "--steps", "3", "--out", dir, "--overwrite", .. CliRunner.Tiny]);
        Assert.That(replaced.ExitCode, Is.EqualTo(0), replaced.ToString());
        Assert.That(Directory.GetDirectories(Path.Combine(dir, "checkpoints")).Select(Path.GetFileName), Is.EqualTo(new[] { "step-000003" }),
            "the old run's checkpoint is gone, so it cannot be taken as the latest");
        Assert.That(File.ReadLines(Path.Combine(dir, "metrics.csv")).Count(), Is.EqualTo(1 + 3), "a header and the new run's 3 rows");
        AssertUnlocked(dir);
    }

    [Test]
    public void ANewRun_IntoADirectoryOfOtherFiles_IsRefused_AndOverwriteLeavesThoseFiles()
    {
        string dir = CliRunner.TempDir("notes");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        CliRunner.AssertUsageError(CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]), "is not empty (notes.txt)");
        var r = CliRunner.Run(["train", "--steps", "2", "--out", dir, "--overwrite", .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(File.ReadAllText(Path.Combine(dir, "notes.txt")), Is.EqualTo("mine"), "--overwrite removes only a run's own files");
    }

    [Test]
    public void ARunHoldingTheDirectory_MakesASecondOneRefused_NamingTheFirst()
    {
        string dir = CliRunner.TempDir("locked");
        File.WriteAllText(Path.Combine(dir, RunDirectoryLock.OwnerFile), "process 4242 (dotgrad) on host, started 2026-12-03 10:00:00 UTC\n");
        // The lock as a running training holds it: the lock file open with no sharing.
        using (new FileStream(Path.Combine(dir, RunDirectoryLock.LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var r = CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]);
            CliRunner.AssertUsageError(r, "in use by another training (process 4242 (dotgrad) on host");
            Assert.That(File.Exists(Path.Combine(dir, "metrics.csv")), Is.False, "the refused run wrote nothing");
        }
        // Released (as the OS releases it when a process ends, even a killed one), the directory is free again.
        var after = CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(after.ExitCode, Is.EqualTo(0), after.ToString());
        AssertUnlocked(dir);
    }

    [Test]
    public void ALockFileLeftByAKilledRun_DoesNotBlockTheNextRun()
    {
        string dir = CliRunner.TempDir("stale");
        File.WriteAllText(Path.Combine(dir, RunDirectoryLock.LockFile), "");
        File.WriteAllText(Path.Combine(dir, RunDirectoryLock.OwnerFile), "process 1 on host, started 2000-01-01 00:00:00 UTC\n");
        var r = CliRunner.Run(["train", "--steps", "2", "--out", dir, .. CliRunner.Tiny]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        AssertUnlocked(dir);
    }

    [Test]
    public void Resume_InItsOwnDirectory_IsAllowed_ButNotWithOverwrite()
    {
        string dir = CliRunner.TempDir("resume-own");
        Assert.That(CliRunner.Run(["train", "--steps", "4", "--save-every", "2", "--out", dir, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", dir + "/checkpoints/step-000002", "--overwrite"), "--overwrite replaces a run");
        var r = CliRunner.Run("train", "--resume", dir + "/checkpoints/step-000002");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        AssertUnlocked(dir);
    }

    [Test]
    public void ABranch_IntoADirectoryHoldingARun_IsRefused()
    {
        string source = CliRunner.TempDir("branch-source"), target = CliRunner.TempDir("branch-target");
        string[] constant = ["--schedule", "constant", "--warmup", "0"];
        Assert.That(CliRunner.Run(["train", "--steps", "4", "--save-every", "2", "--out", source, .. constant, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        Assert.That(CliRunner.Run(["train", "--steps", "2", "--out", target, .. CliRunner.Tiny]).ExitCode, Is.EqualTo(0));
        var r = CliRunner.Run("train", "--branch", source + "/checkpoints/step-000002", "--steps", "6", "--out", target);
        CliRunner.AssertUsageError(r, "already holds a run");
    }

    private static void AssertUnlocked(string dir)
    {
        Assert.That(File.Exists(Path.Combine(dir, RunDirectoryLock.LockFile)), Is.False, "the lock file is removed at the end of the run");
        Assert.That(File.Exists(Path.Combine(dir, RunDirectoryLock.OwnerFile)), Is.False, "the owner file is removed at the end of the run");
    }
}
