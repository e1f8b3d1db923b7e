using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Server;

/// <summary>Owners read and verify the hash-chained audit log through the server; tampering is reported.</summary>
public sealed class AuditOverHttpTests : IAsyncLifetime
{
    private ServerFixture _kms = null!;

    public async Task InitializeAsync()
    {
        _kms = await ServerFixture.StartAsync();
        await _kms.SetPolicyAsync(_kms.Owners.Build(allowSimulation: true));
        await _kms.SetPolicyAsync(_kms.Owners.Build(ns: "other"));
    }

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    [Fact]
    public async Task The_audit_of_a_namespace_lists_its_records_in_order_and_verifies()
    {
        using (await _kms.Client.AttestAndReleaseAsync("acme", "f", _kms.Enclave(Policies.SimHash)))
        {
        }

        await Assert.ThrowsAsync<KmsDeniedException>(() => _kms.Client.AttestAndReleaseAsync("acme", "f", _kms.Enclave(Attest.Hex(32, 0x99))));

        var records = await _kms.Client.GetAuditAsync("acme", _kms.Owners.Owner("alice"), "alice");
        var verification = await _kms.Client.VerifyAuditAsync("acme", _kms.Owners.Owner("alice"), "alice");

        Assert.Equal([AuditKind.PolicyUpdated, AuditKind.SecretPut, AuditKind.KeyReleased, AuditKind.ReleaseDenied], records.Select(r => r.Kind));
        Assert.All(records, r => Assert.Equal("acme", r.Namespace));
        Assert.Equal(records.Select(r => r.Seq).Order(), records.Select(r => r.Seq));
        Assert.Contains("\"reason\":\"NotInPolicy\"", records[^1].Details, StringComparison.Ordinal);
        Assert.True(verification.IsIntact, verification.Message);
        Assert.Equal(_kms.Server.Service.Audit.Head, verification.Head);
        Assert.Equal(records[^1].Hash.ToArray(), Convert.FromHexString(verification.Head!.Value.Hash));
    }

    [Fact]
    public async Task A_tampered_database_row_is_reported_by_verify()
    {
        var records = await _kms.Client.GetAuditAsync("acme", _kms.Owners.Owner("alice"), "alice");
        var victim = records[1].Seq;

        RawSql.Execute(_kms.Dir.Database, "UPDATE audit SET subject = 'forged' WHERE seq = $seq", ("$seq", victim));
        var verification = await _kms.Client.VerifyAuditAsync("acme", _kms.Owners.Owner("alice"), "alice");

        Assert.False(verification.IsIntact);
        Assert.Equal(AuditFault.HashMismatch, verification.Fault);
        Assert.Equal(victim, verification.FirstBadSeq);
        Assert.Contains($"record {victim} was modified", verification.Message, StringComparison.Ordinal);
    }
}
