namespace Carapace.Cli.Bench;

/// <summary>Percentiles of a set of measured durations, in microseconds.</summary>
internal sealed class Latencies(IEnumerable<double> microseconds)
{
    private readonly double[] _sorted = [.. microseconds.Order()];

    public int Count => _sorted.Length;

    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double Percentile(double q) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(q * _sorted.Length) - 1, 0, _sorted.Length - 1)];
}
