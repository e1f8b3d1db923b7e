using Carapace.Attestation.Simulation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.Simulation;

public sealed class SimulationPropertyTests
{
    private static readonly SimulatedQuotingService Service = SimulatedQuotingService.CreateEphemeral();
    private static readonly byte[] Evidence = SimulationFixture.Issue(Service, SimulationFixture.ReportDataFor("p"));
    private static readonly VerificationOptions Options = SimulationFixture.Trusting(Service);

    [Property(MaxTest = 300)]
    public void Random_bytes_are_rejected_without_an_exception(byte[] bytes)
    {
        var result = new SimulatedEvidenceVerifier().Verify(bytes ?? [], Options);
        Assert.False(result.Verified);
    }

    [Property(MaxTest = 300)]
    public void Random_bytes_after_the_magic_are_rejected_without_an_exception(byte[] bytes)
    {
        var result = new SimulatedEvidenceVerifier().Verify((byte[])[.. "CRPS"u8, 1, .. bytes ?? []], Options);
        Assert.False(result.Verified);
    }

    [Property(MaxTest = 300)]
    public Property Mutations_of_real_evidence_are_rejected_without_an_exception() =>
        Prop.ForAll(EvidenceMutation.Arbitrary(Evidence.Length), m =>
        {
            var mutated = m.Apply(Evidence);
            var result = new SimulatedEvidenceVerifier().Verify(mutated, Options);
            return !result.Verified || mutated.AsSpan().SequenceEqual(Evidence);
        });
}
