using System.Security.Cryptography;
using System.Text;
using Carapace.Client.Deployment;
using Carapace.Client.Tests.Support;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;

namespace Carapace.Client.Tests;

/// <summary>
/// A deploy stores the image key as a secret, and a secret write needs the approvals (k of n owners) the namespace's
/// policy requires. With one owner's approval enough the deploy stores it; with two needed it uses the key the owners
/// stored together, and without one it says how to store it — and changes nothing.
/// </summary>
public sealed class ImageKeyApprovalTests : IAsyncLifetime
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
    public async Task With_two_owners_needed_a_deploy_uses_the_image_key_they_stored_and_otherwise_says_how_to_store_it()
    {
        var (image, key) = Pack("sealed contents\n");
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("readfile"));
        var options = new DeployOptions { MemoryMiB = 128, TimeoutMs = 5_000, Image = image, ImageKey = key };
        var first = await _client.DeployAsync("reader", module, options);
        var secret = "image-key.reader." + Convert.ToHexStringLower(ActionMeasurement.ImageReferenceOf(image).Id.Span);
        var policy = await _platform.RequireTwoOwnersAsync();
        await WriteAsTwoOwnersAsync(secret, null);

        // The policy already accepts this deploy, so only the image key is missing: it needs both owners.
        var refused = await Assert.ThrowsAsync<CarapaceClientException>(() => _client.DeployAsync("reader", module, options));

        Assert.Contains($"storing the image key as secret '{secret}' of namespace 'guest' needs 2 of 2 owner approvals (policy v{policy.Version}), "
            + $"and this client signs as one owner: use 'carapace secret put guest/{secret} --image-key IMG.key --sign KEY --out REQUEST', then "
            + "'carapace secret approve REQUEST --sign KEY' by the other owners and 'carapace secret submit REQUEST'; then deploy again", refused.Message, StringComparison.Ordinal);
        Assert.Equal(first.Action.Version, (await _client.Gateway.GetActionAsync("reader", withCode: false)).Version);
        Assert.Equal(policy.ToJson(), (await _platform.PolicyAsync()).ToJson());

        await WriteAsTwoOwnersAsync(secret, key);
        var again = await _client.DeployAsync("reader", module, options);

        Assert.NotEqual(first.Action.Version, again.Action.Version);
        await using var reader = _platform.Client();
        Assert.Equal("sealed contents\n", Encoding.UTF8.GetString((await reader.InvokeAsync("reader", Array.Empty<byte>())).Output));
    }

    /// <summary>A put of <paramref name="value"/> (or a delete, for null) proposed by the profile's owner and approved by the second owner.</summary>
    private async Task WriteAsTwoOwnersAsync(string secret, byte[]? value)
    {
        using var kms = new KmsClient(_platform.Kms.Endpoint, KmsServerTrust.Simulation(_platform.Kms.QuotingKey));
        using var owner = OwnerKey.Load(Path.Combine(_platform.DataDirectory, "owner.key"));
        using var second = OwnerKey.Load(Path.Combine(_platform.Root, "second-owner.key"));
        var request = await kms.ProposeSecretWriteAsync(EmbeddedPlatform.Namespace, secret, value, owner, EmbeddedPlatform.OwnerId);
        await kms.SubmitSecretWriteAsync(SecretWriteSigner.AddSignature(request, "second", second));
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
}
