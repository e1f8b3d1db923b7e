using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Tee;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Release;
using Carapace.Protocol;

namespace Carapace.Enclave.Host;

/// <summary>
/// The enclave's side of attested key release: it proves its measurement to the KMS with evidence over a fresh key
/// and the KMS's nonce (an RA-TLS client certificate), after checking the KMS's own RA-TLS evidence against the KMS
/// measurement of this very Carapace build, and receives the keys and secrets its policy grants, encrypted to that
/// fresh key. It also makes the enclave's receipt key, with evidence from the same backend. The backend is the one the
/// enclave was started with (<c>--tee</c>): in simulation, the platform's simulated quoting key (beside the platform
/// key), with the KMS trusted only with that same key; in a TDX or SEV-SNP confidential VM, hardware evidence binding
/// the function measurement, with the KMS trusted only in a VM image of the TEE configuration. Either way the KMS must
/// attest <paramref name="kmsMeasurement"/>, the KMS measurement the runtime identity covers.
/// </summary>
internal sealed class KmsAttestor(TeeBackend tee, TeeSettings settings, byte[] kmsMeasurement)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Fetches what <paramref name="function"/> of <paramref name="ns"/> is entitled to and makes the receipt signer for
    /// <paramref name="measurement"/>, both with evidence from the enclave's backend; throws
    /// <see cref="SpecializationException"/> when either fails. The caller disposes both.
    /// </summary>
    public (Entitlement Entitlement, ReceiptSigner Receipts) Attest(string endpoint, string ns, string function, byte[] measurement)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new SpecializationException($"the KMS endpoint '{endpoint}' is not an https URL");
        }

        var issuer = tee.IssuerFor(measurement);
        var entitlement = Release(uri, ns, function, KmsServerTrust.For(settings, tee.SimulationQuotingKey, kmsMeasurement), issuer);
        try
        {
            return (entitlement, CreateReceiptSigner(issuer));
        }
        catch
        {
            entitlement.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the trusted steps of one attested release inside this process (no network, no listening socket; see
    /// <see cref="KmsClientWarmUp"/>), so that a fresh process's first-use costs are paid before the cell is ready.
    /// Nothing of it is kept or trusted afterwards.
    /// </summary>
    public static void WarmUp()
    {
        using var deadline = new CancellationTokenSource(Timeout);
        KmsClientWarmUp.RunAsync(deadline.Token).GetAwaiter().GetResult();
    }

    private static Entitlement Release(Uri uri, string ns, string function, KmsServerTrust trust, IEvidenceIssuer issuer)
    {
        using var client = new KmsClient(uri, trust);
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            return client.AttestAndReleaseAsync(ns, function, issuer, deadline.Token).GetAwaiter().GetResult();
        }
        catch (KmsDeniedException e)
        {
            throw new SpecializationException(e.Message.StartsWith("attestation rejected", StringComparison.Ordinal) ? e.Message : "attestation rejected: " + e.Message,
                FailureReason.AttestationRejected);
        }
        catch (KmsRequestException e) when (e.StatusCode is null)
        {
            // Not reached, or no answer in time: the KMS is down, restarting or hung. Nothing is wrong with this enclave.
            throw new SpecializationException("the KMS is unavailable: " + e.Message, FailureReason.KmsUnavailable);
        }
        catch (KmsRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.InsufficientStorage)
        {
            // The KMS answered that it cannot work for now (e.g. its disk is full, so it cannot audit a release).
            throw new SpecializationException("the KMS is unavailable: " + e.Message, FailureReason.KmsUnavailable);
        }
        catch (KmsRequestException e)
        {
            throw new SpecializationException("the KMS refused the release request: " + e.Message);
        }
        catch (KmsTrustException e)
        {
            throw new SpecializationException("the KMS could not be trusted: " + e.Message);
        }
        catch (AttestationException e)
        {
            // This enclave's own evidence could not be made (the TEE refused, or returned a report for other data).
            throw new SpecializationException($"cannot attest this enclave ({EvidenceKinds.Name(issuer.Kind)}): {e.Message}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            throw new SpecializationException($"the KMS is unavailable: the KMS at {uri} could not be reached ({e.GetType().Name}: {e.Message})",
                FailureReason.KmsUnavailable);
        }
    }

    /// <summary>A fresh receipt key with evidence from <paramref name="issuer"/> binding it.</summary>
    private static ReceiptSigner CreateReceiptSigner(IEvidenceIssuer issuer)
    {
        try
        {
            return ReceiptSigner.CreateAsync(issuer).AsTask().GetAwaiter().GetResult();
        }
        catch (AttestationException e)
        {
            throw new SpecializationException("cannot attest the receipt key: " + e.Message);
        }
    }
}
