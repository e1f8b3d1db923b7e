using Carapace.Attestation;

namespace Carapace.Kms.Client.Tests.Support;

/// <summary>Builds attestation results as verifiers would return them.</summary>
internal static class Attest
{
    public static byte[] Bytes(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    public static string Hex(int length, byte fill) => Convert.ToHexStringLower(Bytes(length, fill));

    public static AttestationResult Of(EvidenceKind kind, byte[] measurement, byte[]? reportData = null, bool debug = false,
        bool insecure = false, byte[]? signer = null, ushort? productId = null, uint? svn = null, AttestationResult? inner = null) =>
        AttestationResult.Success(new VerifiedClaims
        {
            Kind = kind,
            Measurement = measurement,
            ReportData = reportData ?? new byte[64],
            Debug = debug,
            Insecure = insecure,
            Signer = signer ?? [],
            ProductId = productId,
            SecurityVersion = svn,
            Inner = inner,
            Claims = [Claim.Of("measurement", measurement)],
        });

    public static AttestationResult Sim(byte[] measurement, byte[]? reportData = null) =>
        Of(EvidenceKind.Simulation, measurement, reportData, insecure: true);

    public static AttestationResult Sgx(byte[] mrenclave, byte[]? mrsigner = null, ushort productId = 1, uint svn = 1, bool debug = false, byte[]? reportData = null) =>
        Of(EvidenceKind.Sgx, mrenclave, reportData, debug, signer: mrsigner ?? Bytes(32, 0x5A), productId: productId, svn: svn);

    public static AttestationResult RaTls(AttestationResult inner, byte[]? reportData = null) =>
        Of(EvidenceKind.RaTls, inner.Measurement.ToArray(), reportData ?? inner.ReportData.ToArray(), inner: inner);

    public static AttestationResult Rejected(EvidenceKind kind) =>
        AttestationResult.Rejected(kind, AttestationFailureReason.BadSignature, "the quote signature does not verify");
}
