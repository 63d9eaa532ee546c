// A BenchmarkDotNet column that divides a per-case amount of work by the case's median time.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DotGrad.Benchmarks;

/// <summary>
/// <c>value(case) / median seconds</c>, printed with <paramref name="format"/>: with value the GFLOP of one invocation,
/// GFLOP/s. A value of null prints NA.
/// </summary>
public sealed class ThroughputColumn(string id, string name, string legend, Func<BenchmarkCase, double?> value, string format = "F1") : IColumn
{
    public string Id => id;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || value(benchmarkCase) is not { } work) return "NA";
        return (work / (stats.Median * 1e-9)).ToString(format);
    }
}
