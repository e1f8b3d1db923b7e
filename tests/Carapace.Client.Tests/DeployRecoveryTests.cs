using System.Net;
using System.Security.Cryptography;
using System.Text;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Client.Tests.Support;
using Carapace.Functions.Images;

namespace Carapace.Client.Tests;

/// <summary>
/// A deploy whose second step fails after its first succeeded, against a real platform and a KMS that is stopped
/// between two steps: the error says what is left and how to finish, and following that advice finishes it.
/// Concurrent deploys of one name end with the policy accepting exactly what the gateway stores.
/// </summary>
public sealed class DeployRecoveryTests : IAsyncLifetime
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
    public async Task When_the_KMS_stops_after_the_upload_the_new_action_runs_and_the_error_says_the_old_measurement_is_still_accepted()
    {
        var first = await DeployHelloAsync(_client, memoryMiB: 128);
        var stopAfterUpload = new StopKmsAt(_platform, DeployStage.Finishing);

        var error = await Assert.ThrowsAsync<DeployException>(() => DeployHelloAsync(_client, memoryMiB: 192, stopAfterUpload));

        Assert.Equal(DeployFailureState.DeployedPolicyNotFinished, error.State);
        Assert.Contains("is deployed and runs", error.Message, StringComparison.Ordinal);
        Assert.Contains("still accepts the measurement of the version it replaced", error.Message, StringComparison.Ordinal);
        Assert.Contains("Run the same deploy again to finish", error.Message, StringComparison.Ordinal);
        Assert.Equal(("0.0.2", 192), (error.Action!.Version, error.Action.MemoryMiB));

        await _platform.RestartKmsAsync();
        var widened = (await _platform.PolicyAsync()).FindFunction("hello")!;
        Assert.Equal([first.Measurement, error.Measurement], widened.Measurements.Select(m => m.Hash));
        Assert.Equal("NEW ONE", await InvokeAsync("new one"));

        // The advice: deploy again. The policy then accepts only the stored action's measurement.
        await using var again = _platform.Client();
        var finished = await DeployHelloAsync(again, memoryMiB: 192);
        Assert.Equal(error.Measurement, finished.Measurement);
        Assert.Equal([finished.Measurement], (await _platform.PolicyAsync()).FindFunction("hello")!.Measurements.Select(m => m.Hash));
    }

    [Fact]
    public async Task When_the_upload_is_refused_and_the_KMS_is_gone_the_error_says_the_policy_also_accepts_the_undeployed_measurement()
    {
        var first = await DeployHelloAsync(_client, memoryMiB: 128);
        var stopBeforeUpload = new StopKmsAt(_platform, DeployStage.Uploading);

        var error = await Assert.ThrowsAsync<DeployException>(() => DeployHelloAsync(_client, memoryMiB: 1024, stopBeforeUpload));

        Assert.Equal(DeployFailureState.NotDeployedPolicyChanged, error.State);
        Assert.Equal(HttpStatusCode.BadRequest, Assert.IsType<GatewayException>(error.InnerException).StatusCode);
        Assert.NotNull(error.CleanupError);
        Assert.Contains($"action 'hello' {first.Action.Version} is in place and runs as before", error.Message, StringComparison.Ordinal);
        Assert.Contains($"also accepts the measurement that was not deployed ({error.Measurement})", error.Message, StringComparison.Ordinal);

        await _platform.RestartKmsAsync();
        Assert.Equal([first.Measurement, error.Measurement], (await _platform.PolicyAsync()).FindFunction("hello")!.Measurements.Select(m => m.Hash));
        Assert.Equal("OLD ONE", await InvokeAsync("old one"));

        await using var again = _platform.Client();
        await DeployHelloAsync(again, memoryMiB: 128);
        Assert.Equal([first.Measurement], (await _platform.PolicyAsync()).FindFunction("hello")!.Measurements.Select(m => m.Hash));
    }

    [Fact]
    public async Task Concurrent_deploys_of_one_name_end_with_the_policy_accepting_exactly_what_the_gateway_stores()
    {
        await using var other = _platform.Client();
        for (var round = 0; round < 3; round++)
        {
            var results = await Task.WhenAll(DeployHelloAsync(_client, memoryMiB: 128), DeployHelloAsync(other, memoryMiB: 192));

            var stored = await _client.Gateway.GetActionAsync("hello", withCode: false);
            var winner = Assert.Single(results, r => r.Action.Version == stored.Version);
            Assert.Equal([winner.Measurement], (await _platform.PolicyAsync()).FindFunction("hello")!.Measurements.Select(m => m.Hash));
        }

        Assert.Equal("RACED", await InvokeAsync("raced"));
    }

    [Fact]
    public async Task A_redeploy_with_a_new_image_that_the_gateway_refuses_leaves_the_old_image_readable()
    {
        var (oldImage, oldKey) = Pack("old contents\n");
        var (newImage, newKey) = Pack("new contents\n");
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("readfile"));
        await _client.DeployAsync("reader", module, new DeployOptions { MemoryMiB = 128, Image = oldImage, ImageKey = oldKey });

        // The new image's key is stored in the KMS before the upload, which the gateway then refuses.
        await Assert.ThrowsAsync<GatewayException>(() => _client.DeployAsync("reader", module,
            new DeployOptions { MemoryMiB = 1024, Image = newImage, ImageKey = newKey }));

        Assert.Equal("old contents\n", await ReadAsync());
        var oldSecret = "image-key.reader." + Convert.ToHexStringLower(ActionMeasurement.ImageReferenceOf(oldImage).Id.Span);
        Assert.Equal([oldSecret], (await _platform.PolicyAsync()).FindFunction("reader")!.Secrets);

        await _client.DeployAsync("reader", module, new DeployOptions { MemoryMiB = 128, Image = newImage, ImageKey = newKey });

        Assert.Equal("new contents\n", await ReadAsync());
        var policy = await _platform.PolicyAsync();
        var newSecret = "image-key.reader." + Convert.ToHexStringLower(ActionMeasurement.ImageReferenceOf(newImage).Id.Span);
        Assert.Equal([newSecret], policy.FindFunction("reader")!.Secrets);
        Assert.DoesNotContain(policy.Secrets, s => s.Name == oldSecret);
    }

    private (byte[] Image, byte[] Key) Pack(string contents)
    {
        var source = Path.Combine(_platform.Root, "image-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "hello.txt"), contents);
        var key = RandomNumberGenerator.GetBytes(32);
        using var packed = new MemoryStream();
        ImagePacker.Pack(source, packed, ImageKeys.NewImageId(), key);
        return (packed.ToArray(), key);
    }

    private async Task<string> ReadAsync()
    {
        await using var client = _platform.Client();
        return Encoding.UTF8.GetString((await client.InvokeAsync("reader", Array.Empty<byte>())).Output);
    }

    private static Task<DeployResult> DeployHelloAsync(CarapaceClient client, int memoryMiB, IProgress<DeployProgress>? progress = null) =>
        client.DeployAsync("hello", File.ReadAllBytes(RepoPaths.Example("hello")), new DeployOptions { MemoryMiB = memoryMiB, TimeoutMs = 5_000 }, progress);

    /// <summary>Invokes with a fresh client, so nothing cached from before the change decides the outcome.</summary>
    private async Task<string> InvokeAsync(string input)
    {
        await using var client = _platform.Client();
        return Encoding.UTF8.GetString((await client.InvokeAsync("hello", Encoding.UTF8.GetBytes(input))).Output).Trim();
    }

    /// <summary>Stops the platform's KMS when the deploy reaches <paramref name="stage"/> (reported synchronously, before that step starts).</summary>
    private sealed class StopKmsAt(EmbeddedPlatform platform, DeployStage stage) : IProgress<DeployProgress>
    {
        public void Report(DeployProgress value)
        {
            if (value.Stage == stage)
            {
                platform.StopKms();
            }
        }
    }
}
