using System.Security.Cryptography;
using Carapace.Attestation.Simulation;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Server;

/// <summary>A client talks only to a KMS whose RA-TLS certificate proves the expected measurement with a trusted key.</summary>
public sealed class KmsTrustTests : IAsyncLifetime
{
    private ServerFixture _kms = null!;

    public async Task InitializeAsync() => _kms = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private async Task<KmsTrustException> RefusedAsync(KmsServerTrust trust)
    {
        using var client = new KmsClient(_kms.Server.Endpoint, trust);
        var refused = await Assert.ThrowsAsync<KmsTrustException>(() => client.SetPolicyAsync(_kms.Owners.Sign(_kms.Owners.Build(), "alice")));
        Assert.Null(_kms.Server.Service.GetPolicy("acme"));
        Assert.StartsWith($"the KMS at {_kms.Server.Endpoint} ", refused.Message, StringComparison.Ordinal);
        return refused;
    }

    [Fact]
    public async Task The_KMS_certificate_attests_this_builds_measurement_with_simulation_evidence()
    {
        await _kms.Client.NewNonceAsync();

        var evidence = _kms.Client.ServerEvidence!;
        Assert.True(evidence.Verified);
        Assert.True(evidence.Insecure);
        Assert.Equal(KmsIdentity.Measurement.ToArray(), evidence.Measurement.ToArray());
        Assert.Equal(KmsIdentity.Measurement.ToArray(), _kms.Server.Measurement.ToArray());
        Assert.Equal(_kms.Server.Certificate.PublicKey.ExportSubjectPublicKeyInfo(), evidence.PublicKey.ToArray());
        Assert.Equal(32, KmsIdentity.Measurement.Length);
    }

    [Fact]
    public async Task A_client_expecting_another_measurement_refuses_to_talk()
    {
        var refused = await RefusedAsync(KmsServerTrust.Simulation(_kms.Server.QuotingKey) is var trust
            ? new KmsServerTrust { AllowSimulation = true, SimulationQuotingKeys = trust.SimulationQuotingKeys, ExpectedMeasurement = SHA256.HashData("another kms"u8) }
            : null!);

        Assert.Contains($"runs measurement {KmsIdentity.MeasurementHex}, not the expected KMS measurement", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_quoting_key_refuses_to_talk()
    {
        using var other = SimulatedQuotingService.CreateEphemeral();

        var refused = await RefusedAsync(KmsServerTrust.Simulation(other.PublicKey));

        Assert.Contains("presented evidence that did not verify: BrokenChain", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_does_not_allow_simulation_refuses_a_simulated_KMS()
    {
        var refused = await RefusedAsync(new KmsServerTrust { SimulationQuotingKeys = [_kms.Server.QuotingKey] });

        Assert.Contains("simulated KMS, and this client does not allow simulation", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enclave_client_that_does_not_trust_the_KMS_sends_no_evidence()
    {
        using var other = SimulatedQuotingService.CreateEphemeral();
        using var client = new KmsClient(_kms.Server.Endpoint, KmsServerTrust.Simulation(other.PublicKey));

        await Assert.ThrowsAsync<KmsTrustException>(() => client.AttestAndReleaseAsync("acme", "f", _kms.Enclave(Policies.SimHash)));

        Assert.DoesNotContain(_kms.Server.Service.Audit.Read(), r => r.Kind == AuditKind.ReleaseDenied);
    }

    [Fact]
    public async Task An_unreachable_KMS_is_a_request_failure_without_a_status()
    {
        var endpoint = _kms.Server.Endpoint;
        await _kms.Server.StopAsync();
        using var client = new KmsClient(endpoint, KmsServerTrust.Simulation(_kms.Server.QuotingKey));

        var failure = await Assert.ThrowsAsync<KmsRequestException>(() => client.NewNonceAsync());

        Assert.Null(failure.StatusCode);
        Assert.StartsWith($"cannot reach the KMS at {endpoint}", failure.Message, StringComparison.Ordinal);
    }
}
