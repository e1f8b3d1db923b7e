using System.Buffers.Binary;

namespace Carapace.Attestation.Tests.RaTls;

/// <summary>
/// A stand-in for the SGX/TDX quote verifiers (written elsewhere): it checks no signature, only reads the report
/// body fields from the quote layout, so RA-TLS extraction and binding can be tested on their own.
/// </summary>
internal sealed class FakeQuoteVerifier(EvidenceKind kind) : IEvidenceVerifier
{
    public EvidenceKind Kind => kind;

    public List<byte[]> Seen { get; } = [];

    public AttestationFailure? Reject { get; set; }

    public DateTimeOffset? ValidFrom { get; set; }

    public DateTimeOffset? ValidUntil { get; set; }

    /// <summary>REPORTDATA of an SGX quote v3/v4 (report body at 48, REPORTDATA at body offset 0x140).</summary>
    public static byte[] SgxReportData(ReadOnlySpan<byte> quote) => quote.Slice(48 + 0x140, 64).ToArray();

    public AttestationResult Verify(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        Seen.Add(evidence.ToArray());
        if (Reject is { } failure)
        {
            return AttestationResult.Rejected(kind, failure);
        }

        var quote = evidence.Span;
        var version = BinaryPrimitives.ReadUInt16LittleEndian(quote);
        var body = version == 5 ? 54 : 48;
        var (measurementAt, measurementSize, reportDataAt) = kind == EvidenceKind.Sgx ? (0x40, 32, 0x140) : (0x88, 48, 0x208);
        if (quote.Length < body + reportDataAt + 64)
        {
            return AttestationResult.Rejected(kind, AttestationFailureReason.Malformed, "fake: quote too short");
        }

        var debug = kind == EvidenceKind.Sgx && (quote[body + 0x30] & 0x02) != 0;
        return AttestationResult.Success(new VerifiedClaims
        {
            Kind = kind,
            Debug = debug,
            Measurement = quote.Slice(body + measurementAt, measurementSize).ToArray(),
            ReportData = quote.Slice(body + reportDataAt, 64).ToArray(),
            TcbStatus = TcbStatus.Unknown,
            Claims = [Claim.Of(kind == EvidenceKind.Sgx ? "mrenclave" : "mrtd", quote.Slice(body + measurementAt, measurementSize))],
            ValidFrom = ValidFrom,
            ValidUntil = ValidUntil,
        });
    }
}
