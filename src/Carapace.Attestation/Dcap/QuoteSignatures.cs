using System.Security.Cryptography;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// The three links that tie a quote to the platform: the attestation key signs the header and body; the quoting
/// enclave's report binds the attestation key; the PCK key signs the quoting enclave's report.
/// </summary>
internal static class QuoteSignatures
{
    /// <summary>Checks the quote signature over the header and body with the attestation key.</summary>
    public static void VerifyQuote(DcapQuote quote)
    {
        using var key = P256.ImportRaw(quote.AttestationKey.Span, "quote's attestation key");
        if (!P256.Verify(key, quote.SignedData.Span, quote.Signature.Span))
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                "the quote signature does not verify with the quote's attestation key: the header or report body was changed after the quoting enclave signed it");
        }
    }

    /// <summary>Checks that the QE report's REPORTDATA is SHA-256(attestation key ‖ QE authentication data) followed by 32 zero bytes.</summary>
    public static void VerifyBinding(DcapQuote quote)
    {
        if (!BindsAttestationKey(quote.QeEnclaveReport.ReportData.Span, quote.AttestationKey.Span, quote.QeAuthData.Span))
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                "the quoting enclave's report does not bind the quote's attestation key: its REPORTDATA is not SHA-256(attestation key ‖ QE authentication data) followed by zeros");
        }
    }

    /// <summary>Checks the PCK key's signature over the QE report.</summary>
    public static void VerifyQeReport(DcapQuote quote, PckChain pck)
    {
        using var key = P256.KeyOf(pck.Leaf, "PCK");
        if (!P256.Verify(key, quote.QeReport.Span, quote.QeReportSignature.Span))
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                $"the quoting enclave's report is not signed by the key of the PCK certificate '{pck.Leaf.Subject}'");
        }
    }

    /// <summary>True when <paramref name="qeReportData"/> binds <paramref name="attestationKey"/> and <paramref name="authData"/>.</summary>
    internal static bool BindsAttestationKey(ReadOnlySpan<byte> qeReportData, ReadOnlySpan<byte> attestationKey, ReadOnlySpan<byte> authData)
    {
        if (qeReportData.Length != ReportData.Size)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[ReportData.Size];
        expected.Clear();
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            hash.AppendData(attestationKey);
            hash.AppendData(authData);
            hash.GetHashAndReset(expected[..32]);
        }

        return CryptographicOperations.FixedTimeEquals(qeReportData, expected);
    }
}
