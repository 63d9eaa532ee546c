// Numeric columns of a small CSV file with a header row, picked by name: what `dotgrad fit` reads (compute and
// error of a set of runs). Plain comma-separated values: no quoted commas, invariant-culture numbers.
using System.Globalization;

namespace DotGrad.Cli.Data;

internal static class CsvColumns
{
    /// <summary>
    /// The values of the columns <paramref name="names"/> in <paramref name="path"/>, one array per name, in row order.
    /// Blank lines are skipped; header names are compared without case and without surrounding quotes or spaces. A
    /// missing file or column, a short row or a cell that is not a number is a <see cref="UserError"/> naming the
    /// file, the line and what was found.
    /// </summary>
    public static double[][] Read(string path, params string[] names)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserError($"'{path}' cannot be read: {e.Message}", e);
        }
        int headerLine = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (headerLine < 0) throw new UserError($"'{path}' is empty; it needs a header row naming the columns ({string.Join(", ", names)}) and one row per point");
        var header = lines[headerLine].Split(',').Select(Clean).ToArray();
        var columns = names.Select(n => Array.FindIndex(header, h => string.Equals(h, n.Trim(), StringComparison.OrdinalIgnoreCase))).ToArray();
        for (int k = 0; k < names.Length; k++)
            if (columns[k] < 0)
                throw new UserError($"'{path}' has no column '{names[k]}'; its header has {string.Join(", ", header.Select(h => $"'{h}'"))}. " +
                                    "Name the columns to use with --x and --y");

        var values = names.Select(_ => new List<double>()).ToArray();
        for (int i = headerLine + 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var cells = lines[i].Split(',');
            for (int k = 0; k < names.Length; k++)
            {
                if (columns[k] >= cells.Length)
                    throw new UserError($"'{path}' line {i + 1} has {cells.Length} cells, so no '{names[k]}' (column {columns[k] + 1})");
                string cell = Clean(cells[columns[k]]);
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new UserError($"'{path}' line {i + 1}: the '{names[k]}' cell '{cell}' is not a number (write numbers like 0.25 or 1.5e12)");
                values[k].Add(v);
            }
        }
        return values.Select(v => v.ToArray()).ToArray();
    }

    private static string Clean(string cell) => cell.Trim().Trim('"').Trim();
}
