using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Activations;

public sealed class ActivationApiTests : IAsyncLifetime
{
    private const string Activations = "api/v1/namespaces/_/activations";
    private const string Marker = "MARKER-5f1c9e7a-plaintext-that-must-not-leak";
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _client = _gateway.AliceClient();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Get_returns_a_plaintext_activation_in_OpenWhisk_shape()
    {
        var record = Plain("hello", """{"greeting":"hi"}""", "line one\nline two\n");
        using var response = await _client.GetAsync($"{Activations}/{record.ActivationId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var activation = await GatewayFixture.JsonAsync(response);

        // OpenWhisk's documented activation record: field names and JSON types.
        foreach (var (name, kind) in new (string, JsonValueKind)[]
                 {
                     ("namespace", JsonValueKind.String), ("name", JsonValueKind.String), ("version", JsonValueKind.String),
                     ("subject", JsonValueKind.String), ("activationId", JsonValueKind.String), ("start", JsonValueKind.Number),
                     ("end", JsonValueKind.Number), ("duration", JsonValueKind.Number), ("statusCode", JsonValueKind.Number),
                     ("response", JsonValueKind.Object), ("logs", JsonValueKind.Array), ("annotations", JsonValueKind.Array),
                     ("publish", JsonValueKind.False),
                 })
        {
            Assert.True(activation.TryGetProperty(name, out var value), $"missing field '{name}'");
            Assert.Equal(kind, value.ValueKind);
        }

        Assert.Equal(record.ActivationId.ToString(), activation.GetProperty("activationId").GetString());
        Assert.Equal(250, activation.GetProperty("duration").GetInt64());
        var response2 = activation.GetProperty("response");
        Assert.Equal("success", response2.GetProperty("status").GetString());
        Assert.Equal(0, response2.GetProperty("statusCode").GetInt32());
        Assert.True(response2.GetProperty("success").GetBoolean());
        Assert.Equal("hi", response2.GetProperty("result").GetProperty("greeting").GetString());
        Assert.Equal(["line one", "line two"], activation.GetProperty("logs").EnumerateArray().Select(l => l.GetString()));
        var annotations = activation.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("key").GetString()).ToList();
        Assert.Contains("kind", annotations);
        Assert.Contains("limits", annotations);
        Assert.Contains("waitTime", annotations);
        Assert.Contains("initTime", annotations);
    }

