using Carapace.Attestation.RaTls;
using Carapace.Attestation.Simulation;
using Carapace.Attestation.Tests.Simulation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.RaTls;

public sealed class RaTlsPropertyTests
{
    private static readonly byte[] _pem = RaTlsTestKit.Vector;
    private static readonly byte[] _der = RaTlsTestKit.VectorDer;
    private static readonly VerificationOptions _options = RaTlsTestKit.At(RaTlsTestKit.VectorTime);

    private static AttestationResult Verify(byte[] bytes) => RaTlsTestKit.Verifier().Verifier.Verify(bytes, _options);

    [Property(MaxTest = 300)]
    public void Random_bytes_are_rejected_without_an_exception(byte[] bytes) => Assert.False(Verify(bytes ?? []).Verified);

    [Property(MaxTest = 100)]
    public Property Mutations_of_the_DER_vector_are_rejected_without_an_exception() =>
        Prop.ForAll(EvidenceMutation.Arbitrary(_der.Length), m =>
        {
            var mutated = m.Apply(_der);
            return !Verify(mutated).Verified || mutated.AsSpan().SequenceEqual(_der);
        });

    [Property(MaxTest = 100)]
    public Property Mutations_of_the_PEM_vector_never_throw() =>
        Prop.ForAll(EvidenceMutation.Arbitrary(_pem.Length), m =>
        {
            // Some PEM mutations (white space, trailing text) leave the certificate intact; only the absence of exceptions is universal.
            _ = Verify(m.Apply(_pem));
            return true;
        });

    [Property(MaxTest = 300)]
    public void Detection_and_automatic_verification_of_random_bytes_never_throw(byte[] bytes)
    {
        var quotes = new EvidenceVerifiers([new FakeQuoteVerifier(EvidenceKind.Sgx), new FakeQuoteVerifier(EvidenceKind.Tdx)]);
        var registry = new EvidenceVerifiers([new SimulatedEvidenceVerifier(), new RaTlsVerifier(quotes)]);
        _ = EvidenceDetector.Detect(bytes ?? []);
        Assert.False(registry.VerifyAuto(bytes ?? [], _options).Verified);
    }
}
