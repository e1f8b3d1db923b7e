using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Bench;

/// <summary>
/// <c>carapace bench runtime</c>: measures, in one run, native enclave process start and idle memory (next to the JIT
/// build's), a cold invocation with no stem cell, stem-cell specialisation, warm
/// invocation latency through the worker, compile vs cache-hit load, the same work in-process without an enclave,
/// the host-call rate of Carapace's WASI against Wasmtime's built-in WASI, and the speed of the file shield
/// (<see cref="FileShieldBench"/>), and JavaScript functions against Node.js (<see cref="JavaScriptBench"/>). With
/// <paramref name="only"/> <c>files</c> or <c>js</c> only that section is measured.
/// </summary>
internal sealed class RuntimeBench(string examples, int invocations, FileShieldBench.Settings shield, string? only, Action<string> progress)
{
    /// <summary>Specialisations timed (each waits for a refilled pool, about one enclave start).</summary>
    private const int Specialisations = 11;

    /// <summary>Runs of one kind in a row when the worker and the in-process baseline alternate.</summary>
    private const int Block = 10;

    private readonly List<(string Name, string Value)> _lines = [];

    public IReadOnlyList<(string Name, string Value)> Lines => _lines;

    public async Task RunAsync(CancellationToken cancel)
    {
        var home = Path.Combine(Path.GetTempPath(), "carapace-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            var launch = new EnclaveLaunchOptions { PlatformKeyPath = Path.Combine(home, "platform.key") };
            var cache = new ModuleCacheStore(Path.Combine(home, "cache"));
            if (only is null)
            {
                await RunEnclaveAsync(launch, cache, home, cancel).ConfigureAwait(false);
            }

            if (only is null or "js")
            {
                var js = new JavaScriptBench(invocations, progress);
                await js.RunAsync(launch, cache, home, cancel).ConfigureAwait(false);
                _lines.AddRange(js.Lines);
            }

            if (only == "js")
            {
                return;
            }

            var files = new FileShieldBench(examples, shield, progress);
            await files.RunAsync(launch, cache, home, cancel).ConfigureAwait(false);
            _lines.AddRange(files.Lines);
        }
        finally
        {
            try
            {
                Directory.Delete(home, recursive: true);
            }
            catch (IOException)
            {
                // An exiting enclave may still hold a file; the temp cleaner gets it.
            }
        }
    }

