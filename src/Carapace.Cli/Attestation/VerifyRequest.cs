using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Attestation;

/// <summary>
/// What <c>attest verify</c> was asked to check, turned into <see cref="VerificationOptions"/> and a result. Collateral
/// that cannot be read as what it claims to be is a rejection like bad evidence; a wrong command line is a
/// <see cref="CliFailure"/>.
/// </summary>
internal sealed class VerifyRequest
{
    public required byte[] Evidence { get; init; }

    /// <summary>The kind given with <c>--kind</c>; null to recognise it from the bytes.</summary>
    public EvidenceKind? Kind { get; init; }

    public string? CollateralPath { get; init; }

    public DateTimeOffset? At { get; init; }

    public string? RootPath { get; init; }

    public ReadOnlyMemory<byte>? ExpectedReportData { get; init; }

    public AttestationResult Verify(EvidenceVerifiers verifiers)
    {
        var detected = EvidenceDetector.Detect(Evidence);
        var kind = Kind ?? detected;
        if (kind is null)
        {
            // Unrecognised: the registry's rejection says so and suggests --kind.
            return verifiers.VerifyAuto(Evidence, new VerificationOptions());
        }

        VerificationOptions options;
        try
        {
            options = Options(kind.Value);
        }
        catch (AttestationException e)
        {
            return AttestationResult.Rejected(kind.Value, e.Failure);
        }

        if (kind == EvidenceKind.Simulation && options.SimulationQuotingKeys.Count == 0)
        {
            return AttestationResult.Rejected(EvidenceKind.Simulation, AttestationFailureReason.PolicyDenied,
                $"simulation evidence is accepted only when signed by this user's simulation quoting key, and there is none at {LocalSimulationKey.FilePath}; " +
                "set CARAPACE_HOME to the home of the Carapace that produced it");
        }

        // Auto-detection also decodes an SEV-SNP report given as hex text, so use it whenever it agrees with --kind.
        return detected == kind ? verifiers.VerifyAuto(Evidence, options) : verifiers.Verify(kind.Value, Evidence, options);
    }

    private VerificationOptions Options(EvidenceKind kind)
    {
        var (dcap, snp) = CollateralPath is { } path ? CollateralFiles.Read(kind, path) : (null, null);
        return new VerificationOptions
        {
            At = At,
            Roots = RootPath is { } root ? TrustAnchors.Custom(Roots(root)) : TrustAnchors.BuiltIn,
            DcapCollateral = dcap,
            SnpCollateral = snp,
            ExpectedReportData = ExpectedReportData,
            SimulationQuotingKeys = kind is EvidenceKind.Simulation or EvidenceKind.RaTls && LocalSimulationKey.TryOpenPublicKey() is { } key ? [key] : [],
        };
    }

    private static X509Certificate2Collection Roots(string path) =>
        CertificateFiles.TryRead(path, "root file")
            ?? throw new CliFailure($"--root {path} holds no X.509 certificate (give PEM or DER)", ExitCodes.Usage);
}
