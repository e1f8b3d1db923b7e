using Carapace.Attestation;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests;

public sealed class KmsServiceTests : IDisposable
{
    private static readonly byte[] s_sgx = Convert.FromHexString(Policies.SgxHash);
    private readonly KmsFixture _kms = new();
    private readonly byte[] _enclaveKey;

    public KmsServiceTests()
    {
        _kms.Service.SetPolicy(_kms.Owners.Sign(_kms.Owners.Build(), "alice"));
        _kms.Service.PutSecret("acme", "db-password", "hunter2"u8);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        _enclaveKey = key.ExportSubjectPublicKeyInfo();
    }

    public void Dispose() => _kms.Dispose();

    private AttestationResult BoundEvidence(ReadOnlyMemory<byte> nonce) => Attest.Sgx(s_sgx, reportData: ReportData.Bind(_enclaveKey, nonce.Span));

    [Fact]
    public void Release_accepts_fresh_evidence_bound_to_the_nonce_and_the_channel_key()
    {
        var nonce = _kms.Service.IssueNonce();

        using var entitlement = _kms.Service.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey);

        Assert.Equal("f", entitlement.Function);
        Assert.Equal(AuditKind.KeyReleased, _kms.Service.Audit.Read()[^1].Kind);
    }

    [Fact]
    public void Release_refuses_the_same_nonce_twice()
    {
        var nonce = _kms.Service.IssueNonce();
        _kms.Service.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey).Dispose();

        var e = Assert.Throws<KmsDeniedException>(() => _kms.Service.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey));

        Assert.Equal(KmsDenialReason.NonceReplayed, e.Reason);
        Assert.Contains("\"reason\":\"NonceReplayed\"", _kms.Service.Audit.Read()[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Release_refuses_an_expired_nonce()
    {
        var nonce = _kms.Service.IssueNonce();
        _kms.Time.Advance(TimeSpan.FromSeconds(61));

        var e = Assert.Throws<KmsDeniedException>(() => _kms.Service.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey));

        Assert.Equal(KmsDenialReason.NonceExpired, e.Reason);
    }

    [Fact]
    public void Release_refuses_evidence_bound_to_another_nonce()
    {
        var old = _kms.Service.IssueNonce();
        var nonce = _kms.Service.IssueNonce();

        var e = Assert.Throws<KmsDeniedException>(() => _kms.Service.Release("acme", "f", BoundEvidence(old.Value), nonce.Value.Span, _enclaveKey));

        Assert.Equal(KmsDenialReason.EvidenceNotBound, e.Reason);
    }

    [Fact]
    public void Release_refuses_evidence_bound_to_another_channel_key()
    {
        var nonce = _kms.Service.IssueNonce();
        var otherKey = (byte[])_enclaveKey.Clone();
        otherKey[^1] ^= 1;

        var e = Assert.Throws<KmsDeniedException>(() => _kms.Service.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, otherKey));

        Assert.Equal(KmsDenialReason.EvidenceNotBound, e.Reason);
    }

    [Fact]
    public void A_failed_release_still_uses_up_the_nonce()
    {
        var nonce = _kms.Service.IssueNonce();
        Assert.Throws<KmsDeniedException>(() => _kms.Service.Release("acme", "g", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey));

        var e = Assert.Throws<KmsDeniedException>(() => _kms.Service.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey));

        Assert.Equal(KmsDenialReason.NonceReplayed, e.Reason);
    }

    [Fact]
    public void PutSecret_refuses_a_secret_the_policy_does_not_declare()
    {
        var unknown = Assert.Throws<KmsDeniedException>(() => _kms.Service.PutSecret("acme", "other", "x"u8));
        var noPolicy = Assert.Throws<KmsDeniedException>(() => _kms.Service.PutSecret("nobody", "db-password", "x"u8));

        Assert.Equal(KmsDenialReason.UnknownSecret, unknown.Reason);
        Assert.Equal(KmsDenialReason.UnknownNamespace, noPolicy.Reason);
    }

    [Fact]
    public void The_simulated_master_key_is_an_owner_only_file_and_the_kms_says_it_is_insecure()
    {
        var path = Path.Combine(_kms.Dir.Kms, "master.key");

        Assert.True(_kms.Service.IsSimulated);
        Assert.Contains("INSECURE", _kms.Service.Warning, StringComparison.Ordinal);
        Assert.Contains("MRSIGNER/MRENCLAVE", _kms.Service.Warning, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_kms.Dir.Kms));
    }

    [Fact]
    public void A_master_key_file_other_users_can_read_is_refused()
    {
        _kms.Service.Dispose();
        File.SetUnixFileMode(Path.Combine(_kms.Dir.Kms, "master.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var e = Assert.Throws<KmsKeyFileException>(() => _kms.Reopen());

        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void State_survives_a_restart()
    {
        var kms = _kms.Reopen();
        var nonce = kms.IssueNonce();

        using var entitlement = kms.Release("acme", "f", BoundEvidence(nonce.Value), nonce.Value.Span, _enclaveKey);

        Assert.Equal("hunter2"u8.ToArray(), entitlement.Secret("db-password")!.Value.ToArray());
        Assert.True(kms.Audit.Verify().IsIntact);
    }

    [Fact]
    public void Options_report_every_problem_at_once()
    {
        var options = new KmsOptions { DataDirectory = "", NonceLifetime = TimeSpan.Zero, MaxOutstandingNonces = 0 };

        var e = Assert.Throws<ArgumentException>(() => new KmsService(options));

        Assert.Equal(3, options.Validate().Count);
        Assert.Contains("DataDirectory", e.Message, StringComparison.Ordinal);
        Assert.Contains("NonceLifetime", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxOutstandingNonces", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_options_are_valid_once_a_folder_is_given() =>
        Assert.Empty(new KmsOptions { DataDirectory = _kms.Dir.Path }.Validate());
}
