using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Worker.Tests;

/// <summary>Real enclave processes for tests: launch options with a per-test platform key and cache, and one-call runs.</summary>
internal sealed class WorkerHarness : IDisposable
{
    public WorkerHarness()
    {
        Directory.CreateDirectory(Root);
        Launch = new EnclaveLaunchOptions
        {
            PlatformKeyPath = Path.Combine(Root, "platform.key"),
            Diagnostics = (pid, line) => Diagnostics.Add($"{pid}: {line}"),
        };
        Cache = new ModuleCacheStore(Path.Combine(Root, "cache"));
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "carapace-worker-" + Guid.NewGuid().ToString("N"));

    public EnclaveLaunchOptions Launch { get; }

    public ModuleCacheStore Cache { get; }

    public List<string> Diagnostics { get; } = [];

    public static FunctionDefinition Definition(byte[] module, ProvisioningPlan plan, int maxInstances = 2, int maxInvocations = 1000) => new()
    {
        Module = module,
        Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
        MaxInstances = maxInstances,
        MaxInvocationsPerEnclave = maxInvocations,
    };

    /// <summary>Runs an example once in a fresh enclave and opens its output and log.</summary>
    public async Task<RunResult> RunOnceAsync(string example, byte[] input, FunctionManifest? manifest = null)
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example(example));
        manifest ??= new FunctionManifest { Name = example };
        using var plan = ProvisioningPlan.Create(module, manifest);
        await using var cells = new StemCellPool(Launch, size: 0);
        await using var pool = new FunctionPool(cells, Definition(module, plan), Cache);
        var outcome = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, input));
        return RunResult.Open(outcome, plan);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A still-exiting enclave may hold a file for a moment; the OS temp cleaner gets it.
        }
    }
}

/// <summary>An invocation's result with its output and log opened by the client.</summary>
internal sealed record RunResult(ResultMessage Result, byte[] Output, string Log, InvocationOutcome Outcome)
{
    public static RunResult Open(InvocationOutcome outcome, ProvisioningPlan plan)
    {
        var r = outcome.Result;
        byte[] output = [];
        if (!r.Output.IsEmpty)
        {
            using var o = EnvelopeOpener.Open(plan.Output, r.Output.Span);
            output = o.Payload.ToArray();
        }

        var log = string.Empty;
        if (!r.Log.IsEmpty)
        {
            using var l = EnvelopeOpener.Open(plan.Log, r.Log.Span);
            log = System.Text.Encoding.UTF8.GetString(l.Payload.Span);
        }

        return new RunResult(r, output, log, outcome);
    }

    public string OutputText => System.Text.Encoding.UTF8.GetString(Output);
}
