// Small helpers for Spectre tables: cells are plain text (never markup), borders plain ASCII outside a terminal.
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DotGrad.Cli.Output;

internal static class Tables
{
    /// <summary>A table with these column headers; right-aligned columns are named with a leading '>'.</summary>
    public static Table Create(CliContext context, params string[] headers)
    {
        var table = new Table { Border = context.Interactive ? TableBorder.Rounded : TableBorder.Ascii };
        foreach (var h in headers)
        {
            bool right = h.StartsWith('>');
            var column = new TableColumn(new Text(right ? h[1..] : h));
            if (right) column.RightAligned();
            table.AddColumn(column);
        }
        return table;
    }

    /// <summary>Adds a row of plain-text cells (square brackets in names are not read as markup).</summary>
    public static void Row(Table table, params string[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());

    /// <summary>Bytes as B, KiB, MiB or GiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:F1} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):F1} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):F1} GiB",
    };
}
