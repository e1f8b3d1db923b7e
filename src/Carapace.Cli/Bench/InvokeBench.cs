using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Platform;
using Carapace.Client;
using Carapace.Client.Deployment;
using Carapace.Client.Invocation;
using Carapace.Client.Profiles;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Cli.Bench;

/// <summary>
/// <c>carapace bench invoke</c>: end-to-end invocation over HTTPS against a running platform (<c>--data-dir</c> or
/// <c>CARAPACE_URL</c>) or one it starts itself in a temporary folder. In one run it measures a trivial action
/// (<c>hello</c> on 16 bytes) deployed twice, confidential and plaintext, and the honest baseline (the same module behind
/// the same HTTP server, run by in-process Wasmtime: <see cref="BaselineServer"/>) at each concurrency; the stem-cell
/// cold start; a 3-step chain against a single step; and, with <c>--breakdown</c> (embedded platform only), the p50 of
/// each stage of a warm confidential invocation from the platform's own spans. The last line is the
/// confidential/baseline p50 ratio: the price of confidentiality.
/// </summary>
internal sealed class InvokeBench(string examples, int n, IReadOnlyList<int> concurrencies, int coldStarts, bool breakdown, Action<string> progress)
{
    private const string Confidential = "bench-hello";
    private const string Plaintext = "bench-plain";
    private const string Chain = "bench-chain";

    public sealed record ModeResult(string Mode, int Concurrency, Latencies Latencies, double PerSecond);

    public sealed record Report(
        IReadOnlyList<ModeResult> Modes, Latencies Cold, Latencies WarmSingle, Latencies ChainLatencies, Latencies Verified, string Target)
    {
        /// <summary>With <c>--breakdown</c>: each stage's p50 over warm confidential invocations, in invocation order.</summary>
        public IReadOnlyList<(string Stage, int Depth, Latencies Latencies)>? Stages { get; init; }

        /// <summary>
        /// Warm confidential JavaScript invocations through the platform (trivial, and the CPU-bound sum loop), and the same
        /// functions in one warm Node.js process (null without Node.js).
        /// </summary>
        public JavaScriptResult? JavaScript { get; init; }

        /// <summary>Embedded platform only: how the controller store grew over the run (activations, bytes per activation).</summary>
        public StoreGrowth? Store { get; init; }
    }

    /// <summary>JavaScript through the platform against Node.js: p50s, and Node.js's version and per-call p50s (µs) when it is installed.</summary>
    public sealed record JavaScriptResult(Latencies Trivial, Latencies Loop, (string Version, double TrivialMicros, double LoopMicros)? Node);

    /// <summary>Activations recorded during the run, and the controller store's growth (live pages, without free pages) per activation.</summary>
    public sealed record StoreGrowth(long Prefilled, long Activations, double BytesPerActivation);

    /// <summary>Confidential invocations (eight at a time) run before anything is measured, so that the store is not empty (<c>--prefill</c>).</summary>
    public int Prefill { get; init; }

    private string? _storePath;

    /// <summary>Runs against the platform the profile names, or (null) against a fresh embedded one (the only one <c>--breakdown</c> can see into).</summary>
    public async Task<Report> RunAsync(PlatformProfile? profile, CancellationToken cancellationToken)
    {
        if (profile is not null)
        {
            return await RunAgainstAsync(profile, $"{profile.Gateway} (running)", cancellationToken).ConfigureAwait(false);
        }

        var directory = Path.Combine(Path.GetTempPath(), "carapace-bench-" + Guid.NewGuid().ToString("N"));
        progress($"starting an embedded platform in {directory} …");
        try
        {
            await using var platform = await EmbeddedPlatform.StartAsync(directory, IPAddress.Loopback, 0, "guest", stemCells: 2,
                NullLoggerFactory.Instance, _ => { }, cancellationToken).ConfigureAwait(false);
            _storePath = Carapace.Gateway.GatewayHost.ControllerDatabasePath(directory);
            return await RunAgainstAsync(platform.Profile, $"{platform.Profile.Gateway} (embedded, self-started)", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temporary folder.
            }
        }
    }

