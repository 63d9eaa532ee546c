// Where a lesson finds things and how long it runs: the repository, the shared data, the figures folder, and the
// quick mode (DOTGRAD_QUICK=1) in which CI runs every lesson in seconds.
namespace DotGrad.Course;

/// <summary>What every lesson needs from its surroundings.</summary>
public static class Lesson
{
    /// <summary>True when DOTGRAD_QUICK=1: the lesson runs a few steps instead of the full count (CI sets it).</summary>
    public static bool Quick => Environment.GetEnvironmentVariable("DOTGRAD_QUICK") == "1";

    /// <summary><paramref name="full"/>, or <paramref name="quick"/> in the quick mode.</summary>
    public static int Steps(int full, int quick) => Quick ? quick : full;

    /// <summary>The repository: the nearest folder holding DotGrad.csproj above the lesson file (or the current folder).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Where the lessons' figures go: DOTGRAD_FIGURES when set (CI uses a temporary folder), else docs/course/figures.</summary>
    public static string Figures
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("DOTGRAD_FIGURES") is { Length: > 0 } d ? d : Path.Combine(Root, "docs", "course", "figures");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>The path of a figure file in <see cref="Figures"/>.</summary>
    public static string Figure(string name) => Path.Combine(Figures, name);

    /// <summary>The shared data folder: DOTGRAD_DATA when set, else ../shared/data beside the repository.</summary>
    public static string DataDir => Environment.GetEnvironmentVariable("DOTGRAD_DATA") is { Length: > 0 } d
        ? d : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    /// <summary>
    /// The path of a data file or folder under <see cref="DataDir"/>; when it is missing the lesson ends here with a
    /// message saying where it was looked for (exit code 3, which the course tests read as "data absent").
    /// </summary>
    public static string Data(string relative)
    {
        var path = Path.Combine(DataDir, relative);
        if (File.Exists(path) || Directory.Exists(path)) return path;
        Console.Error.WriteLine($"This lesson needs {relative} from the shared data, looked for at {path}. " +
                                "Put the data there (see shared/data/README.md) or set DOTGRAD_DATA to its folder.");
        Environment.Exit(3);
        return path;
    }

    private static string FindRoot()
    {
        var starts = new[] { AppContext.GetData("EntryPointFileDirectoryPath") as string, Environment.CurrentDirectory };
        foreach (var start in starts.OfType<string>())
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "DotGrad.csproj"))) return dir.FullName;
        return Environment.CurrentDirectory;
    }
}
