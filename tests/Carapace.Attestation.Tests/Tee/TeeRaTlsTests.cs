using System.Security.Cryptography;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Tee;

namespace Carapace.Attestation.Tests.Tee;

/// <summary>RA-TLS certificates and receipts made in an imitation TDX or SEV-SNP VM for one workload, through configfs-tsm.</summary>
public sealed class TeeRaTlsTests : IDisposable
{
    private static readonly byte[] Workload = SHA256.HashData("function measurement"u8);
    private readonly FakeTdxPlatform _tdx = new();
    private readonly FakeTsmTree _tree;
    private readonly TeeBackend _backend;

    public TeeRaTlsTests()
    {
        _tree = FakeTsmTree.Tdx(_tdx);
        _backend = TeeBackend.Hardware(TeeKind.Tdx, _tree.Root);
    }

    private VerificationOptions Options => new() { Roots = _tdx.Anchors, DcapCollateral = _tdx.Collateral };

    [Fact]
    public async Task An_RA_TLS_certificate_from_a_TDX_VM_verifies_with_the_workload_and_the_VM_s_MRTD()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _backend.IssuerFor(Workload), "nonce"u8.ToArray(), "enclave", TimeSpan.FromMinutes(5));

        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate.RawData, Options);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(Workload, result.Workload.ToArray());
        Assert.Equal(FakeTdxPlatform.DefaultMrtd, result.Measurement.ToArray());
        Assert.Equal(EvidenceKind.Tdx, result.Inner!.Kind);
        Assert.Equal(TcbStatus.UpToDate, result.TcbStatus);
        Assert.Equal(Workload, result.Claims.Single(c => c.Name == "workload").Bytes);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), result.PublicKey.ToArray());
    }

    [Fact]
    public async Task A_certificate_whose_quote_binds_other_report_data_is_rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var honest = _backend.IssuerFor(Workload);
        var liar = new ReportDataSwapper(honest);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, liar, "nonce"u8.ToArray(), "enclave", TimeSpan.FromMinutes(5));

        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate.RawData, Options);

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
        Assert.Contains("bind neither SHA-256 of the certificate's claims buffer nor a Carapace workload", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_collateral_the_TCB_is_unknown_and_without_the_test_root_nothing_verifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _backend.IssuerFor(Workload), "nonce"u8.ToArray(), "enclave", TimeSpan.FromMinutes(5));

        var noCollateral = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate.RawData, new VerificationOptions { Roots = _tdx.Anchors });
        var builtIn = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate.RawData, new VerificationOptions());

        Assert.True(noCollateral.Verified, noCollateral.ToString());
        Assert.Equal(TcbStatus.Unknown, noCollateral.TcbStatus);
        Assert.Equal(AttestationFailureReason.BrokenChain, builtIn.Failure?.Reason);
    }

    [Fact]
    public async Task An_RA_TLS_certificate_from_an_SNP_VM_verifies_with_the_VCEK_it_carries()
    {
        using var snp = new FakeSnpPlatform();
        using var tree = FakeTsmTree.Snp(snp);
        using var backend = TeeBackend.Hardware(TeeKind.Snp, tree.Root);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, backend.IssuerFor(Workload), "nonce"u8.ToArray(), "enclave", TimeSpan.FromMinutes(5));

        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate.RawData, new VerificationOptions { Roots = TrustAnchors.Custom([snp.Chain.Ark]) });

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.SevSnp, result.Inner!.Kind);
        Assert.Equal(Workload, result.Workload.ToArray());
        Assert.Equal(FakeSnpPlatform.DefaultMeasurement, result.Measurement.ToArray());
        Assert.Equal(FakeSnpPlatform.Tcb.ToBytes(), result.Inner.Claims.Single(c => c.Name == "reportedTcb").Bytes);
    }

    [Fact]
    public async Task A_receipt_signed_in_a_TDX_VM_verifies_and_proves_the_workload()
    {
        using var signer = await ReceiptSigner.CreateAsync(_backend.IssuerFor(Workload));
        var receipt = signer.Sign(Body(Workload));

        var verification = ReceiptVerifier.Verify(receipt, Options);
        var other = ReceiptVerifier.Verify(signer.Sign(Body(SHA256.HashData("other code"u8))), Options);

        Assert.True(verification.Verified, verification.ToString());
        Assert.Equal(FakeTdxPlatform.DefaultMrtd, verification.Attestation!.Measurement.ToArray());
        Assert.Equal(ReceiptFailureReason.MeasurementMismatch, other.Reason);
    }

    public void Dispose()
    {
        _backend.Dispose();
        _tree.Dispose();
        _tdx.Dispose();
    }

    private static ReceiptBody Body(byte[] measurement) => new()
    {
        Namespace = "acme",
        Function = "f",
        Measurement = measurement,
        Chain = "f",
        Step = 1,
        RequestId = Carapace.Envelope.Format.RequestId.New(),
        InputSha256 = new byte[32],
        OutputSha256 = new byte[32],
        Status = Protocol.InvocationStatus.Completed,
        Start = DateTimeOffset.UtcNow,
        End = DateTimeOffset.UtcNow,
    };

    /// <summary>Asks the hardware for other report data than the caller's: what a relaying attacker would present.</summary>
    private sealed class ReportDataSwapper(IEvidenceIssuer inner) : IEvidenceIssuer
    {
        public EvidenceKind Kind => inner.Kind;

        public ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
        {
            var other = reportData.ToArray();
            other[0] ^= 1;
            return inner.IssueAsync(other, cancellationToken);
        }
    }
}
