using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation;

namespace Carapace.Kms.Client;

/// <summary>
/// The TLS server-certificate check of a <see cref="KmsClient"/>: the certificate must be an RA-TLS certificate whose
/// evidence verifies under the <see cref="KmsServerTrust"/>, with the expected measurement, attesting the very key the
/// TLS server proved it holds. Host names and PKI chains are not checked: the evidence is the identity. Fails closed;
/// the reason of the last failure is kept for the <see cref="KmsTrustException"/>.
/// </summary>
internal sealed class KmsServerVerifier(Uri endpoint, KmsServerTrust trust)
{
    private static readonly EvidenceVerifiers s_verifiers = EvidenceVerifiers.CreateForServices();
    private volatile string? _failure;
    private volatile AttestationResult? _verified;

    /// <summary>The last KMS evidence that satisfied the trust.</summary>
    public AttestationResult? Verified => _verified;

    /// <summary>The reason the last check failed, if it did; cleared by reading.</summary>
    public string? TakeFailure() => Interlocked.Exchange(ref _failure, null);

    public bool Validate(X509Certificate? presented)
    {
        try
        {
            var problem = Check(presented);
            if (problem is null)
            {
                return true;
            }

            _failure = problem;
            return false;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            _failure = $"the KMS at {endpoint} presented evidence that did not verify: its certificate cannot be read ({e.Message})";
            return false;
        }
    }

    private string? Check(X509Certificate? presented)
    {
        if (presented is null)
        {
            return $"the KMS at {endpoint} presented no TLS certificate";
        }

        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var result = s_verifiers.Verify(EvidenceKind.RaTls, certificate.RawData, new VerificationOptions
        {
            TimeProvider = trust.TimeProvider,
            Roots = trust.Roots,
            DcapCollateral = trust.DcapCollateral,
            SnpCollateral = trust.SnpCollateral,
            SimulationQuotingKeys = trust.AllowSimulation ? trust.SimulationQuotingKeys : [],
        });
        if (result.Failure is { } failure)
        {
            var hint = failure.Reason == AttestationFailureReason.PolicyDenied && !trust.AllowSimulation
                ? " (it is a simulated KMS, and this client does not allow simulation)"
                : "";
            return $"the KMS at {endpoint} presented evidence that did not verify: {failure}{hint}";
        }

        if ((result.Insecure || result.Inner?.Kind == EvidenceKind.Simulation) && !trust.AllowSimulation)
        {
            return $"the KMS at {endpoint} presented simulation evidence, which this client does not accept (simulation is not allowed)";
        }

        if (result.Inner is { Kind: EvidenceKind.Tdx or EvidenceKind.SevSnp } vm)
        {
            if (CheckVm(result, vm) is { } problem)
            {
                return problem;
            }
        }
        else if (!CryptographicOperations.FixedTimeEquals(result.Measurement.Span, trust.ExpectedMeasurement.Span))
        {
            return $"the KMS at {endpoint} presented evidence that did not verify: it runs measurement {Convert.ToHexStringLower(result.Measurement.Span)}, "
                + $"not the expected KMS measurement {Convert.ToHexStringLower(trust.ExpectedMeasurement.Span)} (another build of the KMS, or not a KMS)";
        }

        if (!CryptographicOperations.FixedTimeEquals(result.PublicKey.Span, certificate.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            return $"the KMS at {endpoint} presented evidence that did not verify: the attested key is not the TLS server's key";
        }

        _verified = result;
        return null;
    }

    /// <summary>A KMS in a confidential VM: not a debug VM, a trusted image on an accepted TCB, running this KMS (the bound workload).</summary>
    private string? CheckVm(AttestationResult result, AttestationResult vm)
    {
        if (result.Debug)
        {
            return $"the KMS at {endpoint} runs in a debug {EvidenceKinds.Name(vm.Kind)} VM, whose memory its host can read; a KMS is never trusted there";
        }

        if (result.Workload.IsEmpty)
        {
            return $"the KMS at {endpoint} presented {EvidenceKinds.Name(vm.Kind)} evidence that binds no Carapace workload, so it does not say a KMS runs in that VM";
        }

        if (!CryptographicOperations.FixedTimeEquals(result.Workload.Span, trust.ExpectedMeasurement.Span))
        {
            return $"the KMS at {endpoint} presented evidence that did not verify: it runs measurement {Convert.ToHexStringLower(result.Workload.Span)}, "
                + $"not the expected KMS measurement {Convert.ToHexStringLower(trust.ExpectedMeasurement.Span)} (another build of the KMS, or not a KMS)";
        }

        var verdict = Attestation.Tee.ConfidentialVm.Evaluate(trust.ConfidentialVms, vm);
        return verdict.Accepted ? null : $"the KMS at {endpoint} runs in a confidential VM this client does not trust: {verdict.Message}";
    }
}
