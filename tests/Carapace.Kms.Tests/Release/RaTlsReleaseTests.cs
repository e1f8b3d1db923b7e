using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Simulation;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Kms.Tests.Release;

/// <summary><see cref="KmsService.ReleaseOverRaTls"/> without HTTP: the RA-TLS binding (channel key and nonce) and simulation trust.</summary>
public sealed class RaTlsReleaseTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Policies _owners = new();
    private readonly SimulatedQuotingService _quoting = SimulatedQuotingService.CreateEphemeral();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly KmsService _kms;

    public RaTlsReleaseTests()
    {
        _kms = new KmsService(new KmsOptions { DataDirectory = _dir.Path, TimeProvider = _time, SimulationQuotingKeys = [_quoting.PublicKey] });
        _kms.SetPolicy(_owners.Sign(_owners.Build(allowSimulation: true), "alice"));
        _kms.SetPolicy(_owners.Sign(_owners.Build(ns: "strict"), "alice"));
        _kms.PutSecret("acme", "db-password", "hunter2"u8);
        _kms.PutSecret("strict", "db-password", "hunter2"u8);
    }

    public void Dispose()
    {
        _kms.Dispose();
        _key.Dispose();
        _quoting.Dispose();
        _owners.Dispose();
        _dir.Dispose();
    }

    private async Task<byte[]> CertificateAsync(ReadOnlyMemory<byte> nonce, SimulatedQuotingService? quoting = null)
    {
        var issuer = new SimulatedEvidenceIssuer(quoting ?? _quoting, Convert.FromHexString(Policies.SimHash), _time);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(_key, issuer, nonce, "enclave", TimeSpan.FromMinutes(5), _time);
        return certificate.RawData;
    }

    private byte[] ChannelKey => _key.ExportSubjectPublicKeyInfo();

    [Fact]
    public async Task A_certificate_over_an_issued_nonce_on_its_own_channel_is_released()
    {
        var nonce = _kms.IssueNonce();

        using var entitlement = _kms.ReleaseOverRaTls("acme", "f", await CertificateAsync(nonce.Value), ChannelKey);

        Assert.Equal(EvidenceKind.Simulation, entitlement.EvidenceKind);
        Assert.Contains("\"evidence\":\"ratls/sim\"", _kms.Audit.Read()[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_presented_on_another_keys_channel_is_relayed_evidence()
    {
        var nonce = _kms.IssueNonce();
        using var relay = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await CertificateAsync(nonce.Value);

        var denied = Assert.Throws<KmsDeniedException>(() => _kms.ReleaseOverRaTls("acme", "f", certificate, relay.ExportSubjectPublicKeyInfo()));

        Assert.Equal(KmsDenialReason.EvidenceNotBound, denied.Reason);
        Assert.Contains("not the key of the TLS channel", denied.Message, StringComparison.Ordinal);
        Assert.Equal(AuditKind.ReleaseDenied, _kms.Audit.Read()[^1].Kind);
    }

    [Fact]
    public async Task Evidence_from_an_untrusted_quoting_key_is_not_verified()
    {
        var nonce = _kms.IssueNonce();
        using var other = SimulatedQuotingService.CreateEphemeral();
        var certificate = await CertificateAsync(nonce.Value, other);

        var denied = Assert.Throws<KmsDeniedException>(() => _kms.ReleaseOverRaTls("acme", "f", certificate, ChannelKey));

        Assert.Equal(KmsDenialReason.EvidenceNotVerified, denied.Reason);
        Assert.Contains("BrokenChain", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_allowSimulation_the_quoting_key_is_not_trusted_and_the_denial_says_why()
    {
        var nonce = _kms.IssueNonce();
        var certificate = await CertificateAsync(nonce.Value);

        var denied = Assert.Throws<KmsDeniedException>(() => _kms.ReleaseOverRaTls("strict", "f", certificate, ChannelKey));

        Assert.Equal(KmsDenialReason.SimulationNotAllowed, denied.Reason);
    }

    [Fact]
    public void Garbage_instead_of_a_certificate_is_denied_and_audited()
    {
        var denied = Assert.Throws<KmsDeniedException>(() => _kms.ReleaseOverRaTls("acme", "f", new byte[] { 0x30, 0x03, 1, 2, 3 }, ChannelKey));

        Assert.Equal(KmsDenialReason.NonceUnknown, denied.Reason);
        Assert.Contains("\"evidence\":\"ratls/none\"", _kms.Audit.Read()[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_with_an_RA_TLS_result_checks_the_certificate_key_and_nonce_claim()
    {
        var nonce = _kms.IssueNonce();
        var certificate = await CertificateAsync(nonce.Value);
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate,
            new VerificationOptions { TimeProvider = _time, SimulationQuotingKeys = [_quoting.PublicKey] });
        Assert.True(result.Verified, result.ToString());
        var otherNonce = _kms.IssueNonce();

        var wrongNonce = Assert.Throws<KmsDeniedException>(() => _kms.Release("acme", "f", result, otherNonce.Value.Span, ChannelKey));
        Assert.Equal(KmsDenialReason.EvidenceNotBound, wrongNonce.Reason);
        Assert.Contains("does not bind the issued nonce", wrongNonce.Message, StringComparison.Ordinal);

        using var entitlement = _kms.Release("acme", "f", result, nonce.Value.Span, ChannelKey);
        Assert.Equal("f", entitlement.Function);
    }

    [Fact]
    public async Task An_expired_nonce_is_denied()
    {
        var nonce = _kms.IssueNonce();
        var certificate = await CertificateAsync(nonce.Value);
        _time.Advance(TimeSpan.FromSeconds(90));

        var denied = Assert.Throws<KmsDeniedException>(() => _kms.ReleaseOverRaTls("acme", "f", certificate, ChannelKey));

        Assert.Equal(KmsDenialReason.NonceExpired, denied.Reason);
    }

    [Fact]
    public void A_self_signed_certificate_without_evidence_is_denied()
    {
        var request = new CertificateRequest("CN=plain", _key, HashAlgorithmName.SHA256);
        using var plain = request.CreateSelfSigned(_time.GetUtcNow().AddMinutes(-1), _time.GetUtcNow().AddMinutes(5));

        var denied = Assert.Throws<KmsDeniedException>(() => _kms.ReleaseOverRaTls("acme", "f", plain.RawData, ChannelKey));

        Assert.Equal(KmsDenialReason.NonceUnknown, denied.Reason);
        Assert.Contains("\"evidence\":\"ratls/none\"", _kms.Audit.Read()[^1].Details, StringComparison.Ordinal);
    }
}
