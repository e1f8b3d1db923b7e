using Carapace.Attestation.Simulation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.Simulation;

public sealed class SimulationPropertyTests
{
    private static readonly SimulatedQuotingService _service = SimulatedQuotingService.CreateEphemeral();
    private static readonly byte[] _evidence = SimulationFixture.Issue(_service, SimulationFixture.ReportDataFor("p"));
    private static readonly VerificationOptions _options = SimulationFixture.Trusting(_service);

    [Property(MaxTest = 300)]
    public void Random_bytes_are_rejected_without_an_exception(byte[] bytes)
    {
        var result = new SimulatedEvidenceVerifier().Verify(bytes ?? [], _options);
        Assert.False(result.Verified);
    }

    [Property(MaxTest = 300)]
    public void Random_bytes_after_the_magic_are_rejected_without_an_exception(byte[] bytes)
    {
        var result = new SimulatedEvidenceVerifier().Verify((byte[])[.. "CRPS"u8, 1, .. bytes ?? []], _options);
        Assert.False(result.Verified);
    }

    [Property(MaxTest = 300)]
    public Property Mutations_of_real_evidence_are_rejected_without_an_exception() =>
        Prop.ForAll(EvidenceMutation.Arbitrary(_evidence.Length), m =>
        {
            var mutated = m.Apply(_evidence);
            var result = new SimulatedEvidenceVerifier().Verify(mutated, _options);
            return !result.Verified || mutated.AsSpan().SequenceEqual(_evidence);
        });
}
