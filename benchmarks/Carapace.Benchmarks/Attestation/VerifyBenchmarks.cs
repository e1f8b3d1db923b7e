using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Carapace.Attestation;
using Carapace.Attestation.Simulation;

namespace Carapace.Benchmarks.Attestation;

/// <summary>
/// Offline verification of one piece of evidence per kind, through <see cref="EvidenceVerifiers.CreateDefault"/> as
/// <c>carapace attest verify</c> and the KMS use it, on the public vectors of
/// tests/Carapace.Attestation.Tests/TestData (embedded in this assembly) at the times their MANIFEST.md documents.
/// Every call is checked to verify, so a benchmark never times a fast rejection. Simulation evidence is issued in
/// memory by an ephemeral quoting key.
/// </summary>
[MemoryDiagnoser]
public class VerifyBenchmarks
{
    private readonly EvidenceVerifiers _verifiers = EvidenceVerifiers.CreateDefault();
    private byte[] _sgx = null!;
    private byte[] _tdx = null!;
    private byte[] _snp = null!;
    private byte[] _nitro = null!;
    private byte[] _raTls = null!;
    private ReadOnlyMemory<byte> _sim;
    private VerificationOptions _sgxOptions = null!;
    private VerificationOptions _sgxCollateralOptions = null!;
    private VerificationOptions _tdxOptions = null!;
    private VerificationOptions _snpOptions = null!;
    private VerificationOptions _nitroOptions = null!;
    private VerificationOptions _raTlsOptions = null!;
    private VerificationOptions _simOptions = null!;
    private SimulatedQuotingService _quoting = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sgx = Vector("phala_sgx_quote_v3.bin");
        _tdx = Vector("gotdx_tdx_quote_v4_SPR_E4.bin");
        _snp = Vector("gosev_snp_report_milan.bin");
        _nitro = Vector("evervault_nitro_doc_2022-10-13.cbor");
        _raTls = Vector("ccc_gramine_ratls_cert.pem");
        _sgxOptions = new VerificationOptions { At = Utc("2025-07-01T00:00:00Z") };
        _sgxCollateralOptions = new VerificationOptions
        {
            At = Utc("2025-07-01T00:00:00Z"),
            DcapCollateral = DcapCollateral.Parse(Vector("phala_sgx_quote_v3.collateral.json")),
        };
        _tdxOptions = new VerificationOptions { At = Utc("2023-07-01T01:00:00Z") };
        _snpOptions = new VerificationOptions
        {
            At = Utc("2024-01-15T00:00:00Z"),
            SnpCollateral = new SnpCollateral(X509CertificateLoader.LoadCertificate(Vector("gosev_vcek_milan.der"))),
        };
        _nitroOptions = new VerificationOptions { At = Utc("2022-10-13T09:30:00Z") };
        _raTlsOptions = new VerificationOptions { At = Utc("2024-01-15T00:00:00Z") };
        _quoting = SimulatedQuotingService.CreateEphemeral();
        _sim = new SimulatedEvidenceIssuer(_quoting, new byte[SimulatedEvidenceIssuer.MeasurementSize])
            .IssueAsync(ReportData.Bind("bench key"u8, "bench nonce"u8)).AsTask().GetAwaiter().GetResult().Bytes;
        _simOptions = new VerificationOptions { SimulationQuotingKeys = [_quoting.PublicKey] };
    }

    [GlobalCleanup]
    public void Cleanup() => _quoting.Dispose();

    [Benchmark]
    public AttestationResult SgxQuote() => Verify(EvidenceKind.Sgx, _sgx, _sgxOptions);

    [Benchmark]
    public AttestationResult SgxQuoteWithCollateral() => Verify(EvidenceKind.Sgx, _sgx, _sgxCollateralOptions);

    [Benchmark]
    public AttestationResult TdxQuote() => Verify(EvidenceKind.Tdx, _tdx, _tdxOptions);

    [Benchmark]
    public AttestationResult SnpReport() => Verify(EvidenceKind.SevSnp, _snp, _snpOptions);

    [Benchmark]
    public AttestationResult NitroDocument() => Verify(EvidenceKind.Nitro, _nitro, _nitroOptions);

    [Benchmark]
    public AttestationResult RaTlsCertificate() => Verify(EvidenceKind.RaTls, _raTls, _raTlsOptions);

    [Benchmark]
    public AttestationResult Simulation() => Verify(EvidenceKind.Simulation, _sim, _simOptions);

    private AttestationResult Verify(EvidenceKind kind, ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        var result = _verifiers.Verify(kind, evidence, options);
        return result.Verified ? result : throw new InvalidOperationException($"the {EvidenceKinds.Name(kind)} vector did not verify: {result.Failure}");
    }

    private static byte[] Vector(string name)
    {
        using var stream = typeof(VerifyBenchmarks).Assembly.GetManifestResourceStream("Carapace.Benchmarks.Attestation.Vectors." + name)
            ?? throw new InvalidOperationException($"the attestation vector {name} is not embedded in the benchmarks");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static DateTimeOffset Utc(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
