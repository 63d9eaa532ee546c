// A training run's directory: a new run refuses one that already holds another run's files (unless told to replace
// them), and every run holds a lock on its directory while it trains, so a second run into it is refused with the name
// of the process that has it. The lock is an OS file lock (flock on Linux, a sharing lock on Windows), released by the
// OS when the process ends however it ends, so a killed run leaves no lock that blocks the next one.
using System.Diagnostics;
using System.Globalization;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Training;

/// <summary>The lock a run holds on its directory; <see cref="Dispose"/> releases it and removes its files.</summary>
internal sealed class RunDirectoryLock : IDisposable
{
    /// <summary>The locked file, and the file beside it that says who holds the lock (a locked file cannot be read).</summary>
    public const string LockFile = "run.lock", OwnerFile = "run.owner";

    private readonly string _dir;
    private FileStream? _lock;

    private RunDirectoryLock(string dir, FileStream stream)
    {
        _dir = dir;
        _lock = stream;
    }

    /// <summary>
    /// Creates <paramref name="dir"/> if needed and locks it for this process; a <see cref="UserError"/> naming the
    /// holder when another run has it.
    /// </summary>
    public static RunDirectoryLock Acquire(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserError($"the run directory '{dir}' cannot be created: {e.Message}; pick another with --out", e);
        }
        string path = Path.Combine(dir, LockFile);
        FileStream stream;
        try
        {
            // FileShare.None takes an exclusive lock, which a second opener (another process, or this one) cannot get.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            string holder = ReadOwner(dir) ?? "another process";
            throw new UserError($"the run directory '{dir}' is in use by another training ({holder}); wait for it to finish, or train into another --out", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserError($"the run directory '{dir}' cannot be locked: {e.Message}; pick another with --out", e);
        }
        var held = new RunDirectoryLock(dir, stream);
        var process = Process.GetCurrentProcess();
        string owner = string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId} ({process.ProcessName}) on {Environment.MachineName}, started {process.StartTime.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC");
        string ownerPath = Path.Combine(dir, OwnerFile);
        File.WriteAllText(ownerPath + ".tmp", owner + "\n");
        File.Move(ownerPath + ".tmp", ownerPath, overwrite: true);
        return held;
    }

    /// <summary>Who holds the lock on <paramref name="dir"/>, as its owner file says (null when there is none).</summary>
    private static string? ReadOwner(string dir)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(dir, OwnerFile)).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;   // the holder may be writing it or removing it this instant: the message names no process
        }
    }

    public void Dispose()
    {
        if (_lock is null) return;
        // The owner file first, while the lock still keeps other runs out; then the lock file, then the lock itself.
        File.Delete(Path.Combine(_dir, OwnerFile));
        File.Delete(Path.Combine(_dir, LockFile));
        _lock.Dispose();
        _lock = null;
    }
}

/// <summary>What a new run may find in its directory, and what --overwrite removes.</summary>
internal static class RunDirectory
{
    /// <summary>The entries a training run writes into its directory (besides its lock): what --overwrite removes.</summary>
    public static readonly string[] RunEntries = [MetricsWriter.FileName, LossPlot.FileName, "profile.csv", "checkpoints"];

    /// <summary>
    /// For a run that starts afresh in <paramref name="dir"/> (locked by this process): a <see cref="UserError"/> when the
    /// directory holds anything besides the lock, unless <paramref name="overwrite"/>, which removes the entries a run
    /// writes (<see cref="RunEntries"/>) and leaves any other file where it is.
    /// </summary>
    public static void PrepareFresh(string dir, bool overwrite, string how)
    {
        var entries = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName)
            .Where(n => n is not (RunDirectoryLock.LockFile or RunDirectoryLock.OwnerFile)).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        if (entries.Length == 0) return;
        if (!overwrite)
        {
            bool isRun = entries.Any(RunEntries.Contains);
            string shown = string.Join(", ", entries.Take(4)) + (entries.Length > 4 ? $" and {entries.Length - 4} more" : "");
            throw new UserError(isRun
                ? $"--out '{dir}' already holds a run ({shown}); {how} would mix the two. Continue that run with --resume {dir}, " +
                  "replace it with --overwrite, or pick another --out"
                : $"--out '{dir}' is not empty ({shown}); {how} writes a run there. Pick an empty or new directory, or pass --overwrite " +
                  "(which replaces only a run's own files: metrics.csv, loss.png, profile.csv, checkpoints/)");
        }
        foreach (var name in entries.Where(RunEntries.Contains))
        {
            string path = Path.Combine(dir, name);
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserError($"--overwrite: '{path}' cannot be removed: {e.Message}", e);
            }
        }
    }
}