    private async Task RunEnclaveAsync(EnclaveLaunchOptions launch, ModuleCacheStore cache, string home, CancellationToken cancel)
    {
        var hello = await File.ReadAllBytesAsync(Path.Combine(examples, "hello.wasm"), cancel).ConfigureAwait(false);
        var sha = await File.ReadAllBytesAsync(Path.Combine(examples, "sha256.wasm"), cancel).ConfigureAwait(false);
        var hostcall = await File.ReadAllBytesAsync(Path.Combine(examples, "hostcall.wasm"), cancel).ConfigureAwait(false);
        progress("enclave process start (native)");
        var (start, rss, phases) = await EnclaveStartBench.StartAndMemoryAsync(launch, cancel).ConfigureAwait(false);
        Add("enclave process cold start (spawn → ready), p50", Ms(start));
        if (phases is not null)
        {
            Add("  where the last start went (the enclave's own timings)", phases);
        }

        Add("idle stem cell, resident memory", EnclaveStartBench.MiB(rss));

        // The JIT build of the same program, for comparison (it ships beside the CLI; the platform never runs it).
        var jit = Path.Combine(AppContext.BaseDirectory, "Carapace.Enclave.dll");
        if (File.Exists(jit))
        {
            progress("enclave process start (JIT, for comparison)");
            var (jitStart, jitRss, _) = await EnclaveStartBench.StartAndMemoryAsync(
                new EnclaveLaunchOptions { EnclavePath = jit, PlatformKeyPath = launch.PlatformKeyPath }, cancel).ConfigureAwait(false);
            Add("  JIT build of the enclave: spawn → ready, p50", Ms(jitStart));
            Add("  JIT build of the enclave: idle resident memory", EnclaveStartBench.MiB(jitRss));
        }

        using var plan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var cells = new StemCellPool(launch, size: 2);
        progress("compile (first load)");
        var compile = await SpecializeOnceAsync(cells, hello, plan, cache, cancel).ConfigureAwait(false);
        Add("module load: compile (first time)", Ms(compile.LoadMicros));

        progress("stem-cell specialisation");
        var specialise = new List<double>();
        var loads = new List<double>();
        for (var i = 0; i < Specialisations; i++)
        {
            await cells.WaitUntilFullAsync(TimeSpan.FromSeconds(60), cancel).ConfigureAwait(false);
            var s = await SpecializeOnceAsync(cells, hello, plan, cache, cancel).ConfigureAwait(false);
            specialise.Add(s.TotalMicros);
            loads.Add(s.LoadMicros);
        }

        var specialiseP50 = new Latencies(specialise).P50;
        Add("module load: cache hit (authenticated deserialize)", Ms(new Latencies(loads).P50));
        Add("stem-cell specialisation + first run (cached module), p50", Ms(specialiseP50));

        progress("cold invocation (no stem cell)");
        Add("cold invocation, no stem cell (spawn + specialise cached module + run), p50",
            Ms(await EnclaveStartBench.ColdInvocationAsync(launch, hello, plan, cache, cancel).ConfigureAwait(false)));

        progress("warm invocations");
        await using var pool = new FunctionPool(cells, Definition(hello, plan), cache);
        using var direct = new DirectRunner(hello);
        var (warm, warmInside, directWarm) = await TimeAsync(cells, invocations, () => EnvelopeSealer.Seal(plan.Input, "hello"u8),
            sealedInput => pool.InvokeAsync(sealedInput, cancel), () => direct.Run("hello"u8.ToArray()), cancel).ConfigureAwait(false);
        Add("trivial invocation through the worker, p50 / p99", $"{Us(warm.P50)} / {Us(warm.P99)}");
        Add("  of which the guest run inside the enclave, p50", Us(warmInside.P50));
        Add("trivial invocation in-process (no enclave), p50 / p99", $"{Us(directWarm.P50)} / {Us(directWarm.P99)}");

        progress("sha256 of 1 MiB");
        var mib = RandomNumberGenerator.GetBytes(1 << 20);
        using var shaPlan = ProvisioningPlan.Create(sha, new FunctionManifest { Name = "sha256" });
        await using var shaPool = new FunctionPool(cells, Definition(sha, shaPlan), cache);
        using var shaDirect = new DirectRunner(sha);
        var (shaEnclave, shaInside, shaInProcess) = await TimeAsync(cells, 30, () => EnvelopeSealer.Seal(shaPlan.Input, mib),
            sealedInput => shaPool.InvokeAsync(sealedInput, cancel), () => shaDirect.Run(mib), cancel).ConfigureAwait(false);
        Add("sha256 of 1 MiB through the worker, p50", Ms(shaEnclave.P50));
        Add("  of which the guest run inside the enclave, p50", Ms(shaInside.P50));
        Add("sha256 of 1 MiB in-process, p50", Ms(shaInProcess.P50));

        progress("host calls");
        const int Calls = 200_000;
        using var callPlan = ProvisioningPlan.Create(hostcall, new FunctionManifest { Name = "hostcall", Arguments = [Calls.ToString(CultureInfo.InvariantCulture)], MaxOutputBytes = 1 << 20 });
        await using var callPool = new FunctionPool(cells, Definition(hostcall, callPlan), cache);
        var enclaveCalls = (await callPool.InvokeAsync(EnvelopeSealer.Seal(callPlan.Input, []), cancel).ConfigureAwait(false)).Result.Usage.WallMicroseconds;
        using var callDirect = new DirectRunner(hostcall);
        var ownCalls = callDirect.Run(ReadOnlyMemory<byte>.Empty, [Calls.ToString(CultureInfo.InvariantCulture)]).Micros;
        var builtinCalls = DirectRunner.RunBuiltinWasi(hostcall, [Calls.ToString(CultureInfo.InvariantCulture)], Path.Combine(home, "builtin-stdout"));
        Add("host-call rate (fd_write of 1 byte) in the enclave", Rate(Calls, enclaveCalls));
        Add("host-call rate, Carapace WASI in-process", Rate(Calls, ownCalls));
        Add("host-call rate, Wasmtime built-in WASI in-process", Rate(Calls, builtinCalls));

        Add("ratio enclave/in-process trivial p50", Ratio(warm.P50 / directWarm.P50));
        Add("ratio enclave/in-process sha256 1MiB p50", Ratio(shaEnclave.P50 / shaInProcess.P50));
        Add("ratio host-call rate enclave/built-in WASI", Ratio(builtinCalls / enclaveCalls));
        Add("stem-cell specialisation + first run (ms)", (specialiseP50 / 1000).ToString("F2", CultureInfo.InvariantCulture));
    }

