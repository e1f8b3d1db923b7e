using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Bench;

/// <summary>
/// The JavaScript section of <c>carapace bench runtime</c>: the JavaScript enclave's spawn → ready and idle memory,
/// then a warm trivial action and a CPU-bound one (a hash-like sum loop) through the worker, against the very same
/// functions run warm in one Node.js process on this machine (when <c>node</c> is installed), with the load average.
/// </summary>
internal sealed class JavaScriptBench(int invocations, Action<string> progress)
{
    /// <summary>Iterations of the CPU-bound loop.</summary>
    public const int Loop = 1_000_000;

    /// <summary>Runs of the CPU-bound function timed (each a warm invocation).</summary>
    public const int CpuRuns = 7;

    /// <summary>Where Debian's Node.js is; the comparison is skipped without it.</summary>
    public const string NodePath = "/usr/bin/node";

    /// <summary>The trivial action: OpenWhisk's hello.</summary>
    public const string Trivial = "function main(params) { return { payload: 'Hello, ' + (params.name || 'World') + '!' }; }\n";

    /// <summary>The CPU-bound action: a hash-like sum over <c>params.n</c> integers.</summary>
    public const string CpuBound = """
        function main(params) {
          let h = 0;
          for (let i = 0; i < params.n; i++) { h = (Math.imul(h, 31) + i) | 0; }
          return { h };
        }

        """;

    private readonly List<(string Name, string Value)> _lines = [];

    public IReadOnlyList<(string Name, string Value)> Lines => _lines;

    public async Task RunAsync(EnclaveLaunchOptions launch, ModuleCacheStore cache, string home, CancellationToken cancel)
    {
        var js = launch with { EnclavePath = EnclaveLaunchOptions.JavaScriptEnclaveBeside(launch.EnclavePath) };
        if (!File.Exists(js.EnclavePath))
        {
            Add("JavaScript enclave", $"not built ({js.EnclavePath} is missing)");
            return;
        }

        Add("load average (1, 5, 15 min) before the JavaScript section", LoadAverage());
        progress("JavaScript enclave process start");
        var (start, rss, _) = await EnclaveStartBench.StartAndMemoryAsync(js, cancel).ConfigureAwait(false);
        Add("JavaScript enclave cold start (spawn → ready), p50", Ms(start));
        Add("JavaScript idle stem cell, resident memory", EnclaveStartBench.MiB(rss));

        await using var cells = new StemCellPool(js, size: 2);
        progress("JavaScript warm invocations");
        var (trivialTotal, trivialInside) = await TimeAsync(cells, cache, "js-trivial", Trivial, """{"name":"Ada"}"""u8.ToArray(), invocations, cancel)
            .ConfigureAwait(false);
        Add("JavaScript trivial invocation through the worker, p50 / p99", $"{Us(trivialTotal.P50)} / {Us(trivialTotal.P99)}");
        Add("  of which the run inside the enclave (fresh realm, run, collection), p50", Us(trivialInside.P50));

        progress("JavaScript CPU-bound invocations");
        var loopInput = Encoding.UTF8.GetBytes($$"""{"n":{{Loop}}}""");
        var (cpuTotal, cpuInside) = await TimeAsync(cells, cache, "js-loop", CpuBound, loopInput, CpuRuns, cancel).ConfigureAwait(false);
        Add($"JavaScript hash-like sum loop of {Loop:N0} through the worker, p50", Ms(cpuTotal.P50));
        Add("  of which the run inside the enclave, p50", Ms(cpuInside.P50));

        if (!File.Exists(NodePath))
        {
            Add("the same functions under Node.js", $"not measured ({NodePath} is missing)");
            return;
        }

        progress("the same functions under Node.js");
        var node = await RunNodeAsync(home, invocations, cancel).ConfigureAwait(false);
        Add($"the same under Node.js {node.Version} (one warm process), trivial call p50", Us(node.TrivialMicros));
        Add($"the same under Node.js, sum loop of {Loop:N0} p50", Ms(node.LoopMicros));
        Add("ratio enclave run/Node.js, trivial", Ratio(trivialInside.P50 / node.TrivialMicros));
        Add("ratio enclave run/Node.js, sum loop", Ratio(cpuInside.P50 / node.LoopMicros));
        Add("load average (1, 5, 15 min) after the JavaScript section", LoadAverage());
    }

