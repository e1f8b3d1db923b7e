using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Worker.Tests;

public sealed class SpecializationTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_module_swapped_by_the_host_is_refused()
    {
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var other = await File.ReadAllBytesAsync(RepoPaths.Example("wordcount"));
        using var plan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);
        using var session = plan.ProvisionFor(enclave.Ready);

        var error = await Assert.ThrowsAsync<EnclaveException>(() =>
            enclave.SpecializeAsync(new SpecializeMessage(session.PublicKey, session.SealedProvisioning, other, ReadOnlyMemory<byte>.Empty, null)));

        Assert.Contains("does not match the provisioned module hash", error.Message, StringComparison.Ordinal);
        Assert.False(error.EnclaveLost);
    }

    [Fact]
    public async Task Provisioning_sealed_for_another_enclave_is_refused()
    {
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var a = await EnclaveProcess.StartAsync(_h.Launch);
        await using var b = await EnclaveProcess.StartAsync(_h.Launch);
        using var forA = plan.ProvisionFor(a.Ready);

        var error = await Assert.ThrowsAsync<EnclaveException>(() =>
            b.SpecializeAsync(new SpecializeMessage(forA.PublicKey, forA.SealedProvisioning, hello, ReadOnlyMemory<byte>.Empty, null)));

        Assert.Contains("provisioning rejected", error.Message, StringComparison.Ordinal);
        Assert.Null(error.Reason);
    }

    [Fact]
    public async Task The_confirmation_proves_the_measurement_the_client_expects()
    {
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        using var plan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);
        using var session = plan.ProvisionFor(enclave.Ready);

        var specialized = await enclave.SpecializeAsync(new SpecializeMessage(session.PublicKey, session.SealedProvisioning, hello, ReadOnlyMemory<byte>.Empty, null));

        Assert.Equal(plan.Measurement, specialized.Measurement.ToArray());
        Assert.True(session.Confirms(specialized));
        var forged = specialized with { Confirmation = specialized.Confirmation.ToArray().Select((b, i) => i == 20 ? (byte)(b ^ 1) : b).ToArray() };
        Assert.False(session.Confirms(forged));
    }

    [Fact]
    public async Task A_second_run_loads_the_cached_module_and_a_tampered_cache_entry_is_refused_and_rebuilt()
    {
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var first = await SpecializeOnceAsync(hello);
        var second = await SpecializeOnceAsync(hello);
        var path = _h.Cache.PathOf(second.Runtime, System.Security.Cryptography.SHA256.HashData(hello));
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^100] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);
        var third = await SpecializeOnceAsync(hello);

        Assert.True(first.Compiled);
        Assert.False(second.Compiled);
        Assert.True(third.Compiled);
        Assert.Equal("HI", third.Output);
        Assert.NotEqual(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_cache_entry_the_enclave_refuses_says_why()
    {
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        await SpecializeOnceAsync(hello);
        using var plan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);
        using var session = plan.ProvisionFor(enclave.Ready);
        var artifact = _h.Cache.TryGet(enclave.Ready.RuntimeIdentity.Span, System.Security.Cryptography.SHA256.HashData(hello))!;
        artifact[^1] ^= 0x80;

        var error = await Assert.ThrowsAsync<EnclaveException>(() =>
            enclave.SpecializeAsync(new SpecializeMessage(session.PublicKey, session.SealedProvisioning, ReadOnlyMemory<byte>.Empty, artifact, null)));

        Assert.Contains("failed authentication", error.Message, StringComparison.Ordinal);
        Assert.Equal(FailureReason.CachedArtifact, error.Reason);
        Assert.False(error.EnclaveLost);
    }

    [Fact]
    public async Task A_refusal_that_is_not_about_the_cache_keeps_the_cache_entry_and_is_not_retried_with_the_module()
    {
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var (_, _, runtime) = await SpecializeOnceAsync(hello);
        var path = _h.Cache.PathOf(runtime, System.Security.Cryptography.SHA256.HashData(hello));
        var entry = await File.ReadAllBytesAsync(path);
        using var plan = ProvisioningPlan.Create(hello, new FunctionManifest { Name = "hello" });
        await using var other = await EnclaveProcess.StartAsync(_h.Launch);
        var provisions = 0;
        await using var cells = new StemCellPool(_h.Launch, size: 0);
        var definition = new FunctionDefinition
        {
            Module = hello,

            // Sealed for another enclave: every cell refuses it, cached artifact or not.
            Provision = (_, _) =>
            {
                provisions++;
                return Task.FromResult<IProvisioningSession>(plan.ProvisionFor(other.Ready));
            },
        };
        await using var pool = new FunctionPool(cells, definition, _h.Cache);

        var error = await Assert.ThrowsAsync<EnclaveException>(() => pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "hi"u8)));

        Assert.Contains("provisioning rejected", error.Message, StringComparison.Ordinal);
        Assert.Null(error.Reason);
        Assert.Equal(1, provisions);
        Assert.Equal(0, pool.Specializations);
        Assert.Equal(entry, await File.ReadAllBytesAsync(path));
    }

    private async Task<(bool Compiled, string Output, byte[] Runtime)> SpecializeOnceAsync(byte[] module)
    {
        using var plan = ProvisioningPlan.Create(module, new FunctionManifest { Name = "hello" });
        bool? compiled = null;
        await using var cells = new StemCellPool(_h.Launch, size: 0);
        var definition = new FunctionDefinition
        {
            Module = module,
            Provision = (ready, _) => Task.FromResult<IProvisioningSession>(new Spy(plan.ProvisionFor(ready), c => compiled = c)),
        };
        await using var pool = new FunctionPool(cells, definition, _h.Cache);
        var outcome = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "hi"u8));
        var run = RunResult.Open(outcome, plan);
        return (compiled!.Value, run.OutputText, plan.RuntimeIdentityValue);
    }

    /// <summary>Sees whether the enclave compiled or loaded the module.</summary>
    private sealed class Spy(IProvisioningSession inner, Action<bool> compiled) : IProvisioningSession
    {
        public ReadOnlyMemory<byte> PublicKey => inner.PublicKey;

        public ReadOnlyMemory<byte> SealedProvisioning => inner.SealedProvisioning;

        public bool Confirms(SpecializedMessage specialized)
        {
            compiled(specialized.Compiled);
            return inner.Confirms(specialized);
        }

        public void Dispose() => inner.Dispose();
    }
}
