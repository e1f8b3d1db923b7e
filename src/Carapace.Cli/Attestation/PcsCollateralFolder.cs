using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Attestation;

/// <summary>
/// DCAP collateral from a folder of raw Intel PCS (or PCCS) responses, as they are downloaded:
/// <list type="bullet">
/// <item><c>tcb_info.json</c>: the TCB info response body <c>{"tcbInfo":{…},"signature":"hex"}</c>;</item>
/// <item><c>qe_identity.json</c>: the QE identity response body <c>{"enclaveIdentity":{…},"signature":"hex"}</c>;</item>
/// <item><c>pck_crl.der</c> or <c>pck_crl.pem</c>, <c>root_ca_crl.der</c> or <c>root_ca_crl.pem</c>: the CRLs (DER, PEM or hex of the DER);</item>
/// <item><c>tcb_info_issuer_chain.pem</c>, <c>qe_identity_issuer_chain.pem</c>, <c>pck_crl_issuer_chain.pem</c>: the
/// issuer chains, which PCS sends as the HTTP response headers <c>TCB-Info-Issuer-Chain</c>,
/// <c>SGX-Enclave-Identity-Issuer-Chain</c> and <c>SGX-PCK-CRL-Issuer-Chain</c> (PEM, or URL-encoded as in the header).</item>
/// </list>
/// The signed text of <c>tcbInfo</c> and <c>enclaveIdentity</c> is taken as the exact bytes of the response, never
/// re-serialised, because Intel's signature covers those bytes.
/// </summary>
internal static class PcsCollateralFolder
{
    public const string TcbInfoFile = "tcb_info.json";
    public const string QeIdentityFile = "qe_identity.json";
    public const string PckCrlName = "pck_crl";
    public const string RootCaCrlName = "root_ca_crl";
    public const string TcbInfoIssuerChainFile = "tcb_info_issuer_chain.pem";
    public const string QeIdentityIssuerChainFile = "qe_identity_issuer_chain.pem";
    public const string PckCrlIssuerChainFile = "pck_crl_issuer_chain.pem";

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Loads the collateral in <paramref name="directory"/>. Every missing file is named in one usage failure (exit 2);
    /// a file with the wrong content throws <see cref="AttestationException"/> (Malformed) naming it.
    /// </summary>
    public static DcapCollateral Load(string directory)
    {
        var missing = new List<string>();
        var tcbInfo = Find(directory, missing, TcbInfoFile);
        var qeIdentity = Find(directory, missing, QeIdentityFile);
        var pckCrl = Find(directory, missing, PckCrlName + ".der", PckCrlName + ".pem");
        var rootCaCrl = Find(directory, missing, RootCaCrlName + ".der", RootCaCrlName + ".pem");
        var tcbChain = Find(directory, missing, TcbInfoIssuerChainFile);
        var qeChain = Find(directory, missing, QeIdentityIssuerChainFile);
        var pckCrlChain = Find(directory, missing, PckCrlIssuerChainFile);
        if (missing.Count > 0)
        {
            throw new CliFailure(
                $"the collateral folder {directory} lacks {string.Join(", ", missing)} (the issuer chains are the PCS response headers " +
                "TCB-Info-Issuer-Chain, SGX-Enclave-Identity-Issuer-Chain and SGX-PCK-CRL-Issuer-Chain; see 'carapace attest verify --help')",
                ExitCodes.Usage);
        }

        return FromPcsResponses(
            File.ReadAllBytes(tcbInfo!),
            File.ReadAllBytes(qeIdentity!),
            File.ReadAllBytes(pckCrl!),
            File.ReadAllBytes(rootCaCrl!),
            File.ReadAllText(tcbChain!),
            File.ReadAllText(qeChain!),
            File.ReadAllText(pckCrlChain!));
    }

    /// <summary>Builds collateral from the PCS response bodies and headers; throws <see cref="AttestationException"/> (Malformed).</summary>
    public static DcapCollateral FromPcsResponses(
        ReadOnlySpan<byte> tcbInfoResponse,
        ReadOnlySpan<byte> qeIdentityResponse,
        ReadOnlySpan<byte> pckCrl,
        ReadOnlySpan<byte> rootCaCrl,
        string tcbInfoIssuerChain,
        string qeIdentityIssuerChain,
        string pckCrlIssuerChain)
    {
        var (tcbInfo, tcbInfoSignature) = SignedBody(tcbInfoResponse, "tcbInfo", TcbInfoFile);
        var (qeIdentity, qeIdentitySignature) = SignedBody(qeIdentityResponse, "enclaveIdentity", QeIdentityFile);
        return new DcapCollateral
        {
            TcbInfo = tcbInfo,
            TcbInfoSignature = tcbInfoSignature,
            TcbInfoIssuerChain = Chain(tcbInfoIssuerChain, TcbInfoIssuerChainFile),
            QeIdentity = qeIdentity,
            QeIdentitySignature = qeIdentitySignature,
            QeIdentityIssuerChain = Chain(qeIdentityIssuerChain, QeIdentityIssuerChainFile),
            PckCrl = Crl(pckCrl, PckCrlName),
            RootCaCrl = Crl(rootCaCrl, RootCaCrlName),
            PckCrlIssuerChain = Chain(pckCrlIssuerChain, PckCrlIssuerChainFile),
        };
    }

