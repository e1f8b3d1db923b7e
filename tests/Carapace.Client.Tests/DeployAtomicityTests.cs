using System.Net;
using System.Text;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Client.Tests.Support;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client.Tests;

/// <summary>
/// Deploys, chains and deletes are all-or-nothing against a real platform and KMS: when the KMS refuses the policy
/// update (2 of 2 owners needed, only one signs) or the gateway refuses the action, what was in place before is still
/// in place, and it still runs.
/// </summary>
public sealed class DeployAtomicityTests : IAsyncLifetime
{
    private EmbeddedPlatform _platform = null!;
    private CarapaceClient _client = null!;

    public async Task InitializeAsync()
    {
        _platform = await EmbeddedPlatform.StartAsync();
        _client = _platform.Client();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Fact]
    public async Task A_redeploy_whose_policy_update_is_refused_leaves_the_previous_action_stored_and_running()
    {
        var first = await DeployHelloAsync(memoryMiB: 128);
        var policy = await _platform.RequireTwoOwnersAsync();

        var refused = await Assert.ThrowsAsync<PolicyException>(() => DeployHelloAsync(memoryMiB: 192));

        Assert.Equal(PolicyRejection.InsufficientApprovals, refused.Reason);
        var stored = await _client.Gateway.GetActionAsync("hello", withCode: false);
        Assert.Equal((first.Action.Version, 128), (stored.Version, stored.MemoryMiB));
        Assert.Equal(policy.ToJson(), (await _platform.PolicyAsync()).ToJson());
        Assert.Equal("STILL HERE", await InvokeAsync("hello", "still here"));
    }

    [Fact]
    public async Task A_new_action_whose_policy_update_is_refused_is_not_stored()
    {
        var policy = await _platform.RequireTwoOwnersAsync();

        await Assert.ThrowsAsync<PolicyException>(() => DeployHelloAsync(memoryMiB: 128));

        var missing = await Assert.ThrowsAsync<GatewayException>(() => _client.Gateway.GetActionAsync("hello", withCode: false));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(policy.ToJson(), (await _platform.PolicyAsync()).ToJson());
    }

    [Fact]
    public async Task A_redeploy_the_gateway_refuses_leaves_the_policy_accepting_only_the_previous_measurement()
    {
        var first = await DeployHelloAsync(memoryMiB: 128);

        // 1024 MiB is a valid enclave manifest but above the platform's limit of 512: measured and expanded, then refused.
        var refused = await Assert.ThrowsAsync<GatewayException>(() => DeployHelloAsync(memoryMiB: 1024));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var function = (await _platform.PolicyAsync()).FindFunction("hello")!;
        Assert.Equal([first.Measurement], function.Measurements.Select(m => m.Hash));
        Assert.Equal(first.Action.Version, (await _client.Gateway.GetActionAsync("hello", withCode: false)).Version);
        Assert.Equal("AS BEFORE", await InvokeAsync("hello", "as before"));
    }

    [Fact]
    public async Task A_new_action_the_gateway_refuses_leaves_nothing_in_the_policy()
    {
        var before = await _platform.PolicyAsync();

        await Assert.ThrowsAsync<GatewayException>(() => _client.DeployAsync("big", Hello(), new DeployOptions
        {
            MemoryMiB = 1024,
            Secrets = ["big-secret"],
        }));

        var after = await _platform.PolicyAsync();
        Assert.Null(after.FindFunction("big"));
        Assert.Null(after.FindChain("big"));
        Assert.Equal(before.Secrets, after.Secrets);
    }

    [Fact]
    public async Task A_chain_the_gateway_refuses_leaves_the_policy_without_that_chain()
    {
        await DeployHelloAsync(memoryMiB: 128);
        await _client.DeployAsync("wordcount", await File.ReadAllBytesAsync(RepoPaths.Example("wordcount")), new DeployOptions { MemoryMiB = 128 });

        // The policy still names function 'wordcount', but the gateway no longer has the action: the sequence is refused.
        await _client.Gateway.DeleteActionAsync("wordcount");
        var refused = await Assert.ThrowsAsync<GatewayException>(() => _client.CreateChainAsync("pipeline", ["hello", "wordcount"]));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Null((await _platform.PolicyAsync()).FindChain("pipeline"));
    }

    [Fact]
    public async Task A_delete_whose_policy_update_is_refused_leaves_the_action_stored_and_running()
    {
        var first = await DeployHelloAsync(memoryMiB: 128);
        var policy = await _platform.RequireTwoOwnersAsync();

        await Assert.ThrowsAsync<PolicyException>(() => _client.DeleteAsync("hello"));

        Assert.Equal(first.Action.Version, (await _client.Gateway.GetActionAsync("hello", withCode: false)).Version);
        Assert.Equal(policy.ToJson(), (await _platform.PolicyAsync()).ToJson());
        Assert.Equal("NOT DELETED", await InvokeAsync("hello", "not deleted"));
    }

    private static byte[] Hello() => File.ReadAllBytes(RepoPaths.Example("hello"));

    private Task<DeployResult> DeployHelloAsync(int memoryMiB) =>
        _client.DeployAsync("hello", Hello(), new DeployOptions { MemoryMiB = memoryMiB, TimeoutMs = 5_000 });

    /// <summary>Invokes with a fresh client, so nothing cached from before the change decides the outcome.</summary>
    private async Task<string> InvokeAsync(string action, string input)
    {
        await using var client = _platform.Client();
        return Encoding.UTF8.GetString((await client.InvokeAsync(action, Encoding.UTF8.GetBytes(input))).Output).Trim();
    }
}
