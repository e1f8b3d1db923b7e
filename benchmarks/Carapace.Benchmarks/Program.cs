using BenchmarkDotNet.Running;

namespace Carapace.Benchmarks;

/// <summary>Entry point: pick benchmarks with BenchmarkDotNet's command line (e.g. <c>--filter '*Envelope*'</c>).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
