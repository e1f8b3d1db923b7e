using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carapace.Kms.Audit;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Server;

/// <summary>
/// The secret API over attested TLS in a namespace whose policy needs 2 of 3 owners: the sealing key, the list (no
/// values), and puts and deletes that one owner alone cannot make, replays that are refused, and the offline round trip.
/// </summary>
public sealed class SecretWritesOverHttpTests : IAsyncLifetime
{
    private const string Marker = "HTTP-SECRET-MARKER-3a81c6f2";
    private ServerFixture _kms = null!;

    public async Task InitializeAsync()
    {
        _kms = await ServerFixture.StartAsync();
        var policy = _kms.Owners.Build(owners: ["alice", "bob", "carol"], approvals: 2) with
        {
            Secrets = [new() { Name = "db-password" }, new() { Name = "api-token" }],
        };
        await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(policy, "alice", "bob"));
    }

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private static byte[] MarkerBytes => Encoding.UTF8.GetBytes(Marker);

    [Fact]
    public async Task The_sealing_key_comes_over_attested_TLS_and_is_the_KMS_key()
    {
        var key = await _kms.Client.GetSecretSealingKeyAsync();

        Assert.Equal(_kms.Server.Service.SecretSealingPublicKey.ToArray(), key);
    }

    [Fact]
    public async Task One_owner_alone_is_refused_403_and_two_owners_offline_store_replace_and_delete()
    {
        var alone = await Assert.ThrowsAsync<SecretWriteException>(() => _kms.Client.PutSecretAsync("acme", "db-password", MarkerBytes, Owner("alice"), "alice"));
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, alone.Reason);
        Assert.Contains("needs 2 of its 3 owners (alice, bob, carol) to approve a put of a secret; this write has 1 (alice)", alone.Message, StringComparison.Ordinal);

        // Alice proposes, Bob approves offline (the request travels as JSON), anyone submits.
        var request = await _kms.Client.ProposeSecretWriteAsync("acme", "db-password", MarkerBytes, Owner("alice"), "alice");
        var approved = SecretWriteSigner.AddSignature(SignedSecretWrite.Parse(request.ToJson()), "bob", Owner("bob"));
        var stored = await _kms.Client.SubmitSecretWriteAsync(approved);
        Assert.Equal((SecretOperation.Put, 1L), (stored.Operation, stored.Version));
        Assert.Equal(["alice", "bob"], stored.ApprovedBy);

        var replace = await Assert.ThrowsAsync<SecretWriteException>(() => _kms.Client.PutSecretAsync("acme", "db-password", "other"u8.ToArray(), Owner("carol"), "carol"));
        var delete = await Assert.ThrowsAsync<SecretWriteException>(() => _kms.Client.DeleteSecretAsync("acme", "db-password", Owner("carol"), "carol"));
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, replace.Reason);
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, delete.Reason);
        using (var value = _kms.Server.Service.Secrets.Get("acme", "db-password")!)
        {
            Assert.Equal(MarkerBytes, value.Value.ToArray());
        }

        var deletion = SecretWriteSigner.AddSignature(await _kms.Client.ProposeSecretWriteAsync("acme", "db-password", null, Owner("carol"), "carol"), "alice", Owner("alice"));
        var deleted = await _kms.Client.SubmitSecretWriteAsync(deletion);
        Assert.Equal((SecretOperation.Delete, 2L), (deleted.Operation, deleted.Version));
        Assert.Null(_kms.Server.Service.Secrets.Get("acme", "db-password"));

        var audit = await _kms.Client.GetAuditAsync("acme", Owner("carol"), "carol");
        Assert.Equal([AuditKind.SecretWriteRejected, AuditKind.SecretPut, AuditKind.SecretWriteRejected, AuditKind.SecretWriteRejected, AuditKind.SecretDeleted],
            audit.Where(r => r.Subject == "db-password").Select(r => r.Kind));
        Assert.All(audit, r => Assert.DoesNotContain(Marker, r.Details, StringComparison.Ordinal));
        Assert.DoesNotContain(Marker, _kms.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replayed_approved_write_is_409_and_changes_nothing()
    {
        var write = await ApprovedAsync("db-password", MarkerBytes);
        await _kms.Client.SubmitSecretWriteAsync(write);

        using var http = _kms.RawClient();
        using var replay = await http.PutAsync("v1/secrets/acme/db-password", new ByteArrayContent(write.ToJson()));

        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        var body = await replay.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("StaleVersion", body.GetProperty("reason").GetString());
        Assert.Equal(1, Assert.Single(_kms.Server.Service.ListSecrets("acme"), e => e.Name == "db-password").Version);
    }

    [Fact]
    public async Task The_list_shows_names_versions_and_last_writes_never_values_and_needs_an_owner()
    {
        await _kms.Client.SubmitSecretWriteAsync(await ApprovedAsync("db-password", MarkerBytes));
        await _kms.Client.SubmitSecretWriteAsync(await ApprovedAsync("db-password", MarkerBytes));

        var list = await _kms.Client.ListSecretsAsync("acme", Owner("carol"), "carol");
        using var http = _kms.RawClient();
        using var unsigned = await http.GetAsync("v1/secrets/acme");
        var stranger = await Assert.ThrowsAsync<KmsRequestException>(() => _kms.Client.ListSecretsAsync("acme", Owner("mallory"), "mallory"));

        Assert.Equal(["api-token - 0 True", "db-password 2 2 True"], list.Select(e => $"{e.Name} {e.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {e.LastWrite} {e.Declared}"));
        Assert.NotNull(list[1].CreatedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        var raw = await SignedGetAsync("v1/secrets/acme", "alice");
        Assert.DoesNotContain(Marker, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(MarkerBytes), raw, StringComparison.Ordinal);
        Assert.Equal(["createdAt", "declared", "lastWrite", "name", "version"],
            JsonDocument.Parse(raw).RootElement.GetProperty("secrets")[1].EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_raw_value_as_the_old_API_sent_it_is_refused_and_not_stored()
    {
        using var http = _kms.RawClient();

        using var put = await http.PutAsync("v1/secrets/acme/db-password", new ByteArrayContent(MarkerBytes));
        var text = await put.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("\"reason\":\"Malformed\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        Assert.Null(_kms.Server.Service.Secrets.Get("acme", "db-password"));
    }

    [Fact]
    public async Task A_document_sent_to_another_secret_or_with_another_method_is_400_and_oversized_ones_413()
    {
        var write = await ApprovedAsync("db-password", MarkerBytes);
        using var http = _kms.RawClient();

        using var elsewhere = await http.PutAsync("v1/secrets/acme/api-token", new ByteArrayContent(write.ToJson()));
        using var asDelete = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "v1/secrets/acme/db-password") { Content = new ByteArrayContent(write.ToJson()) });
        using var big = await http.PutAsync("v1/secrets/acme/db-password", new ByteArrayContent(new byte[SignedSecretWrite.MaxBytes + 1]));

        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Contains("Mismatch", await elsewhere.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, asDelete.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Null(_kms.Server.Service.Secrets.Get("acme", "db-password"));
    }

    [Fact]
    public async Task Undeclared_secrets_and_missing_values_are_refused_before_anything_is_sent()
    {
        var undeclared = await Assert.ThrowsAsync<SecretWriteException>(() =>
            _kms.Client.ProposeSecretWriteAsync("acme", "undeclared", MarkerBytes, Owner("alice"), "alice"));
        var nothing = await Assert.ThrowsAsync<SecretWriteException>(() =>
            _kms.Client.ProposeSecretWriteAsync("acme", "api-token", null, Owner("alice"), "alice"));
        var unknown = await Assert.ThrowsAsync<KmsDeniedException>(() =>
            _kms.Client.ProposeSecretWriteAsync("nobody", "db-password", MarkerBytes, Owner("alice"), "alice"));

        Assert.Equal(SecretWriteRejection.UnknownSecret, undeclared.Reason);
        Assert.Equal(SecretWriteRejection.NoValue, nothing.Reason);
        Assert.Equal(KmsDenialReason.UnknownNamespace, unknown.Reason);
    }

    [Fact]
    public async Task The_KMS_refuses_an_undeclared_secret_404_even_when_a_client_skips_its_checks()
    {
        var key = await _kms.Client.GetSecretSealingKeyAsync();
        var write = SecretWriteSigner.Propose("acme", "undeclared", 1, key, MarkerBytes, DateTimeOffset.UtcNow.AddHours(1));
        write = SecretWriteSigner.AddSignature(SecretWriteSigner.AddSignature(write, "alice", Owner("alice")), "bob", Owner("bob"));
        using var http = _kms.RawClient();

        using var response = await http.PutAsync("v1/secrets/acme/undeclared", new ByteArrayContent(write.ToJson()));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("UnknownSecret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private OwnerKey Owner(string id) => _kms.Owners.Owner(id);

    /// <summary>A put proposed by alice and approved by bob.</summary>
    private async Task<SignedSecretWrite> ApprovedAsync(string secret, byte[] value) =>
        SecretWriteSigner.AddSignature(await _kms.Client.ProposeSecretWriteAsync("acme", secret, value, Owner("alice"), "alice"), "bob", Owner("bob"));

    private async Task<string> SignedGetAsync(string path, string owner)
    {
        using var http = _kms.RawClient();
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(Api.OwnerRequestSignature.OwnerHeader, owner);
        request.Headers.Add(Api.OwnerRequestSignature.TimeHeader, time.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(Api.OwnerRequestSignature.SignatureHeader, Api.OwnerRequestSignature.Sign(Owner(owner), "GET", "/" + path, time, []));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
