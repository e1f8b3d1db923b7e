using System.Collections.Concurrent;
using System.Text;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Worker.Tests;

public sealed class PoolTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Two_hundred_sequential_and_thirty_two_concurrent_invocations_all_answer_correctly()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "hello" });
        await using var cells = new StemCellPool(_h.Launch, size: 2);
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(module, plan, maxInstances: 4, maxInvocations: 50), _h.Cache);

        for (var i = 0; i < 200; i++)
        {
            var run = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, Encoding.UTF8.GetBytes($"seq {i}"))), plan);
            Assert.Equal($"SEQ {i}", run.OutputText);
        }

        var answers = new ConcurrentDictionary<int, string>();
        await Parallel.ForAsync(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var run = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, Encoding.UTF8.GetBytes($"par {i}")), ct), plan);
            Assert.True(answers.TryAdd(i, run.OutputText));
        });

        Assert.Equal(32, answers.Count);
        Assert.All(answers, a => Assert.Equal($"PAR {a.Key}", a.Value));
        Assert.True(pool.Specializations >= 4, "recycling after 50 invocations needs at least 4 specialisations for 200");
    }

    [Fact]
    public async Task A_prewarmed_stem_cell_serves_the_first_invocation()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "hello" });
        await using var cells = new StemCellPool(_h.Launch, size: 1);
        Assert.True(await cells.WaitUntilFullAsync(TimeSpan.FromSeconds(60)));
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(module, plan), _h.Cache);

        var first = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "a"u8));
        var second = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "b"u8));

        Assert.True(first.ColdStart);
        Assert.True(first.Prewarmed);
        Assert.False(second.ColdStart);
        Assert.Equal(first.EnclaveProcessId, second.EnclaveProcessId);
    }

    [Fact]
    public async Task A_crash_fails_only_its_invocation_and_the_pool_recovers()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("spin"));
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "spin", TimeoutMilliseconds = 30_000 });
        await using var cells = new StemCellPool(_h.Launch, size: 0);
        var provisioned = new TaskCompletionSource<int>();
        var definition = new FunctionDefinition
        {
            Module = module,
            MaxInstances = 1,
            Provision = (ready, _) =>
            {
                provisioned.TrySetResult(ready.ProcessId);
                return Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready));
            },
        };
        await using var pool = new FunctionPool(cells, definition, _h.Cache);

        var running = pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "x"u8));
        var pid = await provisioned.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the function start spinning
        System.Diagnostics.Process.GetProcessById(pid).Kill();

        var error = await Assert.ThrowsAsync<EnclaveException>(() => running);
        Assert.True(error.EnclaveLost);

        using var helloPlan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var helloPool = new FunctionPool(cells, WorkerHarness.Definition(hello, helloPlan), _h.Cache);
        var run = RunResult.Open(await helloPool.InvokeAsync(EnvelopeSealer.Seal(helloPlan.Input, "ok"u8)), helloPlan);
        Assert.Equal("OK", run.OutputText);
    }

    [Fact]
    public async Task A_tampered_or_replayed_input_is_rejected_before_the_function_runs()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "hello" });
        await using var cells = new StemCellPool(_h.Launch, size: 0);
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(module, plan, maxInstances: 1), _h.Cache);
        var input = EnvelopeSealer.Seal(plan.Input, "once"u8);
        var tampered = input.ToArray();
        tampered[^3] ^= 1;

        var bad = await pool.InvokeAsync(tampered);
        var good = await pool.InvokeAsync(input);
        var replay = await pool.InvokeAsync(input);

        Assert.Equal(InvocationStatus.InputRejected, bad.Result.Status);
        Assert.Contains("authentication failed", bad.Result.Message, StringComparison.Ordinal);
        Assert.Equal(InputRejectionReason.Inauthentic, bad.Result.Reason);
        Assert.Equal(InvocationStatus.Completed, good.Result.Status);
        Assert.Null(good.Result.Reason);
        Assert.Equal(InvocationStatus.InputRejected, replay.Result.Status);
        Assert.Contains("replay", replay.Result.Message, StringComparison.Ordinal);
        Assert.Equal(InputRejectionReason.Replay, replay.Result.Reason);
    }

    [Fact]
    public async Task Inputs_that_do_not_open_are_refused_with_a_reason_that_leaves_the_request_id_unused()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "hello", MaxInputBytes = 1024 });
        using var other = ProvisioningPlan.Create(module, new FunctionManifest { Name = "hello" });
        await using var cells = new StemCellPool(_h.Launch, size: 0);
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(module, plan, maxInstances: 1), _h.Cache);
        var requestId = Carapace.Envelope.Format.RequestId.New();
        var tooLarge = EnvelopeSealer.Seal(plan.Input, new byte[4096], new SealOptions { RequestId = requestId });

        var garbage = await pool.InvokeAsync(new byte[64]);
        var oversized = await pool.InvokeAsync(tooLarge);
        var wrongKey = await pool.InvokeAsync(EnvelopeSealer.Seal(other.Input, "x"u8));
        var sameIdFits = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "fits"u8, new SealOptions { RequestId = requestId }));

        Assert.Equal(InputRejectionReason.Inauthentic, garbage.Result.Reason);
        Assert.Equal(InputRejectionReason.TooLarge, oversized.Result.Reason);
        Assert.Contains("exceeds the limit of 1024 bytes", oversized.Result.Message, StringComparison.Ordinal);
        Assert.Equal(InputRejectionReason.KeyUnavailable, wrongKey.Result.Reason);
        Assert.All([garbage, oversized, wrongKey], o => Assert.Equal(InvocationStatus.InputRejected, o.Result.Status));

        // The oversized input did not use up its request id in the enclave: a well-formed input with the same id runs.
        Assert.Equal(InvocationStatus.Completed, sameIdFits.Result.Status);
        Assert.Equal(garbage.EnclaveProcessId, sameIdFits.EnclaveProcessId);
    }
}
