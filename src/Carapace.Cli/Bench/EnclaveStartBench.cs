using System.Diagnostics;
using System.Globalization;
using Carapace.Envelope.Sealing;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Bench;

/// <summary>
/// The start-up figures of <c>carapace bench runtime</c>: enclave spawn → ready and the resident memory of an idle stem
/// cell, for the native enclave and, where the JIT build of the same program ships beside the CLI, for that one as a
/// comparison; and a cold invocation with no stem cell left (spawn, specialisation of a cached module, first run).
/// </summary>
internal static class EnclaveStartBench
{
    private const int Starts = 5;

    /// <summary>
    /// Spawn → ready p50 and idle RSS of <paramref name="launch"/>'s enclave, and the enclave's own account of where
    /// the last start's time went (its <c>CARAPACE_ENCLAVE_START_TIMINGS</c> line), when it gives one.
    /// </summary>
    public static async Task<(double StartMicros, long IdleRssBytes, string? Phases)> StartAndMemoryAsync(EnclaveLaunchOptions launch, CancellationToken cancel)
    {
        const string Variable = "CARAPACE_ENCLAVE_START_TIMINGS";
        const string Prefix = "carapace-enclave: start: ";
        string? phases = null;
        var traced = launch with
        {
            Diagnostics = (pid, line) =>
            {
                if (line.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    Volatile.Write(ref phases, line[Prefix.Length..]);
                }

                launch.Diagnostics?.Invoke(pid, line);
            },
        };
        var before = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, "1");
        try
        {
            var starts = new List<double>();
            long rss = 0;
            for (var i = 0; i < Starts; i++)
            {
                var watch = Stopwatch.StartNew();
                await using var enclave = await EnclaveProcess.StartAsync(traced, cancel).ConfigureAwait(false);
                starts.Add(watch.Elapsed.TotalMicroseconds);
                if (i == Starts - 1)
                {
                    // Idle as a stem cell waits in the pool, after its start-up work has settled.
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancel).ConfigureAwait(false);
                    rss = ResidentBytes(enclave.ProcessId);
                }
            }

            return (new Latencies(starts).P50, rss, Volatile.Read(ref phases));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Variable, before);
        }
    }

    /// <summary>
    /// p50 of invocations that find no stem cell (the pool keeps none): each starts an enclave, specialises it with the
    /// cached module and runs the function once.
    /// </summary>
    public static async Task<double> ColdInvocationAsync(EnclaveLaunchOptions launch, byte[] module, ProvisioningPlan plan, ModuleCacheStore cache, CancellationToken cancel)
    {
        var samples = new List<double>();
        await using var cells = new StemCellPool(launch, size: 0);
        for (var i = 0; i < Starts; i++)
        {
            var input = EnvelopeSealer.Seal(plan.Input, "cold"u8);
            await using var pool = new FunctionPool(cells, new FunctionDefinition
            {
                Module = module,
                MaxInstances = 1,
                Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
            }, cache);
            var watch = Stopwatch.StartNew();
            var outcome = await pool.InvokeAsync(input, cancel).ConfigureAwait(false);
            samples.Add(watch.Elapsed.TotalMicroseconds);
            if (outcome.Result.Status != InvocationStatus.Completed || outcome.Prewarmed)
            {
                throw new InvalidOperationException($"cold benchmark invocation: {outcome.Result.Status} (prewarmed: {outcome.Prewarmed}) {outcome.Result.Message}");
            }
        }

        return new Latencies(samples).P50;
    }

    /// <summary>VmRSS of a process, in bytes.</summary>
    private static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public static string MiB(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB";
}