    private static FunctionDefinition Definition(byte[] module, ProvisioningPlan plan) => new()
    {
        Module = module,
        MaxInstances = 1,
        Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
    };

    private static async Task<(double TotalMicros, double LoadMicros)> SpecializeOnceAsync(
        StemCellPool cells, byte[] module, ProvisioningPlan plan, ModuleCacheStore cache, CancellationToken cancel)
    {
        long load = 0;
        var definition = new FunctionDefinition
        {
            Module = module,
            MaxInstances = 1,
            Provision = (ready, _) => Task.FromResult<IProvisioningSession>(new LoadSpy(plan.ProvisionFor(ready), micros => load = micros)),
        };
        await using var pool = new FunctionPool(cells, definition, cache);
        var input = EnvelopeSealer.Seal(plan.Input, "x"u8);
        var watch = Stopwatch.StartNew();
        var outcome = await pool.InvokeAsync(input, cancel).ConfigureAwait(false);
        var total = watch.Elapsed.TotalMicroseconds;
        if (outcome.Result.Status != InvocationStatus.Completed)
        {
            throw new InvalidOperationException("benchmark function failed: " + outcome.Result.Message);
        }

        return (total, load);
    }

    /// <summary>
    /// Times <paramref name="n"/> invocations through the worker and <paramref name="n"/> runs of the in-process
    /// baseline in alternating blocks of <see cref="Block"/>, so both see the same machine (this one's speed changes
    /// from minute to minute) while each block runs back to back, as a busy function does; also returns the enclave's
    /// own wall time for each invocation. The inputs are sealed before the clock starts: sealing is the client's
    /// work, and the in-process baseline has none. The clock also waits for the stem-cell pool to have replaced the
    /// cell the warm-up specialised: a refill is an enclave start, a few hundred milliseconds of CPU that would
    /// otherwise share the cores with what is timed.
    /// </summary>
    private static async Task<(Latencies Total, Latencies Inside, Latencies Direct)> TimeAsync(StemCellPool cells, int n, Func<byte[]> seal,
        Func<ReadOnlyMemory<byte>, Task<InvocationOutcome>> action, Func<(double Micros, int Output)> direct, CancellationToken cancel)
    {
        var warmUps = Math.Min(20, n);
        var inputs = new Queue<byte[]>(Enumerable.Range(0, warmUps + n).Select(_ => seal()));
        for (var i = 0; i < warmUps; i++)
        {
            await action(inputs.Dequeue()).ConfigureAwait(false);
            direct();
        }

        await cells.WaitUntilFullAsync(TimeSpan.FromSeconds(60), cancel).ConfigureAwait(false);
        var samples = new List<double>(n);
        var inside = new List<double>(n);
        var baseline = new List<double>(n);
        while (samples.Count < n)
        {
            var block = Math.Min(Block, n - samples.Count);
            for (var i = 0; i < block; i++)
            {
                var watch = Stopwatch.StartNew();
                var outcome = await action(inputs.Dequeue()).ConfigureAwait(false);
                samples.Add(watch.Elapsed.TotalMicroseconds);
                inside.Add(outcome.Result.Usage.WallMicroseconds);
                if (outcome.Result.Status != InvocationStatus.Completed)
                {
                    throw new InvalidOperationException("benchmark function failed: " + outcome.Result.Message);
                }
            }

            for (var i = 0; i < block; i++)
            {
                baseline.Add(direct().Micros);
            }
        }

        return (new Latencies(samples), new Latencies(inside), new Latencies(baseline));
    }

    private void Add(string name, string value) => _lines.Add((name, value));

    private static string Ms(double micros) => (micros / 1000).ToString("F2", CultureInfo.InvariantCulture) + " ms";

    private static string Us(double micros) => micros.ToString("F0", CultureInfo.InvariantCulture) + " µs";

    private static string Rate(int calls, double micros) => (calls / (micros / 1e6) / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M calls/s";

    private static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture);
}
