using System.Text;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Simulation;
using Carapace.Attestation.Tests.Simulation;

namespace Carapace.Attestation.Tests.RaTls;

public sealed class EvidenceVerifiersTests
{
    [Fact]
    public void Two_verifiers_for_one_kind_are_refused() =>
        Assert.Throws<ArgumentException>(() => new EvidenceVerifiers([new FakeQuoteVerifier(EvidenceKind.Sgx), new FakeQuoteVerifier(EvidenceKind.Sgx)]));

    [Fact]
    public void Verify_routes_to_the_verifier_of_the_kind()
    {
        var sgx = new FakeQuoteVerifier(EvidenceKind.Sgx);
        var tdx = new FakeQuoteVerifier(EvidenceKind.Tdx);
        var registry = new EvidenceVerifiers([sgx, tdx]);
        var quote = Vectors.Bytes("tdx/gotdx_tdx_quote_v4_SPR_E4.bin");

        var result = registry.Verify(EvidenceKind.Tdx, quote, new VerificationOptions());

        Assert.True(result.Verified);
        Assert.Single(tdx.Seen);
        Assert.Empty(sgx.Seen);
        Assert.Equal([EvidenceKind.Sgx, EvidenceKind.Tdx], registry.Kinds.Order());
        Assert.True(registry.TryGet(EvidenceKind.Tdx, out var found));
        Assert.Same(tdx, found);
    }

    [Fact]
    public void Verify_without_a_verifier_for_the_kind_is_unsupported()
    {
        var result = new EvidenceVerifiers([]).Verify(EvidenceKind.Nitro, new byte[10], new VerificationOptions());

        Assert.Equal(EvidenceKind.Nitro, result.Kind);
        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Equal("no verifier for nitro evidence is configured in this Carapace build", result.Failure!.Message);
    }

    [Fact]
    public void VerifyAuto_rejects_unrecognised_evidence_and_asks_for_the_kind()
    {
        var result = new EvidenceVerifiers([new FakeQuoteVerifier(EvidenceKind.Sgx)]).VerifyAuto("what is this?"u8.ToArray(), new VerificationOptions());

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        Assert.Equal("could not recognise the evidence format; pass --kind", result.Failure!.Message);
    }

    [Fact]
    public void VerifyAuto_verifies_simulation_evidence_with_the_simulation_verifier()
    {
        using var service = SimulatedQuotingService.CreateEphemeral();
        var registry = new EvidenceVerifiers([new SimulatedEvidenceVerifier(), new FakeQuoteVerifier(EvidenceKind.Sgx)]);

        var result = registry.VerifyAuto(SimulationFixture.Issue(service, new byte[64]), SimulationFixture.Trusting(service));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Simulation, result.Kind);
        Assert.True(result.Insecure);
    }

    [Fact]
    public void VerifyAuto_verifies_the_RA_TLS_vector_through_the_RA_TLS_verifier()
    {
        var quotes = new EvidenceVerifiers([new FakeQuoteVerifier(EvidenceKind.Sgx)]);
        var registry = new EvidenceVerifiers([new FakeQuoteVerifier(EvidenceKind.Sgx), new RaTlsVerifier(quotes)]);

        var result = registry.VerifyAuto(RaTlsTestKit.Vector, RaTlsTestKit.At(RaTlsTestKit.VectorTime));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.RaTls, result.Kind);
    }

    [Fact]
    public void VerifyAuto_decodes_an_SNP_report_given_as_hex_before_verifying_it()
    {
        var snp = new Recorder(EvidenceKind.SevSnp);
        var report = Vectors.Bytes("snp/gosev_snp_report_milan.bin");

        new EvidenceVerifiers([snp]).VerifyAuto(Encoding.ASCII.GetBytes(Convert.ToHexString(report) + "\n"), new VerificationOptions());

        Assert.Equal(report, snp.Seen);
    }

    [Fact]
    public void A_plugged_in_verifier_that_throws_a_typed_failure_gives_a_rejection()
    {
        var registry = new EvidenceVerifiers([new Thrower()]);

        var result = registry.Verify(EvidenceKind.Nitro, new byte[4], new VerificationOptions());

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    private sealed class Recorder(EvidenceKind kind) : IEvidenceVerifier
    {
        public byte[]? Seen { get; private set; }

        public EvidenceKind Kind => kind;

        public AttestationResult Verify(ReadOnlyMemory<byte> evidence, VerificationOptions options)
        {
            Seen = evidence.ToArray();
            return AttestationResult.Rejected(kind, AttestationFailureReason.Malformed, "recorded only");
        }
    }

    private sealed class Thrower : IEvidenceVerifier
    {
        public EvidenceKind Kind => EvidenceKind.Nitro;

        public AttestationResult Verify(ReadOnlyMemory<byte> evidence, VerificationOptions options) =>
            throw new AttestationException(AttestationFailureReason.BrokenChain, "thrown, not returned");
    }
}