    /// <summary>Times <paramref name="n"/> warm invocations of <paramref name="source"/> (after a few untimed ones): through the worker, and inside the enclave.</summary>
    private static async Task<(Latencies Total, Latencies Inside)> TimeAsync(StemCellPool cells, ModuleCacheStore cache, string name, string source,
        byte[] input, int n, CancellationToken cancel)
    {
        var code = Encoding.UTF8.GetBytes(source);
        using var plan = ProvisioningPlan.Create(code, new FunctionManifest { Name = name, JavaScriptMain = "main", TimeoutMilliseconds = 60_000 });
        var definition = new FunctionDefinition
        {
            Module = code,
            MaxInstances = 1,
            Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
        };
        await using var pool = new FunctionPool(cells, definition, cache);
        for (var i = 0; i < Math.Min(5, n); i++)
        {
            Check(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, input), cancel).ConfigureAwait(false));
        }

        // The refill after the first specialisation is an enclave start: not while timing.
        await cells.WaitUntilFullAsync(TimeSpan.FromSeconds(60), cancel).ConfigureAwait(false);
        var inputs = Enumerable.Range(0, n).Select(_ => EnvelopeSealer.Seal(plan.Input, input)).ToList();
        var total = new List<double>(n);
        var inside = new List<double>(n);
        foreach (var sealedInput in inputs)
        {
            var watch = Stopwatch.StartNew();
            var outcome = await pool.InvokeAsync(sealedInput, cancel).ConfigureAwait(false);
            total.Add(watch.Elapsed.TotalMicroseconds);
            Check(outcome);
            inside.Add(outcome.Result.Usage.WallMicroseconds);
        }

        return (new Latencies(total), new Latencies(inside));
    }

    private static void Check(InvocationOutcome outcome)
    {
        if (outcome.Result.Status != InvocationStatus.Completed || outcome.Result.ExitCode != 0)
        {
            throw new InvalidOperationException("benchmark function failed: " + outcome.Result.Message);
        }
    }

    /// <summary>
    /// Runs both functions in one Node.js process: the input parsed and the result serialised each call, as the
    /// enclave does, the first calls untimed (V8 optimises hot code), then the p50 of each.
    /// </summary>
    public static async Task<(string Version, double TrivialMicros, double LoopMicros)> RunNodeAsync(string home, int n, CancellationToken cancel)
    {
        var script = Path.Combine(home, "node-bench.js");
        await File.WriteAllTextAsync(script, $$"""
            const trivial = (function () { {{Trivial}} return main; })();
            const loop = (function () { {{CpuBound}} return main; })();
            async function time(fn, input, runs) {
              const samples = [];
              for (let i = 0; i < 5 + runs; i++) {
                const t = process.hrtime.bigint();
                JSON.stringify(await fn(JSON.parse(input)));
                if (i >= 5) samples.push(Number(process.hrtime.bigint() - t) / 1000);
              }
              samples.sort((a, b) => a - b);
              return samples[Math.floor(samples.length / 2)];
            }
            (async () => {
              const t = await time(trivial, '{"name":"Ada"}', {{n}});
              const l = await time(loop, '{"n":{{Loop}}}', {{CpuRuns}});
              console.log(JSON.stringify({ version: process.version, trivial: t, loop: l }));
            })();
            """, cancel).ConfigureAwait(false);
        var start = new ProcessStartInfo(NodePath, [script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + NodePath);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{NodePath} failed (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync(cancel).ConfigureAwait(false)}");
        }

        using var result = JsonDocument.Parse(output);
        var root = result.RootElement;
        return (root.GetProperty("version").GetString() ?? "?", root.GetProperty("trivial").GetDouble(), root.GetProperty("loop").GetDouble());
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private void Add(string name, string value) => _lines.Add((name, value));

    private static string Ms(double micros) => (micros / 1000).ToString("F2", CultureInfo.InvariantCulture) + " ms";

    private static string Us(double micros) => micros.ToString(micros < 100 ? "F1" : "F0", CultureInfo.InvariantCulture) + " µs";

    private static string Ratio(double r) => r.ToString("F1", CultureInfo.InvariantCulture);
}
