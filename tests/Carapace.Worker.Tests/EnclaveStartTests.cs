using Carapace.Enclave.Functions;
using Carapace.Worker.Enclaves;

namespace Carapace.Worker.Tests;

public sealed class EnclaveStartTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task An_enclave_announces_simulation_its_session_key_and_the_runtime_identity()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);

        Assert.True(enclave.Ready.Simulation);
        Assert.Equal(65, enclave.Ready.SessionPublicKey.Length);
        Assert.Equal(0x04, enclave.Ready.SessionPublicKey.Span[0]);
        Assert.Equal(RuntimeIdentity.Compute(AppContext.BaseDirectory), enclave.Ready.RuntimeIdentity.ToArray());
        Assert.Equal(enclave.ProcessId, enclave.Ready.ProcessId);
    }

    [Fact]
    public async Task Two_enclaves_have_different_session_keys()
    {
        await using var a = await EnclaveProcess.StartAsync(_h.Launch);
        await using var b = await EnclaveProcess.StartAsync(_h.Launch);

        Assert.False(a.Ready.SessionPublicKey.Span.SequenceEqual(b.Ready.SessionPublicKey.Span));
    }

    [Fact]
    public async Task A_missing_enclave_program_is_a_clear_error()
    {
        var launch = new EnclaveLaunchOptions { EnclavePath = Path.Combine(_h.Root, "nope.dll") };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => EnclaveProcess.StartAsync(launch));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enclave_that_is_killed_fails_requests_as_lost_instead_of_hanging()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);
        enclave.Kill();

        var error = await Assert.ThrowsAsync<EnclaveException>(() => enclave.InvokeAsync(new byte[] { 1, 2, 3 }));

        Assert.True(error.EnclaveLost);
    }
}
