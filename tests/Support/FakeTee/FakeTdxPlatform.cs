using System.Text.Json;
using Carapace.Attestation;

namespace Carapace.Tests.FakeTee;

/// <summary>
/// An imitation Intel TDX platform for tests without hardware: a test PKI (root → PCK CA → PCK, root → TCB signing,
/// ECDSA P-256), collateral signed by it and valid around now (TCB info with an up-to-date level at TDX module SVN 3
/// and an out-of-date one at SVN 2; QE identity), and structurally real DCAP version 4 TDX quotes over any report
/// data. The settings say what the next quote shows; they can change between quotes. Nothing chains to Intel's root:
/// a verifier accepts these quotes only when given <see cref="Anchors"/> (or <see cref="RootPem"/>).
/// </summary>
internal sealed class FakeTdxPlatform : IDisposable
{
    public FakeTdxPlatform()
    {
        Pki = TestPki.Create(SyntheticQuote.SgxComponents, SyntheticQuote.PceSvn);
        var now = DateTimeOffset.UtcNow;
        Collateral = SyntheticQuote.Collateral(Pki, tdx: true,
            tcbLevels:
            [
                SyntheticQuote.Level(SyntheticQuote.SgxComponents, SyntheticQuote.PceSvn, SyntheticQuote.TdxComponents(3, 0), "UpToDate"),
                SyntheticQuote.Level(SyntheticQuote.SgxComponents, SyntheticQuote.PceSvn, SyntheticQuote.TdxComponents(2, 0), "OutOfDate", "INTEL-SA-00999"),
            ],
            issued: now.AddDays(-1), nextUpdate: now.AddDays(30));
    }

    /// <summary>The MRTD of the imitation VM image unless <see cref="Mrtd"/> is changed.</summary>
    public static byte[] DefaultMrtd { get; } = [.. Enumerable.Repeat((byte)0x7d, 48)];

    public static string DefaultMrtdHex => Convert.ToHexStringLower(DefaultMrtd);

    public TestPki Pki { get; }

    public DcapCollateral Collateral { get; }

    public TrustAnchors Anchors => Pki.Anchors;

    public string RootPem => Pki.Root.ExportCertificatePem() + "\n";

    /// <summary>The MRTD the next quotes show.</summary>
    public byte[] Mrtd { get; set; } = DefaultMrtd;

    /// <summary>True: the next quotes come from a debug TD (TDATTRIBUTES.DEBUG).</summary>
    public bool Debug { get; set; }

    /// <summary>True: the next quotes show TDX module SVN 2, which the collateral rates OutOfDate.</summary>
    public bool OutOfDate { get; set; }

    /// <summary>True: the next quotes carry other report data than they were asked for (one bit flipped).</summary>
    public bool WrongReportData { get; set; }

    /// <summary>How many quotes were made.</summary>
    public int Quotes => _quotes;

    private int _quotes;

    /// <summary>A signed TDX quote (version 4, TDX 1.0 body) over <paramref name="reportData"/> with the current settings.</summary>
    public byte[] Quote(ReadOnlySpan<byte> reportData) => Quote(reportData, Mrtd, Debug, OutOfDate, WrongReportData);

    /// <summary>
    /// A signed TDX quote over <paramref name="reportData"/> with the settings given here rather than the shared ones,
    /// for a tree whose answer depends on who asks (e.g. on the workload the report data bind).
    /// </summary>
    public byte[] Quote(ReadOnlySpan<byte> reportData, byte[] mrtd, bool debug, bool outOfDate, bool wrongReportData)
    {
        var quote = SyntheticQuote.Tdx(version: 4, debug: debug, moduleSvn: (byte)(outOfDate ? 2 : 3));
        mrtd.CopyTo(quote.Body, 0x88);
        reportData.CopyTo(quote.Body.AsSpan(0x208, 64));
        if (wrongReportData)
        {
            quote.Body[0x208] ^= 1;
        }

        Interlocked.Increment(ref _quotes);
        return quote.Build(Pki);
    }

    /// <summary>The collateral as dcap-qvl <c>QuoteCollateralV3</c> JSON, the form <see cref="DcapCollateral.Parse"/> reads.</summary>
    public string CollateralJson() => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["pck_crl_issuer_chain"] = Collateral.PckCrlIssuerChain,
        ["root_ca_crl"] = Convert.ToHexString(Collateral.RootCaCrl),
        ["pck_crl"] = Convert.ToHexString(Collateral.PckCrl),
        ["tcb_info_issuer_chain"] = Collateral.TcbInfoIssuerChain,
        ["tcb_info"] = Collateral.TcbInfo,
        ["tcb_info_signature"] = Convert.ToHexString(Collateral.TcbInfoSignature),
        ["qe_identity_issuer_chain"] = Collateral.QeIdentityIssuerChain,
        ["qe_identity"] = Collateral.QeIdentity,
        ["qe_identity_signature"] = Convert.ToHexString(Collateral.QeIdentitySignature),
    });

    public void Dispose() => Pki.Dispose();
}