    private async Task<Report> RunAgainstAsync(PlatformProfile profile, string target, CancellationToken cancellationToken)
    {
        await using var client = CarapaceClient.Create(profile);
        var hello = await File.ReadAllBytesAsync(Path.Combine(examples, "hello.wasm"), cancellationToken).ConfigureAwait(false);
        await using var baseline = await BaselineServer.StartAsync(hello, concurrencies.Max(), cancellationToken).ConfigureAwait(false);
        using var baselineClient = baseline.CreateClient();
        var wordcount = await File.ReadAllBytesAsync(Path.Combine(examples, "wordcount.wasm"), cancellationToken).ConfigureAwait(false);
        var sha256 = await File.ReadAllBytesAsync(Path.Combine(examples, "sha256.wasm"), cancellationToken).ConfigureAwait(false);

        progress("deploying the benchmark actions …");
        var small = new DeployOptions { MemoryMiB = DeployOptions.MinMemoryMiB, TimeoutMs = 10_000 };
        await client.DeployAsync(Confidential, hello, small, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.DeployAsync(Plaintext, hello, new DeployOptions { MemoryMiB = small.MemoryMiB, TimeoutMs = small.TimeoutMs, Confidential = false },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.DeployAsync("bench-wc", wordcount, small, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.DeployAsync("bench-sha", sha256, small, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.CreateChainAsync(Chain, [Confidential, "bench-wc", "bench-sha"], cancellationToken).ConfigureAwait(false);

        var noVerify = new InvokeOptions { VerifyReceipts = false };
        var input = "bench: 16 bytes."u8.ToArray();

        // Warm the measured actions (their first invocations are cold) and the client's key cache.
        for (var i = 0; i < 20; i++)
        {
            await client.InvokeAsync(Confidential, input, noVerify, cancellationToken).ConfigureAwait(false);
            await PlainAsync(client, cancellationToken).ConfigureAwait(false);
            await client.InvokeAsync(Chain, input, noVerify, cancellationToken).ConfigureAwait(false);
            await BaselineServer.InvokeAsync(baselineClient, baseline.Endpoint, input, cancellationToken).ConfigureAwait(false);
        }

        long prefilled = 0;
        if (Prefill > 0)
        {
            progress($"filling the store with {Prefill} confidential activations …");
            var ignored = new List<double>();
            await MeasureAsync(Prefill, 8, ignored,
                async () => (await client.InvokeAsync(Confidential, input, noVerify, cancellationToken).ConfigureAwait(false)).Duration,
                cancellationToken).ConfigureAwait(false);
            prefilled = Prefill;
        }

        var before = StoreSize();
        var modes = new List<ModeResult>();
        foreach (var concurrency in concurrencies)
        {
            progress($"confidential, plaintext and baseline, {n} invocations each at concurrency {concurrency} …");

            // Alternate blocks of the modes so that drift of the machine affects them alike.
            var confidential = new List<double>();
            var plaintext = new List<double>();
            var direct = new List<double>();
            var confidentialTime = TimeSpan.Zero;
            var plaintextTime = TimeSpan.Zero;
            var directTime = TimeSpan.Zero;
            const int Blocks = 5;
            for (var block = 0; block < Blocks; block++)
            {
                var count = n / Blocks + (block < n % Blocks ? 1 : 0);
                confidentialTime += await MeasureAsync(count, concurrency, confidential,
                    async () => (await client.InvokeAsync(Confidential, input, noVerify, cancellationToken).ConfigureAwait(false)).Duration,
                    cancellationToken).ConfigureAwait(false);
                plaintextTime += await MeasureAsync(count, concurrency, plaintext, () => PlainAsync(client, cancellationToken), cancellationToken)
                    .ConfigureAwait(false);
                directTime += await MeasureAsync(count, concurrency, direct,
                    () => BaselineServer.InvokeAsync(baselineClient, baseline.Endpoint, input, cancellationToken), cancellationToken).ConfigureAwait(false);
            }

            modes.Add(new ModeResult("confidential", concurrency, new Latencies(confidential), n / confidentialTime.TotalSeconds));
            modes.Add(new ModeResult("plaintext", concurrency, new Latencies(plaintext), n / plaintextTime.TotalSeconds));
            modes.Add(new ModeResult("baseline", concurrency, new Latencies(direct), n / directTime.TotalSeconds));
        }

        // After the timed modes, so that collecting spans does not weigh on them: one invocation at a time.
        IReadOnlyList<(string, int, Latencies)>? stages = null;
        if (breakdown)
        {
            progress($"the stages of {n} warm confidential invocations, from the platform's spans …");
            using var collector = new StageBreakdown();
            for (var i = 0; i < n; i++)
            {
                collector.AddClient((await client.InvokeAsync(Confidential, input, noVerify, cancellationToken).ConfigureAwait(false)).Duration.TotalMicroseconds);
            }

            await collector.SettleAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            stages = collector.Report();
        }

        progress("3-step chain against a single step, and receipt verification …");
        var chainRuns = Math.Max(20, n / 2);
        var single = new List<double>();
        var chain = new List<double>();
        var verified = new List<double>();
        for (var i = 0; i < chainRuns; i++)
        {
            single.Add((await client.InvokeAsync(Confidential, input, noVerify, cancellationToken).ConfigureAwait(false)).Duration.TotalMicroseconds);
            chain.Add((await client.InvokeAsync(Chain, input, noVerify, cancellationToken).ConfigureAwait(false)).Duration.TotalMicroseconds);
            verified.Add((await client.InvokeAsync(Confidential, input, cancellationToken: cancellationToken).ConfigureAwait(false)).Duration.TotalMicroseconds);
        }

        var javaScript = await JavaScriptAsync(client, small, chainRuns, cancellationToken).ConfigureAwait(false);

        // Cold starts, last (each consumes a stem cell whose background refill would disturb warm measurements): each a fresh deployment (another environment value, so another version and measurement), whose
        // first invocation specialises a prewarmed stem cell; compared with the warm invocations that follow.
        progress($"cold starts ({coldStarts}) …");
        var cold = new List<double>();
        var warmAfterCold = new List<double>();
        for (var i = 0; i < coldStarts; i++)
        {
            var options = new DeployOptions
            {
                MemoryMiB = small.MemoryMiB,
                TimeoutMs = small.TimeoutMs,
                Env = new Dictionary<string, string> { ["BENCH_RUN"] = i.ToString(CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..8] },
            };
            await client.DeployAsync("bench-cold", hello, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            var first = await client.InvokeAsync("bench-cold", input, noVerify, cancellationToken).ConfigureAwait(false);
            cold.Add(first.Duration.TotalMicroseconds);
            for (var w = 0; w < 5; w++)
            {
                var warm = await client.InvokeAsync("bench-cold", input, noVerify, cancellationToken).ConfigureAwait(false);
                warmAfterCold.Add(warm.Duration.TotalMicroseconds);
            }
        }

        var after = StoreSize();
        return new Report(modes, new Latencies(cold), new Latencies(warmAfterCold.Concat(single)), new Latencies(chain), new Latencies(verified), target)
        {
            Stages = stages,
            JavaScript = javaScript,
            Store = before is { } b && after is { } a && a.Activations > b.Activations
                ? new StoreGrowth(prefilled, a.Activations, (double)(a.Bytes - b.Bytes) / (a.Activations - b.Activations))
                : null,
        };
    }

    /// <summary>
    /// Confidential JavaScript actions (deployed with the SDK as <c>nodejs:default</c>): <paramref name="runs"/> warm
    /// trivial invocations and <see cref="JavaScriptBench.CpuRuns"/> of the sum loop, one at a time, then the same
    /// functions under Node.js when it is installed.
    /// </summary>
    private async Task<JavaScriptResult> JavaScriptAsync(CarapaceClient client, DeployOptions small, int runs, CancellationToken cancellationToken)
    {
        progress("JavaScript: a trivial and a CPU-bound action, and the same under Node.js …");
        var js = new DeployOptions { MemoryMiB = small.MemoryMiB, TimeoutMs = small.TimeoutMs, Kind = "nodejs:default" };
        await client.DeployAsync("bench-js", Encoding.UTF8.GetBytes(JavaScriptBench.Trivial), js, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.DeployAsync("bench-js-loop", Encoding.UTF8.GetBytes(JavaScriptBench.CpuBound), js, cancellationToken: cancellationToken).ConfigureAwait(false);
        var noVerify = new InvokeOptions { VerifyReceipts = false };
        var hello = Encoding.UTF8.GetBytes("{\"name\":\"Ada\"}");
        var loop = Encoding.UTF8.GetBytes("{\"n\":" + JavaScriptBench.Loop.ToString(CultureInfo.InvariantCulture) + "}");
        for (var i = 0; i < 5; i++)
        {
            await client.InvokeAsync("bench-js", hello, noVerify, cancellationToken).ConfigureAwait(false);
        }

        await client.InvokeAsync("bench-js-loop", loop, noVerify, cancellationToken).ConfigureAwait(false);
        var trivial = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            trivial.Add((await client.InvokeAsync("bench-js", hello, noVerify, cancellationToken).ConfigureAwait(false)).Duration.TotalMicroseconds);
        }

        var loops = new List<double>();
        for (var i = 0; i < JavaScriptBench.CpuRuns; i++)
        {
            loops.Add((await client.InvokeAsync("bench-js-loop", loop, noVerify, cancellationToken).ConfigureAwait(false)).Duration.TotalMicroseconds);
        }

        (string, double, double)? node = null;
        if (File.Exists(JavaScriptBench.NodePath))
        {
            var home = Directory.CreateTempSubdirectory("carapace-bench-node-").FullName;
            try
            {
                node = await JavaScriptBench.RunNodeAsync(home, runs, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Directory.Delete(home, recursive: true);
            }
        }

        return new JavaScriptResult(new Latencies(trivial), new Latencies(loops), node);
    }

    /// <summary>The embedded controller store's activations and live bytes (pages in use, WAL included), or null for a running platform.</summary>
    private (long Activations, long Bytes)? StoreSize()
    {
        if (_storePath is null)
        {
            return null;
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = _storePath,
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        long Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        }

        return (Scalar("SELECT count(*) FROM activations"),
            (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * Scalar("PRAGMA page_size"));
    }

    private static async Task<TimeSpan> MeasureAsync(int count, int concurrency, List<double> into, Func<Task<TimeSpan>> invoke, CancellationToken cancellationToken)
    {
        var next = -1;
        var results = new double[count];
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(concurrency, Math.Max(1, count))).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results[i] = (await invoke().ConfigureAwait(false)).TotalMicroseconds;
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        var elapsed = watch.Elapsed;
        lock (into)
        {
            into.AddRange(results);
        }

        return elapsed;
    }

    /// <summary>One plaintext invocation: OpenWhisk's JSON in and out, timed like the client times confidential ones.</summary>
    private static async Task<TimeSpan> PlainAsync(CarapaceClient client, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var body = new StringContent("{\"text\":\"bench: 16 bytes\"}", Encoding.UTF8, "application/json");
        var response = await client.Gateway.InvokeAsync(Plaintext, body, blocking: true, result: true, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw new CliFailure($"the plaintext benchmark action failed with {(int)response.StatusCode}: {Encoding.UTF8.GetString(response.Body)}", ExitCodes.Rejected);
        }

        return watch.Elapsed;
    }
}