    [Fact]
    public async Task A_confidential_activation_shows_only_sealed_metadata_never_plaintext()
    {
        // The log is a real envelope of the marker, sealed for a key the gateway never has.
        using var master = MasterKey.Generate();
        using var logKey = master.Derive("secret", 1, 0);
        var sealedLogs = EnvelopeSealer.Seal(logKey, Encoding.UTF8.GetBytes(Marker + " log line"));
        var record = Confidential("secret", sealedLogs);
        var expectedSha = Convert.ToHexStringLower(SHA256.HashData(sealedLogs));

        using var logs = await _client.GetAsync($"{Activations}/{record.ActivationId}/logs");
        var logsText = await logs.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
        var logsJson = JsonDocument.Parse(logsText).RootElement;
        Assert.Empty(logsJson.GetProperty("logs").EnumerateArray());
        Assert.Equal(sealedLogs.Length, logsJson.GetProperty("sealedLogs").GetProperty("size").GetInt64());
        Assert.Equal(expectedSha, logsJson.GetProperty("sealedLogs").GetProperty("sha256").GetString());

        // /logs hands the ciphertext to the client, who alone opens it.
        var handed = Convert.FromBase64String(logsJson.GetProperty("sealedLogs").GetProperty("envelope").GetString()!);
        Assert.Equal(sealedLogs, handed);
        using var opened = EnvelopeOpener.Open(logKey, handed);
        Assert.StartsWith(Marker, Encoding.UTF8.GetString(opened.Payload.Span), StringComparison.Ordinal);

        using var get = await _client.GetAsync($"{Activations}/{record.ActivationId}");
        var getText = await get.Content.ReadAsStringAsync();
        using var result = await _client.GetAsync($"{Activations}/{record.ActivationId}/result");
        var resultText = await result.Content.ReadAsStringAsync();
        using var list = await _client.GetAsync($"{Activations}?docs=true");
        var listText = await list.Content.ReadAsStringAsync();
        foreach (var text in new[] { logsText, getText, resultText, listText })
        {
            Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        }

        // Records and listings show the log's digest only.
        foreach (var text in new[] { getText, resultText, listText })
        {
            Assert.DoesNotContain(Convert.ToBase64String(sealedLogs), text, StringComparison.Ordinal);
        }

        var sealedOutput = JsonDocument.Parse(resultText).RootElement.GetProperty("result").GetProperty("sealedOutput");
        Assert.Equal(64, sealedOutput.GetProperty("size").GetInt64());
        Assert.Matches("^[0-9a-f]{64}$", sealedOutput.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Result_returns_the_response_object()
    {
        var record = Plain("hello", """{"n":3}""", null);
        using var response = await _client.GetAsync($"{Activations}/{record.ActivationId}/result");
        var result = await GatewayFixture.JsonAsync(response);
        Assert.Equal(["result", "status", "statusCode", "success"], result.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(3, result.GetProperty("result").GetProperty("n").GetInt32());
        using var logs = await _client.GetAsync($"{Activations}/{record.ActivationId}/logs");
        Assert.Empty((await GatewayFixture.JsonAsync(logs)).GetProperty("logs").EnumerateArray());
    }

    [Fact]
    public async Task A_pending_activation_has_no_response_and_no_result_yet()
    {
        var pending = _gateway.Host.Activations.Start(Start("hello", confidential: false));
        using var get = await _client.GetAsync($"{Activations}/{pending.ActivationId}");
        var activation = await GatewayFixture.JsonAsync(get);
        Assert.False(activation.TryGetProperty("response", out _));
        Assert.False(activation.TryGetProperty("end", out _));
        using var result = await _client.GetAsync($"{Activations}/{pending.ActivationId}/result");
        await GatewayFixture.AssertErrorAsync(result, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_is_newest_first_with_skip_limit_name_and_docs()
    {
        var first = Plain("a", "{}", null);
        var second = Plain("b", "{}", null);
        var third = Plain("a", "{}", null);

        using var all = await _client.GetAsync(Activations);
        var list = (await GatewayFixture.JsonAsync(all)).EnumerateArray().ToList();
        Assert.Equal([third.ActivationId.ToString(), second.ActivationId.ToString(), first.ActivationId.ToString()],
            list.Select(a => a.GetProperty("activationId").GetString()));
        Assert.All(list, a => Assert.False(a.TryGetProperty("response", out _)));
        Assert.All(list, a => Assert.Equal(JsonValueKind.Number, a.GetProperty("statusCode").ValueKind));

        using var named = await _client.GetAsync(Activations + "?name=a&skip=1&limit=5");
        Assert.Equal([first.ActivationId.ToString()],
            (await GatewayFixture.JsonAsync(named)).EnumerateArray().Select(a => a.GetProperty("activationId").GetString()));

        using var docs = await _client.GetAsync(Activations + "?docs=true&limit=1");
        var doc = Assert.Single((await GatewayFixture.JsonAsync(docs)).EnumerateArray());
        Assert.Equal("success", doc.GetProperty("response").GetProperty("status").GetString());

        using var badName = await _client.GetAsync(Activations + "?name=-x");
        await GatewayFixture.AssertErrorAsync(badName, HttpStatusCode.BadRequest);
        using var badDocs = await _client.GetAsync(Activations + "?docs=sometimes");
        await GatewayFixture.AssertErrorAsync(badDocs, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Another_namespaces_activation_does_not_exist_for_the_caller()
    {
        var bobs = _gateway.Host.Activations.Start(Start("hello", confidential: false) with { Action = ActionName.Of("bob", "hello") });
        using var response = await _client.GetAsync($"{Activations}/{bobs.ActivationId}");
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.NotFound);
        using var viaPath = await _client.GetAsync($"api/v1/namespaces/bob/activations/{bobs.ActivationId}");
        await GatewayFixture.AssertErrorAsync(viaPath, HttpStatusCode.Forbidden);
        using var listed = await _client.GetAsync(Activations);
        Assert.Empty((await GatewayFixture.JsonAsync(listed)).EnumerateArray());
        using var malformed = await _client.GetAsync($"{Activations}/not-an-id");
        await GatewayFixture.AssertErrorAsync(malformed, HttpStatusCode.BadRequest);
        using var unknown = await _client.GetAsync($"{Activations}/{ActivationId.New()}/logs");
        await GatewayFixture.AssertErrorAsync(unknown, HttpStatusCode.NotFound);
    }

    private ActivationRecord Plain(string name, string resultJson, string? logs)
    {
        var record = _gateway.Host.Activations.Start(Start(name, confidential: false));
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(250));
        using var result = JsonDocument.Parse(resultJson);
        _gateway.Host.Activations.Complete(record.ActivationId, new ActivationOutcome
        {
            Status = ActivationStatus.Success,
            PlainResult = result.RootElement.Clone(),
            SealedLogs = logs is null ? null : Encoding.UTF8.GetBytes(logs),
            InitTimeMs = 12,
        });
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(10));
        return record;
    }

    private ActivationRecord Confidential(string name, byte[] sealedLogs)
    {
        var record = _gateway.Host.Activations.Start(Start(name, confidential: true));
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(40));
        _gateway.Host.Activations.Complete(record.ActivationId, new ActivationOutcome
        {
            Status = ActivationStatus.Success,
            SealedOutput = RandomNumberGenerator.GetBytes(64),
            SealedLogs = sealedLogs,
        });
        return record;
    }

    private static ActivationStart Start(string name, bool confidential) => new()
    {
        Action = ActionName.Of("alice", name),
        Version = "0.0.1",
        Subject = "alice",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
        Confidential = confidential,
        WaitTimeMs = 3,
    };
}
