using System.Net.Http.Json;
using System.Text;
using Carapace.Kms.Release;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Server;

/// <summary>A marker secret value travels only inside sealed releases: never in logs, error bodies, audit rows or the database.</summary>
public sealed class ServerSecrecyTests : IAsyncLifetime
{
    private const string Marker = "SECRET-MARKER-6d1f0a93";
    private ServerFixture _kms = null!;

    public async Task InitializeAsync() => _kms = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    [Fact]
    public async Task The_marker_never_appears_in_logs_error_bodies_or_audit_rows()
    {
        var markerBytes = Encoding.UTF8.GetBytes(Marker);
        var texts = new List<string>();
        await _kms.SetPolicyAsync(_kms.Owners.Build(allowSimulation: true), secret: Marker);
        await _kms.SetPolicyAsync(_kms.Owners.Build(ns: "strict"), secret: Marker);

        using (var entitlement = await _kms.Client.AttestAndReleaseAsync("acme", "f", _kms.Enclave(Policies.SimHash)))
        {
            Assert.Equal(markerBytes, entitlement.Secret("db-password")!.Value.ToArray());
            texts.Add(entitlement.ToString());
        }

        // Denials of every kind, and secret writes that are refused.
        foreach (var (ns, measurement) in new[] { ("acme", Attest.Hex(32, 0x77)), ("strict", Policies.SimHash), ("nobody", Policies.SimHash) })
        {
            var denied = await Assert.ThrowsAsync<KmsDeniedException>(() => _kms.Client.AttestAndReleaseAsync(ns, "f", _kms.Enclave(measurement)));
            texts.Add(denied.ToString());
        }

        using var http = _kms.RawClient();
        foreach (var path in new[] { "v1/secrets/acme/db-password", "v1/secrets/acme/undeclared", "v1/secrets/nobody/db-password" })
        {
            using var unsigned = await http.PutAsync(path, new ByteArrayContent(markerBytes));
            texts.Add(await unsigned.Content.ReadAsStringAsync());
        }

        var undeclared = await Assert.ThrowsAsync<Carapace.Kms.Secrets.SecretWriteException>(() =>
            _kms.Client.PutSecretAsync("acme", "undeclared", markerBytes, _kms.Owners.Owner("alice"), "alice"));
        texts.Add(undeclared.ToString());

        // A proposal (the request file owners pass around) and what the KMS says about a replay of it.
        var request = await _kms.Client.ProposeSecretWriteAsync("acme", "db-password", markerBytes, _kms.Owners.Owner("alice"), "alice");
        texts.Add(Encoding.UTF8.GetString(request.ToJson()));
        await _kms.Client.SubmitSecretWriteAsync(request);
        var replay = await Assert.ThrowsAsync<Carapace.Kms.Secrets.SecretWriteException>(() => _kms.Client.SubmitSecretWriteAsync(request));
        texts.Add(replay.ToString());
        texts.AddRange(RawSql.Dump(_kms.Dir.Database, "secret_writes"));
        using var badJson = await http.PostAsync("v1/release", new StringContent(Marker));
        texts.Add(await badJson.Content.ReadAsStringAsync());
        using var badPolicy = await http.PutAsync("v1/policies/acme", new StringContent("{\"policy\":\"" + Marker + "\"}"));
        texts.Add(await badPolicy.Content.ReadAsStringAsync());

        var audit = await _kms.Client.GetAuditAsync("acme", _kms.Owners.Owner("alice"), "alice");
        texts.AddRange(audit.Select(r => $"{r.Kind} {r.Subject} {r.Details}"));
        texts.AddRange(RawSql.Dump(_kms.Dir.Database, "audit"));
        texts.Add(string.Join("\n", RawSql.Dump(_kms.Dir.Database, "secrets")));
        texts.Add(_kms.Logs.All);

        Assert.NotEmpty(_kms.Logs.Lines);
        Assert.Contains(_kms.Logs.Lines, l => l.Contains("SIMULATION", StringComparison.Ordinal));
        foreach (var text in texts)
        {
            Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(markerBytes), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(markerBytes), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_server_logs_a_loud_simulation_warning_at_start_with_stable_event_ids()
    {
        await Task.Yield();

        var warning = Assert.Single(_kms.Logs.Lines, l => l.Contains("Carapace.Kms [2]", StringComparison.Ordinal));
        Assert.StartsWith("Warning Carapace.Kms [2] SIMULATION: this KMS attests itself with simulation evidence", warning, StringComparison.Ordinal);
        Assert.Contains(_kms.Logs.Lines, l => l.Contains("[1] KMS listening on " + _kms.Server.Endpoint, StringComparison.Ordinal));
    }
}
