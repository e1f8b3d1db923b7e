using System.Text.Json;

namespace Carapace.Attestation;

/// <summary>
/// Intel DCAP verification collateral, in the JSON schema of dcap-qvl's <c>QuoteCollateralV3</c>: the TCB info and
/// QE identity (exact signed JSON text plus raw r‖s ECDSA signatures), their issuer chains, and the PCK and root CRLs.
/// </summary>
public sealed class DcapCollateral
{
    /// <summary>PEM chain of the PCK CRL issuer (PCK Processor/Platform CA, Intel SGX Root CA).</summary>
    public required string PckCrlIssuerChain { get; init; }

    /// <summary>DER of the CRL issued by the Intel SGX Root CA.</summary>
    public required byte[] RootCaCrl { get; init; }

    /// <summary>DER of the CRL issued by the PCK Processor or Platform CA.</summary>
    public required byte[] PckCrl { get; init; }

    /// <summary>PEM chain of the TCB info signer (Intel SGX TCB Signing, Intel SGX Root CA).</summary>
    public required string TcbInfoIssuerChain { get; init; }

    /// <summary>The exact signed text of the <c>tcbInfo</c> object.</summary>
    public required string TcbInfo { get; init; }

    /// <summary>Raw 64-byte r‖s ECDSA P-256 signature over the UTF-8 bytes of <see cref="TcbInfo"/>.</summary>
    public required byte[] TcbInfoSignature { get; init; }

    /// <summary>PEM chain of the QE identity signer.</summary>
    public required string QeIdentityIssuerChain { get; init; }

    /// <summary>The exact signed text of the <c>enclaveIdentity</c> object.</summary>
    public required string QeIdentity { get; init; }

    /// <summary>Raw 64-byte r‖s ECDSA P-256 signature over the UTF-8 bytes of <see cref="QeIdentity"/>.</summary>
    public required byte[] QeIdentitySignature { get; init; }

    /// <summary>Parses collateral JSON; throws <see cref="AttestationException"/> (Malformed) naming the bad field.</summary>
    public static DcapCollateral Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw AttestationException.Malformed($"the DCAP collateral is not valid JSON (line {e.LineNumber + 1})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw AttestationException.Malformed("the DCAP collateral must be a JSON object");
            }

            return new DcapCollateral
            {
                PckCrlIssuerChain = Text(root, "pck_crl_issuer_chain"),
                RootCaCrl = Hex(root, "root_ca_crl"),
                PckCrl = Hex(root, "pck_crl"),
                TcbInfoIssuerChain = Text(root, "tcb_info_issuer_chain"),
                TcbInfo = Text(root, "tcb_info"),
                TcbInfoSignature = Hex(root, "tcb_info_signature"),
                QeIdentityIssuerChain = Text(root, "qe_identity_issuer_chain"),
                QeIdentity = Text(root, "qe_identity"),
                QeIdentitySignature = Hex(root, "qe_identity_signature"),
            };
        }
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && Dcap.JsonFields.Text(value, $"DCAP collateral field '{name}'") is { Length: > 0 } text
            ? text
            : throw AttestationException.Malformed($"the DCAP collateral has no string field '{name}'");

    private static byte[] Hex(JsonElement root, string name)
    {
        var text = Text(root, name);
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw AttestationException.Malformed($"the DCAP collateral field '{name}' is not hex");
        }
    }
}
