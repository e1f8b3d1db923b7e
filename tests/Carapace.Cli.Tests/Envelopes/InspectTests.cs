using System.Text.Json;

namespace Carapace.Cli.Tests.Envelopes;

public sealed class InspectTests : CliFixture
{
    [Fact]
    public async Task Inspect_shows_the_metadata_without_a_key()
    {
        var requestId = "00112233445566778899aabbccddeeff";
        await NewKeyAsync();
        var edgeId = (await Run(null, "key", "id", "--key", KeyPath, "--chain", "orders", "--step", "2")).StdoutText.Trim();
        var sealedBytes = await SealAsync(
            new byte[100], "--chain", "orders", "--step", "2", "--function", "resize", "--content-type", "image/png",
            "--meta", "team=blue,env=prod", "--meta", "tier=gold", "--request-id", requestId);
        File.Delete(KeyPath);

        var result = await Run(sealedBytes, "inspect");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("carapace-envelope", root.GetProperty("format").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        Assert.Equal(requestId, root.GetProperty("requestId").GetString());
        Assert.Equal("orders", root.GetProperty("chainId").GetString());
        Assert.Equal(2, root.GetProperty("step").GetInt32());
        Assert.Equal(3, root.GetProperty("nextStep").GetInt32());
        Assert.Equal("resize", root.GetProperty("function").GetString());
        Assert.Equal("image/png", root.GetProperty("contentType").GetString());
        Assert.Equal(edgeId, root.GetProperty("keyId").GetString());
        Assert.Equal("blue", root.GetProperty("meta").GetProperty("team").GetString());
        Assert.Equal("gold", root.GetProperty("meta").GetProperty("tier").GetString());
        Assert.Equal(sealedBytes.Length, root.GetProperty("sealedBytes").GetInt32());
        Assert.Equal(1, root.GetProperty("chunks").GetInt32());
        Assert.Equal(100, root.GetProperty("payloadBytes").GetInt32());
    }

    [Fact]
    public async Task Inspect_of_a_padded_envelope_does_not_claim_a_payload_size()
    {
        await NewKeyAsync();
        var sealedBytes = await SealAsync(new byte[100], "--pad");

        var result = await Run(sealedBytes, "inspect");

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("padded").GetBoolean());
        Assert.False(json.RootElement.TryGetProperty("payloadBytes", out _));
    }

    [Fact]
    public async Task Inspect_rejects_a_cut_header()
    {
        await NewKeyAsync();
        var sealedBytes = await SealAsync(new byte[10]);

        var result = await Run(sealedBytes[..30], "inspect");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("carapace: envelope is truncated: it ends inside its header", Assert.Single(result.StderrLines));
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Reusing_a_request_id_still_gives_a_different_envelope()
    {
        await NewKeyAsync();
        var id = new string('7', 32);
        var a = await SealAsync(Text("same"), "--request-id", id);
        var b = await SealAsync(Text("same"), "--request-id", id);

        Assert.NotEqual(a, b);
        var ia = JsonDocument.Parse((await Run(a, "inspect")).Stdout).RootElement.GetProperty("requestId").GetString();
        Assert.Equal(id, ia);
    }
}
