using System.Globalization;

namespace Carapace.Cli.Bench;

/// <summary>
/// The SQL of the file-shield section's SQLite run: after two setup statements (the copy into /tmp and its attach),
/// <paramref name="rounds"/> rounds of a full scan and of <see cref="Lookups"/> random primary-key lookups, each over
/// the image's database (<c>main</c>) and over its copy in /tmp (<c>t</c>), the order of the two swapped every round.
/// </summary>
internal sealed class SqliteQueries(int rounds, int rows)
{
    /// <summary>Primary-key lookups per lookup query.</summary>
    public const int Lookups = 2000;

    private const int SetupStatements = 2;

    private readonly List<(string Query, string Database)> _order = Build(rounds);

    /// <summary>The query arguments, after the setup statements.</summary>
    public IReadOnlyList<string> Sql => [.. _order.Select(o => Text(o.Query, o.Database))];

    /// <summary>
    /// The medians, in microseconds, of the scan and the lookups over the image and over /tmp, from sqlite-query's
    /// <c>time N MICROSECONDS</c> lines in <paramref name="log"/>.
    /// </summary>
    public (double ScanImage, double ScanTmp, double LookupsImage, double LookupsTmp) Times(string log)
    {
        var times = new Dictionary<int, double>();
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Split(' ') is ["time", var n, var micros])
            {
                times[int.Parse(n, CultureInfo.InvariantCulture)] = double.Parse(micros, CultureInfo.InvariantCulture);
            }
        }

        double Median(string query, string database) => new Latencies(_order
            .Select((o, i) => (o, i))
            .Where(x => x.o.Query == query && x.o.Database == database)
            .Select(x => times.TryGetValue(SetupStatements + x.i + 1, out var t) ? t
                : throw new InvalidOperationException("sqlite-query did not time every query"))).P50;

        return (Median("scan", "main"), Median("scan", "t"), Median("lookups", "main"), Median("lookups", "t"));
    }

    /// <summary>Whether every query gave the same row over the image as over /tmp.</summary>
    public bool SameAnswers(string stdout)
    {
        var answers = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (answers.Length != _order.Count)
        {
            return false;
        }

        return _order.Select((o, i) => (o.Query, Answer: answers[i])).GroupBy(x => x.Query).All(g => g.Select(x => x.Answer).Distinct().Count() == 1);
    }

    private static List<(string, string)> Build(int rounds)
    {
        var order = new List<(string, string)>();
        for (var r = 0; r < rounds; r++)
        {
            var (first, second) = r % 2 == 0 ? ("main", "t") : ("t", "main");
            order.AddRange([("scan", first), ("scan", second), ("lookups", first), ("lookups", second)]);
        }

        return order;
    }

    private string Text(string query, string database) => query == "scan"
        ? $"select count(*), sum(price), sum(length(note)) from {database}.item"
        : string.Create(CultureInfo.InvariantCulture,
            $"with recursive r(i) as (select 1 union all select i + 1 from r where i < {Lookups}) select sum((select price from {database}.item where id = (i * 7919) % {rows} + 1)) from r");
}