    /// <summary>
    /// The exact text of the object <paramref name="bodyName"/> at the top level of <paramref name="response"/> and the
    /// hex <c>signature</c> beside it. The text is cut out of the response by the reader's token positions.
    /// </summary>
    internal static (string Text, byte[] Signature) SignedBody(ReadOnlySpan<byte> response, string bodyName, string file)
    {
        var json = response.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? response[3..] : response;
        ReadOnlySpan<byte> body = default;
        string? signature = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw AttestationException.Malformed($"{file} must be a JSON object {{\"{bodyName}\":{{…}},\"signature\":\"…\"}} as Intel PCS returns it");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isBody = reader.ValueTextEquals(bodyName);
                var isSignature = reader.ValueTextEquals("signature");
                reader.Read();
                if (isBody && !body.IsEmpty || isSignature && signature is not null)
                {
                    throw AttestationException.Malformed($"{file} has '{(isBody ? bodyName : "signature")}' twice");
                }

                if (isBody)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw AttestationException.Malformed($"'{bodyName}' in {file} is not a JSON object");
                    }

                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    body = json[start..(int)reader.BytesConsumed];
                }
                else if (isSignature)
                {
                    signature = reader.TokenType == JsonTokenType.String ? reader.GetString()
                        : throw AttestationException.Malformed($"'signature' in {file} is not a string");
                }
                else
                {
                    reader.Skip();
                }
            }

            // Reading on checks that nothing but white space follows the object.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw AttestationException.Malformed($"{file} is not valid JSON (line {e.LineNumber + 1}); give the response body exactly as Intel PCS returned it");
        }

        if (body.IsEmpty)
        {
            throw AttestationException.Malformed($"{file} has no '{bodyName}' object; is it the right PCS response?");
        }

        if (signature is null)
        {
            throw AttestationException.Malformed($"{file} has no 'signature'");
        }

        try
        {
            return (_strictUtf8.GetString(body), Convert.FromHexString(signature));
        }
        catch (DecoderFallbackException)
        {
            throw AttestationException.Malformed($"'{bodyName}' in {file} is not valid UTF-8");
        }
        catch (FormatException)
        {
            throw AttestationException.Malformed($"'signature' in {file} is not hex");
        }
    }

    /// <summary>A CRL as DER, from DER, PEM (<c>X509 CRL</c>) or hex text of the DER.</summary>
    internal static byte[] Crl(ReadOnlySpan<byte> bytes, string name)
    {
        if (CertificateFiles.IsPem(bytes))
        {
            var text = Encoding.ASCII.GetString(bytes);
            if (PemEncoding.TryFind(text, out var fields) && text.AsSpan()[fields.Label].SequenceEqual("X509 CRL"))
            {
                var der = new byte[fields.DecodedDataLength];
                if (Convert.TryFromBase64Chars(text.AsSpan()[fields.Base64Data], der, out var written) && written == der.Length)
                {
                    return der;
                }
            }

            throw AttestationException.Malformed($"{name}.pem holds no '-----BEGIN X509 CRL-----' block");
        }

        var trimmed = bytes.Trim(" \t\r\n"u8);
        if (trimmed.Length > 0 && trimmed.Length % 2 == 0 && trimmed.IndexOfAnyExcept("0123456789abcdefABCDEF"u8) < 0)
        {
            return Convert.FromHexString(Encoding.ASCII.GetString(trimmed));
        }

        return bytes.ToArray();
    }

    /// <summary>A PEM chain, decoding the URL encoding PCS uses in its response headers when the file holds it verbatim.</summary>
    internal static string Chain(string text, string file)
    {
        var pem = !text.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal) && text.Contains('%', StringComparison.Ordinal)
            ? Uri.UnescapeDataString(text.Trim())
            : text;
        return pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
            ? pem
            : throw AttestationException.Malformed($"{file} holds no PEM certificate");
    }

    private static string? Find(string directory, List<string> missing, params string[] names)
    {
        foreach (var name in names)
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        missing.Add(string.Join('|', names));
        return null;
    }
}
