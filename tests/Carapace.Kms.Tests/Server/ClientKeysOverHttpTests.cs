using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Audit;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Kms.Tests.Server;

/// <summary>
/// Clients of a namespace get a chain's client-side edge keys (entry, exit, logs) over the attested channel with a
/// request signed by their key in the policy; everything else is denied, and every outcome is audited.
/// </summary>
public sealed class ClientKeysOverHttpTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServerFixture _kms = null!;

    public async Task InitializeAsync()
    {
        _kms = await ServerFixture.StartAsync(_clock);
        await _kms.SetPolicyAsync(AcmePolicy());
    }

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private OwnerKey Web => _kms.Owners.Owner("web");

    /// <summary>Chains pipeline (f → g) and solo (f); clients web and cli.</summary>
    private KmsPolicy AcmePolicy(ulong version = 1, params string[] clients)
    {
        var policy = _kms.Owners.Build(version: version, allowSimulation: true);
        return policy with
        {
            Chains = [.. policy.Chains, new PolicyChain { Name = "solo", Steps = ["f"] }],
            Clients = [.. (clients.Length == 0 ? ["web", "cli"] : clients).Select(_kms.Owners.Principal)],
        };
    }

    private Task<ChainKeys> GetAsync(string chain = "pipeline", string ns = "acme", OwnerKey? key = null, string clientId = "web") =>
        _kms.Client.GetChainKeysAsync(ns, chain, key ?? Web, clientId);

    private async Task<KmsDeniedException> DeniedAsync(Func<Task> request) => await Assert.ThrowsAsync<KmsDeniedException>(request);

    /// <summary>Sends a client-keys request by hand: <paramref name="signed"/> overrides what the signature covers.</summary>
    private async Task<(HttpStatusCode Status, string Reason)> SendRawAsync(string ns = "acme", string chain = "pipeline", string? clientId = "web",
        OwnerKey? key = null, long? time = null, (string Path, string Body)? signed = null, bool sign = true, string header = OwnerRequestSignature.ClientHeader,
        Func<string, string>? tamper = null)
    {
        using var http = _kms.RawClient();
        var body = $$"""{"namespace":"{{ns}}","chain":"{{chain}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/client-keys") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var at = time ?? _clock.GetUtcNow().ToUnixTimeSeconds();
        if (sign)
        {
            var (signedPath, signedBody) = signed ?? ("/v1/client-keys", body);
            var signature = OwnerRequestSignature.Sign(key ?? Web, "POST", signedPath, at, Encoding.UTF8.GetBytes(signedBody));
            request.Headers.Add(header, clientId);
            request.Headers.Add(OwnerRequestSignature.TimeHeader, at.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(OwnerRequestSignature.SignatureHeader, tamper is null ? signature : tamper(signature));
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var reason = response.StatusCode == HttpStatusCode.OK ? "" : JsonDocument.Parse(text).RootElement.GetProperty("reason").GetString()!;
        return (response.StatusCode, reason);
    }

    private IReadOnlyList<AuditRecord> Audit(AuditKind kind) => [.. _kms.Server.Service.Audit.Read().Where(r => r.Kind == kind)];

    private static string Base64Of(EdgeKey key)
    {
        var bytes = new byte[EdgeKey.Size];
        key.CopyTo(bytes);
        return Convert.ToBase64String(bytes);
    }

    private static string HexOf(EdgeKey key)
    {
        var bytes = new byte[EdgeKey.Size];
        key.CopyTo(bytes);
        return Convert.ToHexString(bytes);
    }

    [Fact]
    public async Task A_client_gets_exactly_the_keys_the_chains_enclaves_get()
    {
        using var keys = await GetAsync();
        using var first = await _kms.Client.AttestAndReleaseAsync("acme", "f", _kms.Enclave(Policies.SimHash));
        using var second = _kms.Server.Service.Releases.Decide("acme", "g",
            Attest.Sgx(Attest.Bytes(32, 0x01), Convert.FromHexString(Policies.SgxSigner), productId: 7, svn: 3));

        Assert.Equal(("acme", "pipeline", 2, 1UL), (keys.Namespace, keys.Chain, keys.Steps, keys.PolicyVersion));
        Assert.Equal(first.Edge("pipeline", 0, 1)!.Id, keys.Entry.Id);
        Assert.Equal(second.Edge("pipeline", 2, 3)!.Id, keys.Exit.Id);
        Assert.Equal(first.Edge("pipeline", 1, 0)!.Id, keys.Log(1).Id);
        Assert.Equal(second.Edge("pipeline", 2, 0)!.Id, keys.Log(2).Id);
        Assert.Equal(("pipeline", 0, 1), (keys.Entry.ChainId, keys.Entry.FromStep, keys.Entry.ToStep));
        Assert.Equal(("pipeline", 2, 3), (keys.Exit.ChainId, keys.Exit.FromStep, keys.Exit.ToStep));
        Assert.Equal(("pipeline", 2, 0), (keys.Log(2).ChainId, keys.Log(2).FromStep, keys.Log(2).ToStep));
        // The middle edge 1 → 2 stays between the enclaves.
        Assert.DoesNotContain(keys.ToString(), first.Edge("pipeline", 1, 2)!.Id.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_step_chain_has_an_entry_an_exit_and_one_log_key()
    {
        using var keys = await GetAsync("solo", clientId: "cli", key: _kms.Owners.Owner("cli"));
        using var enclave = await _kms.Client.AttestAndReleaseAsync("acme", "f", _kms.Enclave(Policies.SimHash));

        Assert.Equal(1, keys.Steps);
        Assert.Equal(enclave.Edge("solo", 0, 1)!.Id, keys.Entry.Id);
        Assert.Equal(enclave.Edge("solo", 1, 2)!.Id, keys.Exit.Id);
        Assert.Equal(enclave.Edge("solo", 1, 0)!.Id, keys.Log(1).Id);
        Assert.Throws<ArgumentOutOfRangeException>(() => keys.Log(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => keys.Log(2));
    }

    [Fact]
    public async Task A_release_is_audited_and_logged_with_fingerprints_never_key_bytes()
    {
        string[] secrets;
        using (var keys = await GetAsync())
        {
            secrets = [.. new[] { keys.Entry, keys.Exit, keys.Log(1), keys.Log(2) }.SelectMany(k => new[] { Base64Of(k), HexOf(k), HexOf(k).ToLowerInvariant() })];
            var record = Assert.Single(Audit(AuditKind.ClientKeysReleased));

            Assert.Equal(("acme", "pipeline"), (record.Namespace, record.Subject));
            Assert.Contains("\"client\":\"web\"", record.Details, StringComparison.Ordinal);
            Assert.Contains("\"steps\":2", record.Details, StringComparison.Ordinal);
            var edgeKeys = JsonDocument.Parse(record.Details).RootElement.GetProperty("edgeKeys").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Equal(
                [$"pipeline 0->1 {keys.Entry.Id}", $"pipeline 2->3 {keys.Exit.Id}", $"pipeline 1->0 {keys.Log(1).Id}", $"pipeline 2->0 {keys.Log(2).Id}"],
                edgeKeys);
            Assert.Contains(keys.Exit.Id.ToString(), keys.ToString(), StringComparison.Ordinal);
            Assert.All(secrets, s => Assert.DoesNotContain(s, keys.ToString(), StringComparison.Ordinal));
        }

        var everything = string.Join("\n", _kms.Server.Service.Audit.Read().Select(r => r.Details)) + _kms.Logs.All;
        Assert.Contains("released to client 'web'", _kms.Logs.All, StringComparison.Ordinal);
        Assert.All(secrets, s => Assert.DoesNotContain(s, everything, StringComparison.Ordinal));
        Assert.True(_kms.Server.Service.Audit.Verify().IsIntact);
    }

    [Fact]
    public async Task Disposed_keys_are_zeroed_and_cannot_be_used()
    {
        var keys = await GetAsync();
        var entry = keys.Entry;

        keys.Dispose();

        Assert.Throws<ObjectDisposedException>(() => keys.Entry);
        Assert.Throws<ObjectDisposedException>(() => keys.Log(1));
        Assert.Throws<ObjectDisposedException>(() => entry.CopyTo(new byte[EdgeKey.Size]));
    }

    [Fact]
    public async Task An_unknown_namespace_is_denied_404_and_audited()
    {
        var denied = await DeniedAsync(() => GetAsync(ns: "nobody"));
        var raw = await SendRawAsync(ns: "nobody");

        Assert.Equal(KmsDenialReason.UnknownNamespace, denied.Reason);
        Assert.Equal("namespace 'nobody' has no policy; its owners must set one first", denied.Message);
        Assert.Equal((HttpStatusCode.NotFound, "UnknownNamespace"), raw);
        Assert.Equal(2, Audit(AuditKind.ClientKeysDenied).Count(r => r.Namespace == "nobody" && r.Details.Contains("\"reason\":\"UnknownNamespace\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_unknown_chain_is_denied_404_and_audited()
    {
        var denied = await DeniedAsync(() => GetAsync("nope"));
        var raw = await SendRawAsync(chain: "nope");

        Assert.Equal(KmsDenialReason.UnknownChain, denied.Reason);
        Assert.StartsWith("client keys refused: chain 'nope' is not in policy v1 of namespace 'acme'", denied.Message, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.NotFound, "UnknownChain"), raw);
        var record = Audit(AuditKind.ClientKeysDenied)[0];
        Assert.Equal(("acme", "nope"), (record.Namespace, record.Subject));
        Assert.Contains("\"client\":\"web\"", record.Details, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"UnknownChain\"", record.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_client_and_an_owner_who_is_not_a_client_are_denied_403()
    {
        var stranger = await DeniedAsync(() => GetAsync(key: _kms.Owners.Owner("mallory"), clientId: "mallory"));
        var owner = await DeniedAsync(() => GetAsync(key: _kms.Owners.Owner("alice"), clientId: "alice"));
        var raw = await SendRawAsync(clientId: "mallory", key: _kms.Owners.Owner("mallory"));

        Assert.Equal(KmsDenialReason.UnknownClient, stranger.Reason);
        Assert.Equal(KmsDenialReason.UnknownClient, owner.Reason);
        Assert.StartsWith("'alice' is not a client of namespace 'acme' (policy v1)", owner.Message, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, "UnknownClient"), raw);
        Assert.Contains(Audit(AuditKind.ClientKeysDenied), r => r.Details.Contains("\"client\":\"mallory\"", StringComparison.Ordinal));
        Assert.Empty(Audit(AuditKind.ClientKeysReleased));
    }

    [Fact]
    public async Task A_client_of_another_namespace_is_refused()
    {
        // beta lists its own client 'partner', and a client also called 'web' with another key.
        var beta = _kms.Owners.Build(ns: "beta") with
        {
            Clients = [_kms.Owners.Principal("partner"), new PolicyPrincipal { Id = "web", PublicKey = _kms.Owners.Owner("beta-web").PublicKeyBase64 }],
        };
        await _kms.SetPolicyAsync(beta);
        using (await _kms.Client.GetChainKeysAsync("beta", "pipeline", _kms.Owners.Owner("partner"), "partner"))
        {
        }

        var partner = await DeniedAsync(() => GetAsync(key: _kms.Owners.Owner("partner"), clientId: "partner"));
        var sameName = await DeniedAsync(() => GetAsync(key: _kms.Owners.Owner("beta-web"), clientId: "web"));

        Assert.Equal(KmsDenialReason.UnknownClient, partner.Reason);
        Assert.Equal(KmsDenialReason.BadSignature, sameName.Reason);
        Assert.StartsWith("the signature of client 'web' does not verify", sameName.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Audit(AuditKind.ClientKeysReleased), r => r.Namespace == "acme");
    }

    [Fact]
    public async Task A_signature_by_another_key_is_denied_401()
    {
        using var mallory = OwnerKey.Generate();

        var denied = await DeniedAsync(() => GetAsync(key: mallory));
        var raw = await SendRawAsync(key: mallory);

        Assert.Equal(KmsDenialReason.BadSignature, denied.Reason);
        Assert.Equal((HttpStatusCode.Unauthorized, "BadSignature"), raw);
        Assert.Equal(2, Audit(AuditKind.ClientKeysDenied).Count(r => r.Details.Contains("\"reason\":\"BadSignature\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_request_without_signature_or_with_the_owner_header_is_denied_401_and_audited()
    {
        var unsigned = await SendRawAsync(sign: false);
        var asOwner = await SendRawAsync(header: OwnerRequestSignature.OwnerHeader);

        Assert.Equal((HttpStatusCode.Unauthorized, "MissingSignature"), unsigned);
        Assert.Equal((HttpStatusCode.Unauthorized, "MissingSignature"), asOwner);
        var records = Audit(AuditKind.ClientKeysDenied);
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.DoesNotContain("\"client\"", r.Details, StringComparison.Ordinal));
        Assert.All(records, r => Assert.Contains("Carapace-Client", r.Details, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tampered_signature_body_or_path_does_not_verify()
    {
        var flipped = await SendRawAsync(tamper: s =>
        {
            var bytes = Convert.FromBase64String(s);
            bytes[10] ^= 1;
            return Convert.ToBase64String(bytes);
        });
        var notBase64 = await SendRawAsync(tamper: _ => "not base64!");
        var otherBody = await SendRawAsync(signed: ("/v1/client-keys", """{"namespace":"acme","chain":"solo"}"""));
        var otherPath = await SendRawAsync(signed: ("/v1/release", """{"namespace":"acme","chain":"pipeline"}"""));
        var genuine = await SendRawAsync();

        Assert.Equal((HttpStatusCode.Unauthorized, "BadSignature"), flipped);
        Assert.Equal((HttpStatusCode.Unauthorized, "BadSignature"), notBase64);
        Assert.Equal((HttpStatusCode.Unauthorized, "BadSignature"), otherBody);
        Assert.Equal((HttpStatusCode.Unauthorized, "BadSignature"), otherPath);
        Assert.Equal((HttpStatusCode.OK, ""), genuine);
        Assert.Equal(4, Audit(AuditKind.ClientKeysDenied).Count);
        Assert.Single(Audit(AuditKind.ClientKeysReleased));
    }

    [Theory]
    [InlineData(-301, HttpStatusCode.Unauthorized)]
    [InlineData(301, HttpStatusCode.Unauthorized)]
    [InlineData(-300, HttpStatusCode.OK)]
    [InlineData(290, HttpStatusCode.OK)]
    public async Task A_signing_time_outside_the_skew_window_is_stale(int seconds, HttpStatusCode expected)
    {
        var (status, reason) = await SendRawAsync(time: _clock.GetUtcNow().ToUnixTimeSeconds() + seconds);

        Assert.Equal(expected, status);
        Assert.Equal(expected == HttpStatusCode.OK ? "" : "StaleSignature", reason);
    }

    [Fact]
    public async Task A_captured_request_replayed_after_the_skew_window_is_stale_and_audited()
    {
        var signedAt = _clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal((HttpStatusCode.OK, ""), await SendRawAsync(time: signedAt));

        _clock.Advance(OwnerRequestSignature.MaxClockSkew + TimeSpan.FromSeconds(1));
        var replayed = await SendRawAsync(time: signedAt);

        Assert.Equal((HttpStatusCode.Unauthorized, "StaleSignature"), replayed);
        var record = Assert.Single(Audit(AuditKind.ClientKeysDenied));
        Assert.Contains("\"client\":\"web\"", record.Details, StringComparison.Ordinal);
        Assert.Contains($"signed at Unix time {signedAt}", record.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_whose_clock_is_off_by_more_than_the_window_gets_a_StaleSignature_denial()
    {
        using var ahead = new KmsClient(_kms.Server.Endpoint, new KmsServerTrust
        {
            AllowSimulation = true,
            SimulationQuotingKeys = [_kms.Server.QuotingKey],
            TimeProvider = new FakeTimeProvider(_clock.GetUtcNow().AddMinutes(6)),
        });

        var denied = await DeniedAsync(() => ahead.GetChainKeysAsync("acme", "pipeline", Web, "web"));

        Assert.Equal(KmsDenialReason.StaleSignature, denied.Reason);
        Assert.Contains("check the clock and sign it again", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_removed_from_the_current_policy_is_denied()
    {
        using (await GetAsync())
        {
        }

        await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(AcmePolicy(version: 2, "cli"), "alice"));
        var denied = await DeniedAsync(() => GetAsync());

        Assert.Equal(KmsDenialReason.UnknownClient, denied.Reason);
        Assert.Contains("(policy v2)", denied.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"namespace":"acme"}""")]
    [InlineData("""{"namespace":"acme","chain":"pipeline","extra":1}""")]
    [InlineData("""{"namespace":"bad name","chain":"pipeline"}""")]
    [InlineData("not json")]
    public async Task A_malformed_request_is_400(string body)
    {
        using var http = _kms.RawClient();

        using var response = await http.PostAsync("v1/client-keys", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("BadJson", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_refuses_bad_names_before_sending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _kms.Client.GetChainKeysAsync("acme", "bad chain", Web, "web"));
        await Assert.ThrowsAsync<ArgumentException>(() => _kms.Client.GetChainKeysAsync("acme", "pipeline", Web, "bad id"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _kms.Client.GetChainKeysAsync("acme", "pipeline", null!, "web"));

        Assert.Empty(Audit(AuditKind.ClientKeysDenied));
    }
}
