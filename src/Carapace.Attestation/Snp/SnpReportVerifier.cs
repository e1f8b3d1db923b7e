using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Snp;

/// <summary>
/// Verifies an AMD SEV-SNP attestation report (raw or hex text) signed by a VCEK: the report's reserved fields,
/// the VCEK's hwID and TCB extensions against CHIP_ID and REPORTED_TCB, the ECDSA P-384 signature over bytes
/// 0x000–0x29F, and the chain VCEK → ASK → ARK (RSA-PSS with SHA-384) to a pinned ARK at the verification time.
/// </summary>
/// <remarks>
/// <para>The VCEK comes from the certificate table that may follow the report in the evidence (an extended report:
/// configfs-tsm's <c>auxblob</c>, see <see cref="SnpCertificateTable"/>), else from
/// <see cref="VerificationOptions.SnpCollateral"/>; without either nothing can be checked and the report is rejected.
/// A VCEK from the evidence is trusted exactly as far as its chain to a pinned ARK. When the caller supplies no ASK, the built-in SEV-Milan and SEV-Genoa ASKs are used;
/// an ARK passed as an intermediate is ignored, because only the pinned roots are trusted.</para>
/// <para>The chain is checked by <see cref="CertificateChains.Verify"/>: .NET on Linux builds it with OpenSSL, which
/// verifies the RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48) signatures of ARK, ASK and VCEK and accepts the VCEK's
/// serial number 0, so no signature is re-checked by hand.</para>
/// <para><see cref="AttestationResult.TcbStatus"/> is <see cref="TcbStatus.Unknown"/>: AMD publishes no TCB levels
/// comparable to Intel's TCB info, so whether REPORTED_TCB is current is a policy decision (compare the
/// <c>reportedTcb</c> claim with a minimum). Reports signed by a VLEK, unsigned reports and processors other than
/// Milan and Genoa are rejected as unsupported.</para>
/// </remarks>
public sealed class SnpReportVerifier : EvidenceVerifier
{
    /// <summary>The message when no VCEK is supplied.</summary>
    internal const string NeedsVcek = "an SEV-SNP report needs the VCEK certificate (--collateral VCEK.der|pem)";

    /// <inheritdoc />
    public override EvidenceKind Kind => EvidenceKind.SevSnp;

    /// <inheritdoc />
    protected override VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        var (reportBytes, table) = Split(evidence);
        var report = SnpReport.Parse(reportBytes.Span);
        RequireVcekSigned(report);
        var collateral = FromTable(table) ?? options.SnpCollateral
            ?? throw new AttestationException(AttestationFailureReason.CollateralMismatch, NeedsVcek);
        var vcek = VcekCertificate.Read(collateral.Vcek);
        RequireMatchingVcek(report, vcek);

        using (var key = vcek.Certificate.GetECDsaPublicKey()!)
        {
            if (!key.VerifyData(report.SignedBytes.Span, report.Signature.Span, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                throw new AttestationException(AttestationFailureReason.BadSignature,
                    "the SEV-SNP report's signature does not verify with the VCEK: the report was altered, or signed by another chip or at another TCB");
            }
        }

        var intermediates = (collateral.Intermediates?.Cast<X509Certificate2>() ?? [])
            .Where(c => !c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData))
            .Concat(AmdSigningKeys.BuiltIn);
        var chain = CertificateChains.Verify(vcek.Certificate, intermediates, options.Roots.For(EvidenceKind.SevSnp), options.Now, "AMD VCEK");

        return new VerifiedClaims
        {
            Kind = EvidenceKind.SevSnp,
            Debug = report.Debug,
            Measurement = report.Measurement.ToArray(),
            SecurityVersion = report.GuestSvn,
            ReportData = report.ReportData.ToArray(),
            TcbStatus = TcbStatus.Unknown,
            Claims = SnpClaims.Of(report, vcek.Product),
            ValidFrom = chain.ValidFrom,
            ValidUntil = chain.ValidUntil,
        };
    }

    /// <summary>
    /// A binary report followed by more bytes carries the certificate table of an extended report request (configfs-tsm's
    /// <c>auxblob</c>) after it; anything else is the report alone (binary or hex text).
    /// </summary>
    private static (ReadOnlyMemory<byte> Report, ReadOnlyMemory<byte> Table) Split(ReadOnlyMemory<byte> evidence)
    {
        var span = evidence.Span;
        return span.Length > SnpReport.Size && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span) is 2 or 3 or 5
            ? (evidence[..SnpReport.Size], evidence[SnpReport.Size..])
            : (evidence, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>The VCEK (and ASK) the evidence carries, which then takes the place of collateral; null when it carries none.</summary>
    private static SnpCollateral? FromTable(ReadOnlyMemory<byte> table)
    {
        if (table.IsEmpty)
        {
            return null;
        }

        var (vcek, ask) = SnpCertificateTable.Read(table.Span);
        return new SnpCollateral(vcek, ask is null ? null : [ask]);
    }

    private static void RequireVcekSigned(SnpReport report)
    {
        switch (report.SigningKey)
        {
            case SnpSigningKey.Vlek:
                throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                    "the SEV-SNP report is signed by a VLEK (a cloud provider's loaded endorsement key); Carapace verifies VCEK-signed reports only");
            case SnpSigningKey.None:
                throw new AttestationException(AttestationFailureReason.BadSignature,
                    "the SEV-SNP report is not signed (SIGNING_KEY = none); request a report signed by the VCEK");
        }

        if (report.MaskChipKey)
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                "the SEV-SNP report was produced with MASK_CHIP_KEY set, so the firmware did not sign it; disable chip-key masking on the host");
        }
    }

    private static void RequireMatchingVcek(SnpReport report, VcekCertificate vcek)
    {
        // CHIP_ID is not secret: an ordinary comparison is fine here.
        if (!vcek.HardwareId.AsSpan().SequenceEqual(report.ChipId.Span))
        {
            var masked = report.ChipId.Span.IndexOfAnyExcept((byte)0) < 0 ? " (the report's CHIP_ID is all zeros: the host masks it, so the VCEK cannot be matched)" : "";
            throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                $"the VCEK belongs to chip {Convert.ToHexStringLower(vcek.HardwareId)}, not to the report's CHIP_ID {Convert.ToHexStringLower(report.ChipId.Span)}{masked}; fetch the VCEK for this chip from AMD KDS");
        }

        if (!vcek.Certifies(report.ReportedTcb))
        {
            throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                $"the VCEK is for TCB {vcek.Tcb} but the report's REPORTED_TCB is {report.ReportedTcb}; fetch the VCEK for the reported TCB from AMD KDS");
        }
    }
}
