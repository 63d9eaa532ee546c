// The course is kept true: every lesson file runs (in its quick mode) and prints what its page shows, every excerpt on
// a page is the region of the file it names, and every figure a page shows is drawn by running its lesson.
// DOTGRAD_COURSE_UPDATE=1 rewrites the pages from the files instead of failing (with DOTGRAD_COURSE_FULL=1 the
// lessons run in full and draw their figures into docs/course/figures): how a lesson's page is refreshed.
using System.Diagnostics;

namespace DotGrad.Tests.Course;

[NonParallelizable] // each lesson is built and run by the .NET SDK; one at a time keeps the 2-core machine responsive
public class CourseTests
{
    private static bool Update => Environment.GetEnvironmentVariable("DOTGRAD_COURSE_UPDATE") == "1";
    private static bool Full => Environment.GetEnvironmentVariable("DOTGRAD_COURSE_FULL") == "1";

    private static string? Root() => Architecture.LayerMap.FindRoot(TestContext.CurrentContext.TestDirectory);

    private static string CourseDir()
    {
        var root = Root();
        if (root is null) Assert.Ignore("the repository (a folder holding DotGrad.csproj) is not above the test binaries; the course cannot be found");
        return Path.Combine(root!, "docs", "course");
    }

    public static IEnumerable<TestCaseData> Lessons()
    {
        var root = Architecture.LayerMap.FindRoot(AppContext.BaseDirectory);
        if (root is null) yield break;
        foreach (var md in Directory.EnumerateFiles(Path.Combine(root, "docs", "course"), "*.md").Order(StringComparer.Ordinal))
            if (char.IsAsciiDigit(Path.GetFileName(md)[0]))
                yield return new TestCaseData(Path.GetFileNameWithoutExtension(md)).SetArgDisplayNames(Path.GetFileNameWithoutExtension(md));
    }

    private static CoursePage Page(string name) => new(Path.Combine(CourseDir(), name + ".md"));

    [Test]
    public void TheCourse_HasNumberedLessons_EachWithItsFile_AllLinkedFromTheIndex()
    {
        var dir = CourseDir();
        var names = Lessons().Select(c => (string)c.Arguments[0]!).ToList();
        Assert.That(names, Has.Count.GreaterThanOrEqualTo(1), "expected lessons NN-name.md in docs/course");
        for (int i = 0; i < names.Count; i++)
            Assert.That(names[i], Does.StartWith($"{i + 1:00}-"), "lessons are numbered 01, 02, ... without gaps");
        var index = File.ReadAllText(Path.Combine(dir, "README.md"));
        foreach (var name in names)
        {
            Assert.That(File.Exists(Path.Combine(dir, name + ".cs")), Is.True, $"{name}.md needs its runnable file {name}.cs");
            Assert.That(index, Does.Contain($"({name}.md)"), $"docs/course/README.md should link {name}.md");
        }
    }

    [TestCaseSource(nameof(Lessons))]
    public void Page_QuotesItsFile(string name)
    {
        var page = Page(name);
        var regions = page.Regions();
        var excerpts = page.Excerpts();
        if (Update)
        {
            File.WriteAllText(page.MarkdownPath, page.Updated(null));
            page = Page(name);
            excerpts = page.Excerpts();
        }
        Assert.That(excerpts, Is.Not.Empty, $"{name}.md shows no excerpt of its file (<!-- code: REGION --> before a code block)");
        foreach (var (region, code) in excerpts)
        {
            Assert.That(regions.ContainsKey(region), Is.True, $"{name}.md quotes region '{region}', which {name}.cs does not have (// region: {region} ... // endregion)");
            Assert.That(code, Is.EqualTo(regions[region]), $"{name}.md: the excerpt of region '{region}' differs from {name}.cs; run the course tests with DOTGRAD_COURSE_UPDATE=1 to refresh it");
        }
        Assert.That(page.Output, Is.Not.Null, $"{name}.md has no output block (<!-- output --> before a ```text block)");
    }

    [TestCaseSource(nameof(Lessons))]
    public void Lesson_RunsAndPrintsWhatItsPageShows(string name)
    {
        var page = Page(name);
        var figures = Full ? Path.Combine(CourseDir(), "figures") : Directory.CreateTempSubdirectory("dotgrad-course-").FullName;
        try
        {
            var (code, stdout, stderr) = RunLesson(page.SourcePath, figures);
            if (code == 3) Assert.Ignore($"{name} needs data that is not here: {stderr.Trim()}");
            Assert.That(code, Is.EqualTo(0), $"{name}.cs exited with {code}:\n{stderr}\n{stdout}");
            if (Update)
            {
                File.WriteAllText(page.MarkdownPath, page.Updated(stdout));
                page = Page(name);
            }
            var diffs = page.CompareOutput(stdout);
            Assert.That(diffs, Is.Empty, $"{name}: the page's output and what the lesson printed differ (run with DOTGRAD_COURSE_UPDATE=1 " +
                                         $"and DOTGRAD_COURSE_FULL=1 to refresh the page):\n{string.Join("\n", diffs.Take(20))}\n--- printed:\n{stdout}");
            foreach (var figure in page.Figures())
            {
                Assert.That(File.Exists(Path.Combine(CourseDir(), figure)), Is.True, $"{name}.md shows {figure}, which is not in docs/course");
                var drawn = Path.Combine(figures, Path.GetFileName(figure));
                // A graph is drawn as DOT; its PNG needs Graphviz, which this machine may lack.
                bool graph = File.Exists(Path.ChangeExtension(drawn, ".dot"));
                Assert.That(File.Exists(drawn) || graph, Is.True, $"{name}.md shows {figure}, but running {name}.cs did not draw it");
            }
        }
        finally
        {
            if (!Full) Directory.Delete(figures, recursive: true);
        }
    }

    /// <summary>
    /// Builds the lesson (<c>dotnet build LESSON</c>, so that build messages stay out of its output), then runs it
    /// (<c>dotnet run --no-build --file LESSON</c>) from the repository root, in the quick mode unless DOTGRAD_COURSE_FULL=1.
    /// </summary>
    private static (int Code, string Stdout, string Stderr) RunLesson(string file, string figures)
    {
        var (buildCode, buildOut, buildErr) = Dotnet(["build", file], figures, TimeSpan.FromMinutes(10));
        Assert.That(buildCode, Is.EqualTo(0), $"{Path.GetFileName(file)} does not build:\n{buildOut}\n{buildErr}");
        return Dotnet(["run", "--no-build", "--file", file], figures, TimeSpan.FromMinutes(Full ? 30 : 5));
    }

    private static (int Code, string Stdout, string Stderr) Dotnet(string[] args, string figures, TimeSpan limit)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Root()!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment["DOTGRAD_FIGURES"] = figures;
        if (!Full) psi.Environment["DOTGRAD_QUICK"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(" ", args)} did not finish in {limit.TotalMinutes} minutes{(Full ? "" : " (the lesson's quick mode should take seconds)")}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
