namespace Carapace.Attestation.RaTls;

/// <summary>Object identifiers of RA-TLS evidence extensions and of the signature algorithms Carapace checks.</summary>
internal static class RaTlsOids
{
    /// <summary>TCG DICE <c>tcg-dice-tagged-evidence</c>, used by the CCC interoperable RA-TLS format.</summary>
    public const string TcgDiceTaggedEvidence = "2.23.133.5.4.9";

    /// <summary>Gramine's SGX quote extension.</summary>
    public const string GramineQuote = "1.2.840.113741.1337.6";

    /// <summary>
    /// Gramine (through mbedTLS) writes its quote extension's OID with the OID's own tag and length inside the value
    /// (06 0B 06 09 2A 86 48 86 F8 4D 8A 39 06), which decodes as this identifier.
    /// </summary>
    public const string GramineQuoteDoubleEncoded = "0.6.9.42.840.113741.1337.6";

    /// <summary>Open Enclave's current SGX evidence extension.</summary>
    public const string OpenEnclaveEvidence = "1.3.6.1.4.1.311.105.1";

    /// <summary>Open Enclave's legacy report extension.</summary>
    public const string OpenEnclaveLegacyReport = "1.2.840.113556.10.1.1";

    public const string EcPublicKey = "1.2.840.10045.2.1";
    public const string RsaEncryption = "1.2.840.113549.1.1.1";
    public const string EcdsaSha256 = "1.2.840.10045.4.3.2";
    public const string EcdsaSha384 = "1.2.840.10045.4.3.3";
    public const string EcdsaSha512 = "1.2.840.10045.4.3.4";
    public const string RsaSha256 = "1.2.840.113549.1.1.11";
    public const string RsaSha384 = "1.2.840.113549.1.1.12";
    public const string RsaSha512 = "1.2.840.113549.1.1.13";

    /// <summary>Extensions a critical flag is tolerated on: the usual X.509 ones and the evidence extensions.</summary>
    public static readonly IReadOnlySet<string> KnownCritical = new HashSet<string>(StringComparer.Ordinal)
    {
        "2.5.29.14", "2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.35", "2.5.29.37",
        TcgDiceTaggedEvidence, GramineQuote, GramineQuoteDoubleEncoded,
    };
}
