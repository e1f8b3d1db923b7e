using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Client.Gateway;
using Carapace.Client.Tests.Support;
using Carapace.Controller;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Gateway.Tls;

namespace Carapace.Client.Tests.Gateway;

public sealed class GatewayClientTests : IAsyncLifetime
{
    /// <summary>The smallest WASI command module (a memory and an empty _start): what the gateway accepts as code.</summary>
    private static readonly byte[] s_module = Wasmtime.Module.ConvertText("""(module (memory (export "memory") 1) (func (export "_start")))""");

    private PlatformFixture _platform = null!;
    private GatewayClient _client = null!;

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync();
        _client = _platform.Client();
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Actions_round_trip_through_put_get_list_overwrite_and_delete()
    {
        var created = await _client.PutActionAsync("hello", s_module, new PutActionOptions
        {
            MemoryMiB = 128,
            TimeoutMs = 5000,
            Annotations = new Dictionary<string, JsonNode?> { ["description"] = "greets" },
            Parameters = new Dictionary<string, JsonNode?> { ["greeting"] = "hi" },
        });
        Assert.Equal(("alice", "hello", "0.0.1", "wasm:wasi"), (created.Namespace, created.Name, created.Version, created.Kind));
        Assert.Equal((128, 5000, true), (created.MemoryMiB, created.TimeoutMs, created.Confidential));
        Assert.Equal(s_module, created.Code!.Value.ToArray());
        Assert.Equal("greets", created.Annotations["description"].GetString());
        Assert.Equal("hi", created.Parameters["greeting"].GetString());

        var fetched = await _client.GetActionAsync("hello");
        Assert.Equal(s_module, fetched.Code!.Value.ToArray());
        Assert.Null((await _client.GetActionAsync("hello", withCode: false)).Code);

        var conflict = await Assert.ThrowsAsync<GatewayException>(() => _client.PutActionAsync("hello", s_module));
        Assert.Equal((GatewayFailure.Rejected, HttpStatusCode.Conflict), (conflict.Failure, conflict.StatusCode));
        Assert.Contains("overwrite", conflict.Message);

        var updated = await _client.PutActionAsync("hello", s_module, new PutActionOptions { Confidential = false, Overwrite = true });
        Assert.Equal("0.0.2", updated.Version);
        Assert.False(updated.Confidential);
        Assert.Equal(128, updated.MemoryMiB);

        await _client.PutActionAsync("other", s_module);
        var listed = await _client.ListActionsAsync();
        Assert.Equal(["hello", "other"], listed.Select(a => a.Name).Order());
        Assert.All(listed, a => Assert.Null(a.Code));
        Assert.Single(await _client.ListActionsAsync(limit: 1));

        var deleted = await _client.DeleteActionAsync("hello");
        Assert.Equal("0.0.2", deleted.Version);
        var gone = await Assert.ThrowsAsync<GatewayException>(() => _client.GetActionAsync("hello"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Not_found_is_a_typed_404_with_the_OpenWhisk_error_and_request_id()
    {
        var error = await Assert.ThrowsAsync<GatewayException>(() => _client.GetActionAsync("missing"));

        Assert.Equal(GatewayFailure.Rejected, error.Failure);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("The requested resource does not exist.", error.Error);
        Assert.Matches("^[0-9a-f]{32}$", error.Code);
        Assert.Contains("get action 'missing'", error.Message);
        Assert.Contains("404", error.Message);
        Assert.Contains(_platform.Host.Endpoint.ToString(), error.Message);
    }

    [Fact]
    public async Task Wrong_auth_is_a_typed_401_that_says_to_check_the_credential_without_showing_it()
    {
        var wrongKey = _platform.Alice.Uuid + ":" + new string('x', 64);
        using var client = new GatewayClient(_platform.Options(auth: wrongKey));

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.ListActionsAsync());

        Assert.Equal((GatewayFailure.Rejected, HttpStatusCode.Unauthorized), (error.Failure, error.StatusCode));
        Assert.Equal("The supplied authentication is invalid", error.Error);
        Assert.Contains("check the namespace credential", error.Message);
        Assert.DoesNotContain(new string('x', 64), error.Message);
    }

    [Fact]
    public async Task Invalid_names_are_a_typed_400()
    {
        var error = await Assert.ThrowsAsync<GatewayException>(() => _client.GetActionAsync("no/slashes"));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("not a valid action name", error.Message);
    }

    [Fact]
    public async Task Activations_list_get_logs_and_result()
    {
        var done = Record("hello", confidential: false, """{"greeting":"hi"}""", "line one\nline two\n");
        var sealedRecord = Record("secret", confidential: true, null, "sealed bytes");
        var pending = _platform.Host.Activations.Start(Start("hello", confidential: false));

        var all = await _client.ListActivationsAsync();
        Assert.Equal(3, all.Count);
        Assert.Single(await _client.ListActivationsAsync(name: "secret"));
        Assert.All(await _client.ListActivationsAsync(docs: true), a => Assert.True(a.Response is not null || a.End is null));

        var activation = await _client.GetActivationAsync(done.ActivationId.ToString());
        Assert.Equal(("alice", "hello", 0), (activation.Namespace, activation.Name, activation.StatusCode));
        Assert.True(activation.Response!.Success);
        Assert.Equal("hi", activation.Response.Result.GetProperty("greeting").GetString());
        Assert.Equal(["line one", "line two"], activation.Logs);

        var logs = await _client.GetActivationLogsAsync(done.ActivationId.ToString());
        Assert.Equal(["line one", "line two"], logs.Lines);
        Assert.Null(logs.Sealed);

        var sealedLogs = await _client.GetActivationLogsAsync(sealedRecord.ActivationId.ToString());
        Assert.Empty(sealedLogs.Lines);
        Assert.Equal(Encoding.UTF8.GetByteCount("sealed bytes"), sealedLogs.Sealed!.Size);

        var result = await _client.GetActivationResultAsync(done.ActivationId.ToString());
        Assert.Equal(("success", 0, true), (result.Status, result.StatusCode, result.Success));

        var notYet = await Assert.ThrowsAsync<GatewayException>(() => _client.GetActivationResultAsync(pending.ActivationId.ToString()));
        Assert.Equal(HttpStatusCode.NotFound, notYet.StatusCode);
        Assert.Contains("has not finished yet", notYet.Message);
        Assert.Equal(GatewayFailure.Unfinished, notYet.Failure);

        // As in OpenWhisk, the record itself is not there for its clients until it ends; the list shows it running.
        var unfinished = await Assert.ThrowsAsync<GatewayException>(() => _client.GetActivationAsync(pending.ActivationId.ToString()));
        Assert.Equal((GatewayFailure.Unfinished, HttpStatusCode.NotFound), (unfinished.Failure, unfinished.StatusCode));
        Assert.Null(all.Single(a => a.ActivationId == pending.ActivationId.ToString()).End);
        var missing = await Assert.ThrowsAsync<GatewayException>(() => _client.GetActivationAsync(new string('0', 32)));
        Assert.Equal((GatewayFailure.Rejected, HttpStatusCode.NotFound), (missing.Failure, missing.StatusCode));
    }

    [Fact]
    public async Task Invoke_sends_the_body_raw_and_returns_any_status_with_headers()
    {
        using var body = new ByteArrayContent([1, 2, 3]);
        body.Headers.ContentType = new(GatewayClient.EnvelopeMediaType);

        var response = await _client.InvokeAsync("missing", body, blocking: true, result: true);

        Assert.False(response.IsSuccess);
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed, HttpStatusCode.ServiceUnavailable });
        Assert.Matches("^[0-9a-f]{32}$", response.Header("x-request-id"));
        Assert.Equal("application/json", response.ContentType);
        using var json = JsonDocument.Parse(response.Body);
        Assert.True(json.RootElement.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task A_pin_other_than_the_gateway_CA_is_refused_naming_both_fingerprints()
    {
        var pinned = new string('a', 64);
        using var client = new GatewayClient(_platform.Options(fingerprint: pinned));

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.ListActionsAsync());

        Assert.Equal(GatewayFailure.Untrusted, error.Failure);
        Assert.Null(error.StatusCode);
        Assert.Contains(_platform.Ca.Fingerprint, error.Message);
        Assert.Contains(pinned, error.Message);
    }

    [Fact]
    public async Task A_gateway_with_another_CA_is_refused_before_anything_is_sent()
    {
        var otherDirectory = PlatformFixture.NewDirectory();
        using var otherCa = PlatformCertificateAuthority.LoadOrCreate(otherDirectory);
        await using var impostor = await PlatformFixture.StartAsync(serverCa: otherCa);
        using var client = new GatewayClient(_platform.Options(endpoint: impostor.Host.Endpoint));

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.PutActionAsync("stolen", s_module));

        Assert.Equal(GatewayFailure.Untrusted, error.Failure);
        Assert.Contains("does not chain to the pinned CA " + _platform.Ca.Fingerprint, error.Message);
        Assert.Empty(impostor.Host.Registry.List("alice", PageRequest.Default));
        Directory.Delete(otherDirectory, recursive: true);
    }

