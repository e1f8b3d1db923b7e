using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Simulation;
using Carapace.Kms;
using Carapace.Kms.Client;
using Carapace.Kms.Release;

namespace Carapace.Enclave.Host;

/// <summary>
/// The enclave's side of attested key release: it proves its measurement to the KMS with evidence over a fresh key
/// and the KMS's nonce (an RA-TLS client certificate), after checking the KMS's own RA-TLS evidence against the KMS
/// measurement of this very Carapace build, and receives the keys and secrets its policy grants, encrypted to that
/// fresh key. It also makes the enclave's receipt key, with evidence from the same quoting service. In this environment the evidence is simulation evidence from the platform's simulated quoting service
/// (the key beside the platform key), and the KMS is trusted only with that same quoting key.
/// </summary>
internal sealed class KmsAttestor(string simulationDirectory)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Fetches what <paramref name="function"/> of <paramref name="ns"/> is entitled to, or throws <see cref="SpecializationException"/>.</summary>
    public Entitlement Release(string endpoint, string ns, string function, byte[] measurement)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new SpecializationException($"the KMS endpoint '{endpoint}' is not an https URL");
        }

        using var quoting = SimulatedQuotingService.OpenOrCreate(simulationDirectory);
        var trust = new KmsServerTrust
        {
            AllowSimulation = true,
            SimulationQuotingKeys = [quoting.PublicKey],
        };
        using var client = new KmsClient(uri, trust);
        var issuer = new SimulatedEvidenceIssuer(quoting, measurement);
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            return client.AttestAndReleaseAsync(ns, function, issuer, deadline.Token).GetAwaiter().GetResult();
        }
        catch (KmsDeniedException e)
        {
            throw new SpecializationException(e.Message.StartsWith("attestation rejected", StringComparison.Ordinal) ? e.Message : "attestation rejected: " + e.Message);
        }
        catch (KmsRequestException e)
        {
            throw new SpecializationException("the KMS refused the release request: " + e.Message);
        }
        catch (KmsTrustException e)
        {
            throw new SpecializationException("the KMS could not be trusted: " + e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            throw new SpecializationException($"the KMS at {uri} could not be reached ({e.GetType().Name}: {e.Message})");
        }
    }

    /// <summary>
    /// A fresh receipt key with evidence for <paramref name="measurement"/> binding it, from the same simulated
    /// quoting service the KMS trusts; throws <see cref="SpecializationException"/> when none can be issued.
    /// </summary>
    public ReceiptSigner CreateReceiptSigner(byte[] measurement)
    {
        try
        {
            using var quoting = SimulatedQuotingService.OpenOrCreate(simulationDirectory);
            return ReceiptSigner.CreateAsync(new SimulatedEvidenceIssuer(quoting, measurement)).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is AttestationException or Envelope.Keys.KeyFileException)
        {
            throw new SpecializationException("cannot attest the receipt key: " + e.Message);
        }
    }
}
