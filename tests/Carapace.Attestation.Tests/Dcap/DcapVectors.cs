using Carapace.Attestation.Dcap;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>The DCAP vectors of TestData (see MANIFEST.md) and the times their expected results hold at.</summary>
internal static class DcapVectors
{
    /// <summary>The time dcap-qvl's test verifies the SGX quote and collateral at.</summary>
    public static readonly DateTimeOffset SgxTime = Vectors.Utc("2025-07-01T00:00:00Z");

    /// <summary>The time go-tdx-guest's test verifies the TDX quote at.</summary>
    public static readonly DateTimeOffset TdxTime = Vectors.Utc("2023-07-01T01:00:00Z");

    /// <summary>Long after every PCK certificate has expired.</summary>
    public static readonly DateTimeOffset Far = Vectors.Utc("2053-07-01T00:00:00Z");

    public static byte[] SgxQuote() => Vectors.Bytes("sgx/phala_sgx_quote_v3.bin");

    public static byte[] TdxQuote() => Vectors.Bytes("tdx/gotdx_tdx_quote_v4_SPR_E4.bin");

    /// <summary>The TDX quote without go-tdx-guest's 39 trailing test bytes.</summary>
    public static byte[] TdxQuoteExact() => TdxQuote()[..4935];

    public static DcapCollateral SgxCollateral() => DcapCollateral.Parse(Vectors.Bytes("sgx/phala_sgx_quote_v3.collateral.json"));

    public static DcapCollateral TdxCollateral() => DcapCollateral.Parse(Vectors.Bytes("tdx/gotdx_tdx_quote_v4_SPR_E4.collateral.json"));

    public static VerificationOptions At(DateTimeOffset at, DcapCollateral? collateral = null) => new() { At = at, DcapCollateral = collateral };

    public static AttestationResult VerifySgx(byte[] quote, DateTimeOffset at, DcapCollateral? collateral = null) =>
        new SgxQuoteVerifier().Verify(quote, At(at, collateral));

    public static AttestationResult VerifyTdx(byte[] quote, DateTimeOffset at, DcapCollateral? collateral = null) =>
        new TdxQuoteVerifier().Verify(quote, At(at, collateral));

    /// <summary>A copy of <paramref name="collateral"/> with some items replaced.</summary>
    public static DcapCollateral With(
        this DcapCollateral collateral,
        string? tcbInfo = null,
        byte[]? tcbInfoSignature = null,
        string? qeIdentity = null,
        byte[]? qeIdentitySignature = null,
        byte[]? pckCrl = null,
        byte[]? rootCaCrl = null,
        string? tcbInfoIssuerChain = null) => new()
        {
            PckCrlIssuerChain = collateral.PckCrlIssuerChain,
            RootCaCrl = rootCaCrl ?? collateral.RootCaCrl,
            PckCrl = pckCrl ?? collateral.PckCrl,
            TcbInfoIssuerChain = tcbInfoIssuerChain ?? collateral.TcbInfoIssuerChain,
            TcbInfo = tcbInfo ?? collateral.TcbInfo,
            TcbInfoSignature = tcbInfoSignature ?? collateral.TcbInfoSignature,
            QeIdentityIssuerChain = collateral.QeIdentityIssuerChain,
            QeIdentity = qeIdentity ?? collateral.QeIdentity,
            QeIdentitySignature = qeIdentitySignature ?? collateral.QeIdentitySignature,
        };

    public static string Hex(ReadOnlyMemory<byte> bytes) => Convert.ToHexStringLower(bytes.Span);

    public static Claim ClaimNamed(this AttestationResult result, string name) => Assert.Single(result.Claims, c => c.Name == name);
}
