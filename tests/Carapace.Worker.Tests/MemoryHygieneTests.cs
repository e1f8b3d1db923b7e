using System.Text;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Pools;

namespace Carapace.Worker.Tests;

public sealed class MemoryHygieneTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task After_an_invocation_its_data_is_nowhere_in_the_enclave_and_the_next_invocation_cannot_see_it()
    {
        var marker = "CARAPACE-MARKER-" + Guid.NewGuid().ToString("N");
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("marker"));
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "marker" });
        await using var cells = new StemCellPool(_h.Launch, size: 0);
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(module, plan, maxInstances: 1), _h.Cache);

        var write = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, Encoding.ASCII.GetBytes("write:" + marker))), plan);
        Assert.Equal("written\n", write.OutputText);

        // The scanner itself is a good test of its power: it must find a marker that is there.
        Assert.NotEmpty(ProcessMemory.Find(Environment.ProcessId, Encoding.ASCII.GetBytes(marker)));
        var inEnclave = ProcessMemory.Find(write.Outcome.EnclaveProcessId, Encoding.ASCII.GetBytes(marker));
        Assert.True(inEnclave.Count == 0, "marker found in the enclave's memory after release: " + string.Join(", ", inEnclave));

        var probe = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, Encoding.ASCII.GetBytes("probe:" + marker))), plan);
        Assert.Equal(write.Outcome.EnclaveProcessId, probe.Outcome.EnclaveProcessId);
        Assert.Equal("clean\n", probe.OutputText);
        Assert.Equal(0, probe.Result.ExitCode);
    }
}
