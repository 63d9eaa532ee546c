// dotgrad fit: the double-saturating power law E = a (C + d)^(-b) + c of "Scaling Vision Transformers" fitted to two
// columns of a CSV file (compute and error by default), printed as its four constants and drawn on log-log axes.
using System.CommandLine;
using System.Globalization;
using DotGrad.Cli.Data;
using DotGrad.Cli.Output;
using DotGrad.Cli.Study;

namespace DotGrad.Cli.Commands;

internal static class FitCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE.csv") { Description = "A CSV file with a header row and one row per run" };
        var x = new Option<string>("--x") { HelpName = "COLUMN", Description = "The compute column", DefaultValueFactory = _ => "compute" };
        var y = new Option<string>("--y") { HelpName = "COLUMN", Description = "The error column", DefaultValueFactory = _ => "error" };
        var output = new Option<string>("--out") { HelpName = "FILE.png", Description = "Where the log-log plot goes", DefaultValueFactory = _ => PowerLawPlot.FileName };
        var command = new Command("fit", "Fit the double-saturating power law E = a (C + d)^(-b) + c (error against compute) to a CSV and plot it on log-log axes")
        {
            file, x, y, output,
        };
        command.SetAction(p => Run(context, p.GetValue(file)!, p.GetValue(x)!, p.GetValue(y)!, p.GetValue(output)!));
        return command;
    }

    private static int Run(CliContext context, string path, string xColumn, string yColumn, string outPath)
    {
        var columns = CsvColumns.Read(path, xColumn, yColumn);
        double[] xs = columns[0], ys = columns[1];
        PowerLawFit fit;
        try
        {
            fit = PowerLaw.Fit(xs, ys);
        }
        catch (ArgumentException e)
        {
            throw UserError.From($"'{path}' cannot be fitted (columns '{xColumn}' and '{yColumn}')", e);
        }
        catch (InvalidOperationException e)
        {
            throw UserError.From($"'{path}' cannot be fitted", e);
        }

        try
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (parent is not null) Directory.CreateDirectory(parent);
            PowerLawPlot.Save(outPath, xs, ys, fit, xColumn, yColumn);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"--out '{outPath}' cannot be written: {e.Message}", e);
        }

        var w = context.Out;
        w.WriteLine($"fit       {yColumn} = a ({xColumn} + d)^(-b) + c over {fit.Points} points of {path}");
        w.WriteLine($"a         {G(fit.A)}");
        w.WriteLine($"b         {G(fit.B)}");
        w.WriteLine($"c         {G(fit.C)}   (the {yColumn} an unlimited {xColumn} would still make)");
        w.WriteLine($"d         {G(fit.D)}");
        w.WriteLine($"residual  RMS {G(fit.ResidualRms)}");
        w.WriteLine($"plot      {outPath}");
        w.Flush();
        return ExitCodes.Success;
    }

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
