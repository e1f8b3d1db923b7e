using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Carapace.Attestation;
using Carapace.Attestation.Simulation;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Bench;

/// <summary>
/// <c>carapace bench attest</c>: the in-process latency of <see cref="EvidenceVerifiers.Verify"/> for each evidence
/// kind, on the embedded public vectors, after a warm-up. Every timed call must verify.
/// </summary>
internal static class AttestBench
{
    public static Command Build()
    {
        var n = new Option<int>("--n") { Description = "Verifications to time per kind, after a warm-up (default 200).", DefaultValueFactory = _ => 200, HelpName = "N" };
        n.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000)
            {
                r.AddError("--n must be from 1 to 1000000");
            }
        });
        var command = new Command(
            "attest",
            "Measure offline evidence verification per kind (sgx quote only and with collateral, tdx, snp, nitro, ratls, sim) " +
            "on the public vectors built into carapace, in-process after a warm-up; prints p50 and p99 per kind.")
        {
            n,
        };
        Examples.Set(command, "carapace bench attest", "carapace bench attest --n 1000");
        command.SetHandler(async (parse, cancel) =>
        {
            var count = parse.GetValue(n);
            using var simulation = SimulatedQuotingService.CreateEphemeral();
            var cases = await AttestVectors.LoadAsync(simulation).ConfigureAwait(false);
            var verifiers = EvidenceVerifiers.CreateDefault();
            var rows = new List<(string Name, Latencies Latencies)>();
            foreach (var c in cases)
            {
                Console.Error.WriteLine($"measuring {c.Name} …");
                rows.Add((c.Name, Measure(verifiers, c, count)));
                cancel.ThrowIfCancellationRequested();
            }

            var width = rows.Max(r => r.Name.Length);
            Console.Out.WriteLine($"{"evidence".PadRight(width)}  {"p50",10}  {"p99",10}");
            foreach (var (name, latencies) in rows)
            {
                Console.Out.WriteLine($"{name.PadRight(width)}  {Us(latencies.P50),10}  {Us(latencies.P99),10}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Times <paramref name="n"/> verifications after a warm-up of up to 20 (JIT, tiering, lazily loaded roots).</summary>
    private static Latencies Measure(EvidenceVerifiers verifiers, AttestVectors.Case c, int n)
    {
        for (var i = 0; i < Math.Min(20, n); i++)
        {
            Check(c, verifiers.Verify(c.Kind, c.Evidence, c.Options));
        }

        var samples = new List<double>(n);
        for (var i = 0; i < n; i++)
        {
            var watch = Stopwatch.StartNew();
            var result = verifiers.Verify(c.Kind, c.Evidence, c.Options);
            samples.Add(watch.Elapsed.TotalMicroseconds);
            Check(c, result);
        }

        return new Latencies(samples);
    }

    private static void Check(AttestVectors.Case c, AttestationResult result)
    {
        if (!result.Verified)
        {
            throw new CliFailure($"the built-in {c.Name} vector did not verify ({result.Failure}); the carapace build is damaged", ExitCodes.InternalError);
        }
    }

    private static string Us(double micros) => micros.ToString("F0", CultureInfo.InvariantCulture) + " µs";
}