    [Fact]
    public async Task Without_the_CA_certificate_the_client_refuses_and_says_where_to_get_it()
    {
        using var blind = new GatewayClient(new GatewayClientOptions
        {
            Endpoint = _platform.Host.Endpoint,
            Auth = _platform.Alice.Auth,
            CaFingerprint = _platform.Ca.Fingerprint,
        });

        var error = await Assert.ThrowsAsync<GatewayException>(() => blind.ListActionsAsync());

        Assert.Equal(GatewayFailure.Untrusted, error.Failure);
        Assert.Contains("tls/ca.crt", error.Message);
    }

    [Fact]
    public async Task A_host_name_the_certificate_does_not_name_is_refused()
    {
        await using var anyAddress = await PlatformFixture.StartAsync(address: IPAddress.Any);
        var endpoint = new Uri($"https://127.0.0.2:{anyAddress.Host.Endpoint.Port}/");
        using var client = anyAddress.Client(anyAddress.Options(endpoint: endpoint));

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.ListActionsAsync());

        Assert.Equal(GatewayFailure.Untrusted, error.Failure);
        Assert.Contains("not for host '127.0.0.2'", error.Message);

        using var localhost = anyAddress.Client(anyAddress.Options(endpoint: new Uri($"https://localhost:{anyAddress.Host.Endpoint.Port}/")));
        Assert.Empty(await localhost.ListActionsAsync());
    }

    [Fact]
    public async Task An_unreachable_gateway_names_the_address_and_says_to_start_the_platform()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var endpoint = new Uri($"https://127.0.0.1:{port}/");
        using var client = new GatewayClient(_platform.Options(endpoint: endpoint));

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.ListActionsAsync());

        Assert.Equal(GatewayFailure.Unreachable, error.Failure);
        Assert.Contains(endpoint.ToString(), error.Message);
        Assert.Contains("carapace up", error.Message);
    }

    [Fact]
    public async Task A_client_made_from_a_saved_profile_reaches_the_gateway()
    {
        _platform.Profile().Save(_platform.DataDirectory);
        var profile = Carapace.Client.Profiles.PlatformProfile.Load(_platform.DataDirectory);
        using var client = GatewayClient.Create(profile);

        await client.PutActionAsync("fromprofile", s_module);

        Assert.Equal("alice", client.Namespace);
        Assert.Equal("fromprofile", Assert.Single(await client.ListActionsAsync()).Name);
    }

    [Fact]
    public void Invalid_options_list_every_problem()
    {
        var error = Assert.Throws<ArgumentException>(() => new GatewayClient(new GatewayClientOptions
        {
            Endpoint = new Uri("http://127.0.0.1:1/"),
            Auth = "no-colon",
            CaFingerprint = "abc",
        }));

        Assert.Contains("https://", error.Message);
        Assert.Contains("uuid:key", error.Message);
        Assert.Contains("64 hexadecimal digits", error.Message);
    }

    private ActivationRecord Record(string name, bool confidential, string? resultJson, string? logs)
    {
        var record = _platform.Host.Activations.Start(Start(name, confidential));
        using var result = JsonDocument.Parse(resultJson ?? "{}");
        _platform.Host.Activations.Complete(record.ActivationId, new ActivationOutcome
        {
            Status = ActivationStatus.Success,
            PlainResult = confidential ? null : result.RootElement.Clone(),
            SealedOutput = confidential ? new byte[64] : (ReadOnlyMemory<byte>?)null,
            SealedLogs = logs is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(logs),
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
