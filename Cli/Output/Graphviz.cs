// Renders Graphviz DOT (an autograd graph from Autograd.ToDot) to SVG or PNG with the `dot` program when it is on the
// PATH; without it the DOT file is still written and the caller is told how to install Graphviz.
using System.Diagnostics;

namespace DotGrad.Cli.Output;

internal static class Graphviz
{
    /// <summary>What to install when `dot` is missing.</summary>
    public const string InstallHint = "install Graphviz to render it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; " +
                                      "Windows: winget install graphviz), or paste the DOT into any Graphviz viewer";

    /// <summary>The full path of `dot` on the PATH, or null.</summary>
    public static string? FindDot()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "dot.exe" } : ["dot"];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in names)
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path)) return path;
            }
        return null;
    }

    /// <summary>
    /// Writes <paramref name="dot"/> to <paramref name="dotPath"/> (atomically), then renders it beside it for each format
    /// ("svg", "png") when `dot` is available. Returns the rendered files (none without Graphviz).
    /// </summary>
    public static IReadOnlyList<string> Write(string dot, string dotPath, params string[] formats)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(dotPath))!;
        Directory.CreateDirectory(dir);
        var tmp = dotPath + ".tmp";
        File.WriteAllText(tmp, dot);
        File.Move(tmp, dotPath, overwrite: true);
        if (FindDot() is not { } exe) return [];
        var rendered = new List<string>();
        foreach (var format in formats)
        {
            var output = Path.ChangeExtension(dotPath, format);
            var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { $"-T{format}", dotPath, "-o", output + ".tmp" }) psi.ArgumentList.Add(arg);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"Graphviz: 'dot -T{format}' failed on {dotPath} (exit code {p.ExitCode}): {err.Trim()}");
            File.Move(output + ".tmp", output, overwrite: true);
            rendered.Add(output);
        }
        return rendered;
    }
}
