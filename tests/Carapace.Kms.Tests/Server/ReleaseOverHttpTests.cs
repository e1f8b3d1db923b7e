using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation;
using Carapace.Attestation.RaTls;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Server;

/// <summary>Attested key release through the real server: RA-TLS client certificates, nonces, policy, sealed responses.</summary>
public sealed class ReleaseOverHttpTests : IAsyncLifetime
{
    private ServerFixture _kms = null!;

    public async Task InitializeAsync()
    {
        _kms = await ServerFixture.StartAsync();
        await _kms.SetPolicyAsync(_kms.Owners.Build(allowSimulation: true));
    }

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private Task<Entitlement> ReleaseAsync(string function = "f", string? measurement = null, string ns = "acme") =>
        _kms.Client.AttestAndReleaseAsync(ns, function, _kms.Enclave(measurement ?? Policies.SimHash));

    private async Task<KmsDeniedException> DeniedAsync(Func<Task> release) => await Assert.ThrowsAsync<KmsDeniedException>(release);

    [Fact]
    public async Task Simulation_evidence_in_policy_gets_the_functions_secrets_and_edge_keys()
    {
        using var entitlement = await ReleaseAsync();

        Assert.Equal("acme", entitlement.Namespace);
        Assert.Equal("f", entitlement.Function);
        Assert.Equal(EvidenceKind.Simulation, entitlement.EvidenceKind);
        Assert.Equal(Policies.SimHash, entitlement.Measurement);
        Assert.Equal("hunter2", Encoding.UTF8.GetString(entitlement.Secret("db-password")!.Value));
        Assert.Equal([new ChainStep("pipeline", 1, 2)], entitlement.Steps);
        Assert.Equal(["pipeline 0->1", "pipeline 1->2", "pipeline 1->0"], entitlement.EdgeKeys.Select(k => $"{k.ChainId} {k.FromStep}->{k.ToStep}"));
        // The same keys the KMS derives for that edge itself.
        using var direct = _kms.Server.Service.Releases.Decide("acme", "f", Attest.Sim(Convert.FromHexString(Policies.SimHash)));
        Assert.Equal(direct.Edge("pipeline", 1, 2)!.Id, entitlement.Edge("pipeline", 1, 2)!.Id);
        var audit = _kms.Server.Service.Audit.Read();
        Assert.Contains(audit, r => r.Kind == AuditKind.KeyReleased && r.Details.Contains("\"evidence\":\"ratls/sim\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_releases_each_get_their_keys_and_the_audit_log_stays_intact()
    {
        var releases = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => ReleaseAsync()));

        try
        {
            Assert.All(releases, e => Assert.Equal("hunter2", Encoding.UTF8.GetString(e.Secret("db-password")!.Value)));
            Assert.Single(releases.Select(e => e.Edge("pipeline", 1, 2)!.Id).Distinct());
            Assert.Equal(16, _kms.Server.Service.Audit.Read().Count(r => r.Kind == AuditKind.KeyReleased));
            Assert.True(_kms.Server.Service.Audit.Verify().IsIntact);
        }
        finally
        {
            foreach (var release in releases)
            {
                release.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_measurement_not_in_policy_is_denied_with_the_policy_message()
    {
        var other = Attest.Hex(32, 0x44);

        var denied = await DeniedAsync(() => ReleaseAsync(measurement: other));

        Assert.Equal(KmsDenialReason.NotInPolicy, denied.Reason);
        Assert.StartsWith($"attestation rejected: measurement {other} of function 'f' is not in policy of namespace 'acme'", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulation_evidence_is_denied_when_the_policy_does_not_allow_simulation()
    {
        await _kms.SetPolicyAsync(_kms.Owners.Build(ns: "strict"));

        var denied = await DeniedAsync(() => ReleaseAsync(ns: "strict"));

        Assert.Equal(KmsDenialReason.SimulationNotAllowed, denied.Reason);
        Assert.Contains("does not set allowSimulation", denied.Message, StringComparison.Ordinal);
        Assert.Equal(AuditKind.ReleaseDenied, _kms.Server.Service.Audit.Read()[^1].Kind);
    }

    [Fact]
    public async Task An_unknown_function_or_namespace_is_denied()
    {
        Assert.Equal(KmsDenialReason.UnknownFunction, (await DeniedAsync(() => ReleaseAsync(function: "nope"))).Reason);
        Assert.Equal(KmsDenialReason.UnknownNamespace, (await DeniedAsync(() => ReleaseAsync(ns: "nobody"))).Reason);
    }

    [Fact]
    public async Task A_certificate_is_accepted_once_its_nonce_is_replayed_it_is_denied()
    {
        var nonce = await _kms.Client.NewNonceAsync();
        using var key = ServerFixture.NewKey();
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _kms.Enclave(Policies.SimHash), nonce.Value, "enclave", TimeSpan.FromMinutes(5));

        using (await _kms.Client.ReleaseWithCertificateAsync("acme", "f", key, certificate, default))
        {
        }

        var replay = await DeniedAsync(() => _kms.Client.ReleaseWithCertificateAsync("acme", "f", key, certificate, default));
        Assert.Equal(KmsDenialReason.NonceReplayed, replay.Reason);
    }

    [Fact]
    public async Task A_certificate_over_a_nonce_the_KMS_never_issued_is_denied()
    {
        using var key = ServerFixture.NewKey();
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _kms.Enclave(Policies.SimHash), RandomNumberGenerator.GetBytes(32), "enclave", TimeSpan.FromMinutes(5));

        var denied = await DeniedAsync(() => _kms.Client.ReleaseWithCertificateAsync("acme", "f", key, certificate, default));

        Assert.Equal(KmsDenialReason.NonceUnknown, denied.Reason);
    }

    [Fact]
    public async Task A_certificate_whose_evidence_vouches_for_another_key_is_denied()
    {
        var nonce = await _kms.Client.NewNonceAsync();
        using var key = ServerFixture.NewKey();
        using var other = ServerFixture.NewKey();
        var claims = RaTlsCertificateFactory.ClaimsBuffer(other.ExportSubjectPublicKeyInfo(), nonce.Value.Span);
        var evidence = await _kms.Enclave(Policies.SimHash).IssueAsync(RaTlsCertificateFactory.ReportDataFor(claims));
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=relay", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(RaTlsCertificateFactory.EvidenceExtension(evidence, claims));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(5));

        var denied = await DeniedAsync(() => _kms.Client.ReleaseWithCertificateAsync("acme", "f", key, certificate, default));

        Assert.Equal(KmsDenialReason.EvidenceNotVerified, denied.Reason);
        Assert.Contains("vouches for another key", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_without_a_nonce_claim_is_denied()
    {
        using var key = ServerFixture.NewKey();
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _kms.Enclave(Policies.SimHash), ReadOnlyMemory<byte>.Empty, "enclave", TimeSpan.FromMinutes(5));

        var denied = await DeniedAsync(() => _kms.Client.ReleaseWithCertificateAsync("acme", "f", key, certificate, default));

        Assert.Equal(KmsDenialReason.NonceUnknown, denied.Reason);
    }

    [Fact]
    public async Task A_release_without_a_client_certificate_is_refused_with_401()
    {
        using var http = _kms.RawClient();

        using var response = await http.PostAsJsonAsync("v1/release", new { @namespace = "acme", function = "f" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"reason\":\"NoClientCertificate\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sealed_release_opens_only_with_the_certificates_key_and_for_its_function()
    {
        var nonce = await _kms.Client.NewNonceAsync();
        using var key = ServerFixture.NewKey();
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _kms.Enclave(Policies.SimHash), nonce.Value, "enclave", TimeSpan.FromMinutes(5));
        using var http = _kms.RawClient(certificate);

        using var response = await http.PostAsJsonAsync("v1/release", new { @namespace = "acme", function = "f" });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        var sealedRelease = System.Text.Json.JsonSerializer.Deserialize(body, KmsJson.Default.ReleaseResponse)!;
        using var right = ECDiffieHellman.Create(key.ExportParameters(true));
        var plaintext = ReleaseSealing.Open(right, "acme", "f", sealedRelease);
        using (var entitlement = EntitlementCodec.Decode(plaintext))
        {
            Assert.Equal("hunter2", Encoding.UTF8.GetString(entitlement.Secret("db-password")!.Value));
        }

        using var wrong = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.ThrowsAny<CryptographicException>(() => ReleaseSealing.Open(wrong, "acme", "f", sealedRelease));
        Assert.ThrowsAny<CryptographicException>(() => ReleaseSealing.Open(right, "acme", "g", sealedRelease));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"namespace\":\"acme\"}")]
    [InlineData("{\"namespace\":\"acme\",\"function\":\"f\",\"extra\":1}")]
    [InlineData("{\"namespace\":\"a b\",\"function\":\"f\"}")]
    public async Task A_malformed_release_request_is_a_400(string json)
    {
        var nonce = await _kms.Client.NewNonceAsync();
        using var key = ServerFixture.NewKey();
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _kms.Enclave(Policies.SimHash), nonce.Value, "enclave", TimeSpan.FromMinutes(5));
        using var http = _kms.RawClient(certificate);

        using var response = await http.PostAsync("v1/release", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"reason\":\"BadJson\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
