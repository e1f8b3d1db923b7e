using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Envelope.Sealing;
using Carapace.Functions.Images;

namespace Carapace.Platform.Tests;

/// <summary>
/// Actions with a file-system image (<c>exec.image</c>): the platform stores the encrypted image, the manifest and so
/// the measurement cover its root, the enclave unlocks it with the image's <c>image-key.NAME.IMAGEID</c> (else the
/// function's <c>image-key.NAME</c>) secret from the KMS and verifies every block it reads from the host file.
/// </summary>
public sealed class ImageTests : IAsyncLifetime, IDisposable
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";
    private const string Contents = "hello from a sealed image\n";
    private readonly string _source = Path.Combine(Path.GetTempPath(), "carapace-image-tests", Guid.NewGuid().ToString("N"));
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(ImageKeys.KeySize);
    private PlatformFixture _platform = null!;
    private byte[] _image = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_source);
        await File.WriteAllTextAsync(Path.Combine(_source, "hello.txt"), Contents);
        using var output = new MemoryStream();
        ImagePacker.Pack(_source, output, ImageKeys.NewImageId(), _key);
        _image = output.ToArray();
        _platform = await PlatformFixture.StartAsync();
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        Directory.Delete(_source, recursive: true);
    }

    [Fact]
    public async Task A_confidential_action_reads_its_image_with_the_key_the_KMS_releases_to_it_alone()
    {
        await DeployReadfileAsync("readfile");

        using var response = await InvokeAsync("readfile");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Contents, await OpenAsync(response, "readfile"));
        var sha = Convert.ToHexStringLower(SHA256.HashData(_image));
        Assert.Equal(_image, await File.ReadAllBytesAsync(Path.Combine(_platform.Root, "images", sha + ".img")));
    }

    [Fact]
    public async Task The_key_of_the_image_itself_wins_over_the_function_and_namespace_keys_and_other_images_keys()
    {
        // During a redeploy the function is granted its old image's key beside the new one's; each enclave must take its own.
        var id = Convert.ToHexStringLower(PlatformFixture.ImageReferenceOf(_image)!.Id.Span);
        string[] wrong = ["image-key.layered", "image-key", "image-key.layered." + new string('0', 32)];
        var own = "image-key.layered." + id;
        await _platform.DeployAsync("layered", "readfile", image: _image, secrets: [.. wrong, own]);
        foreach (var secret in wrong)
        {
            await _platform.PutSecretAsync(secret, RandomNumberGenerator.GetBytes(ImageKeys.KeySize));
        }

        await _platform.PutSecretAsync(own, _key);

        using var response = await InvokeAsync("layered");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Contents, await OpenAsync(response, "layered"));
    }

    [Fact]
    public async Task The_action_document_shows_the_image_id_root_and_digest_but_never_its_bytes()
    {
        await DeployReadfileAsync("readfile");

        var json = JsonNode.Parse(await _platform.Client().GetStringAsync("api/v1/namespaces/_/actions/readfile"))!;

        var image = json["exec"]!["image"]!;
        var header = PlatformFixture.ImageReferenceOf(_image)!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_image)), (string?)image["sha256"]);
        Assert.Equal(_image.Length, (long)image["size"]!);
        Assert.Equal(Convert.ToHexStringLower(header.Id.Span), (string?)image["id"]);
        Assert.Equal(Convert.ToHexStringLower(header.Root.Span), (string?)image["root"]);
        Assert.DoesNotContain(Convert.ToBase64String(_image.AsSpan(0, 96)), json.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_image_file_on_the_host_is_recorded_as_an_integrity_violation_not_served()
    {
        await DeployReadfileAsync("readfile");
        using (var first = await InvokeAsync("readfile"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // The host file is untrusted storage, written once: flip a byte in the last block (the file's data) and have a
        // fresh function of the same image read it.
        var path = Path.Combine(_platform.Root, "images", Convert.ToHexStringLower(SHA256.HashData(_image)) + ".img");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^10] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);
        await DeployReadfileAsync("readfile2");

        using var response = await InvokeAsync("readfile2");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.StartsWith("integrity violation: image block", await ErrorOfAsync(response), StringComparison.Ordinal);
        var id = response.Headers.GetValues("Carapace-Activation-Id").Single();
        using var record = JsonDocument.Parse(await _platform.Client().GetStringAsync($"api/v1/namespaces/_/activations/{id}"));
        var recorded = record.RootElement.GetProperty("response");
        Assert.Equal("whisk internal error", recorded.GetProperty("status").GetString());
        Assert.StartsWith("integrity violation", recorded.GetProperty("result").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Contents.Trim(), record.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plaintext_action_cannot_take_an_image_and_a_non_image_is_a_clear_400()
    {
        var module = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("readfile")));
        var client = _platform.Client();

        using var plaintext = await client.PutAsync("api/v1/namespaces/_/actions/plain", JsonContent.Create(new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "wasm:wasi", ["code"] = module, ["image"] = Convert.ToBase64String(_image) },
            ["annotations"] = new JsonArray(new JsonObject { ["key"] = "confidential", ["value"] = false }),
        }));
        using var garbage = await client.PutAsync("api/v1/namespaces/_/actions/garbage", JsonContent.Create(new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "wasm:wasi", ["code"] = module, ["image"] = Convert.ToBase64String("not an image"u8) },
        }));

        Assert.Equal(HttpStatusCode.BadRequest, plaintext.StatusCode);
        Assert.Contains("plaintext action cannot mount a file-system image", await ErrorOfAsync(plaintext), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Contains("'exec.image' is not a usable file-system image: not a Carapace file-system image", await ErrorOfAsync(garbage), StringComparison.Ordinal);
    }

    private static async Task<string> ErrorOfAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }

    private async Task DeployReadfileAsync(string name)
    {
        var secret = "image-key." + name;
        await _platform.DeployAsync(name, "readfile", image: _image, secrets: [secret]);
        await _platform.PutSecretAsync(secret, _key);
    }

    private async Task<HttpResponseMessage> InvokeAsync(string name)
    {
        using var keys = await _platform.ChainKeysAsync(name);
        var content = new ByteArrayContent(EnvelopeSealer.Seal(keys.Entry, [], new SealOptions { Function = name, RequestId = Envelope.Format.RequestId.New() }));
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return await _platform.Client().PostAsync($"api/v1/namespaces/_/actions/{name}?blocking=true&result=true", content);
    }

    private async Task<string> OpenAsync(HttpResponseMessage response, string name)
    {
        using var keys = await _platform.ChainKeysAsync(name);
        using var opened = EnvelopeOpener.Open(keys.Exit, await response.Content.ReadAsByteArrayAsync());
        return Encoding.UTF8.GetString(opened.Payload.Span);
    }
}
