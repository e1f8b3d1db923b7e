using Carapace.Attestation.Receipts;
using Carapace.Attestation.Tests.Simulation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.Receipts;

public sealed class ReceiptPropertyTests
{
    private static readonly ReceiptFixture s_fixture = new();
    private static readonly byte[] s_receipt = s_fixture.Signer.Sign(ReceiptFixture.Body());

    [Property(MaxTest = 500)]
    public void Random_bytes_are_rejected_without_an_exception(byte[] bytes)
    {
        var verification = ReceiptVerifier.Verify(bytes ?? [], s_fixture.Options);

        Assert.False(verification.Verified);
        Assert.NotNull(verification.Reason);
    }

    [Property(MaxTest = 500)]
    public void Random_bytes_inside_a_receipt_map_are_rejected_without_an_exception(byte[] bytes)
    {
        // 0xa5: a map of five entries, the shape of a receipt, so the parser gets past the first byte.
        var verification = ReceiptVerifier.Verify((byte[])[0xa5, 0x61, (byte)'v', 0x01, .. bytes ?? []], s_fixture.Options);

        Assert.False(verification.Verified);
    }

    [Property(MaxTest = 500)]
    public Property Mutations_of_a_real_receipt_are_rejected_without_an_exception() =>
        Prop.ForAll(EvidenceMutation.Arbitrary(s_receipt.Length), m =>
        {
            var mutated = m.Apply(s_receipt);
            var verification = ReceiptVerifier.Verify(mutated, s_fixture.Options);
            return !verification.Verified || mutated.AsSpan().SequenceEqual(s_receipt);
        });
}
