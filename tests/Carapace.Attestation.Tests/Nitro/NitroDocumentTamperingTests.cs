using System.Text;
using Carapace.Attestation.Nitro;

namespace Carapace.Attestation.Tests.Nitro;

public sealed class NitroDocumentTamperingTests
{
    private static readonly NitroDocumentVerifier _verifier = new();

    [Fact]
    public void Flipping_any_byte_of_the_document_fails_verification()
    {
        // Every byte of the COSE framing, the protected header, the attestation fields (module id, PCRs, leaf
        // certificate, nonce…) and the signature is flipped; the CA bundle's certificates, 3 KB of the signed payload
        // that only the chain reads, are sampled (every 5th byte) to keep the test fast.
        var options = NitroTestData.Options();
        var original = NitroTestData.Document;
        var bundle = NitroDocument.Parse(original).CaBundle.Select(c => (Start: original.AsSpan().IndexOf(c.Span), c.Length)).ToList();
        Assert.All(bundle, b => Assert.True(b.Start > 0));
        var accepted = new List<int>();
        var tried = 0;
        for (var offset = 0; offset < original.Length; offset++)
        {
            if (offset % 5 != 0 && bundle.Any(b => offset >= b.Start && offset < b.Start + b.Length))
            {
                continue;
            }

            var bytes = (byte[])original.Clone();
            bytes[offset] ^= 0xFF;
            tried++;
            if (_verifier.Verify(bytes, options).Verified)
            {
                accepted.Add(offset);
            }
        }

        Assert.Empty(accepted);
        Assert.InRange(tried, 1500, original.Length);
        Assert.True(_verifier.Verify(original, options).Verified);
    }

    [Fact]
    public void Flipping_one_bit_of_PCR0_is_a_bad_signature()
    {
        var bytes = NitroTestData.Document;
        var offset = bytes.AsSpan().IndexOf(Convert.FromHexString(NitroTestData.Pcr0));
        bytes[offset] ^= 0x01;

        Assert.Equal(AttestationFailureReason.BadSignature, _verifier.Verify(bytes, NitroTestData.Options()).Failure?.Reason);
    }

    [Fact]
    public void Flipping_one_bit_of_the_signature_is_a_bad_signature()
    {
        foreach (var fromEnd in new[] { 1, 48, 49, 96 })
        {
            var bytes = NitroTestData.Document;
            bytes[^fromEnd] ^= 0x01;

            Assert.Equal(AttestationFailureReason.BadSignature, _verifier.Verify(bytes, NitroTestData.Options()).Failure?.Reason);
        }
    }

    [Fact]
    public void Every_truncation_is_rejected_as_malformed()
    {
        var options = NitroTestData.Options();
        var original = NitroTestData.Document;
        for (var length = 0; length < original.Length; length += 11)
        {
            var result = _verifier.Verify(original.AsMemory(0, length), options);

            Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void A_padded_document_is_rejected_as_malformed(int padding)
    {
        var padded = new byte[NitroTestData.Document.Length + padding];
        NitroTestData.Document.CopyTo(padded, 0);

        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify(padded, NitroTestData.Options()).Failure?.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not cbor")]
    [InlineData("{\"module_id\": \"x\"}")]
    public void Garbage_is_rejected_as_malformed(string text)
    {
        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify(Encoding.UTF8.GetBytes(text), NitroTestData.Options()).Failure?.Reason);
    }

    [Theory]
    [InlineData("f6")] // null
    [InlineData("80")] // []
    [InlineData("8440a04040")] // four empty items
    [InlineData("8441a0a04040")] // protected header that is a map header only
    [InlineData("9f40a04040ff")] // indefinite array without an algorithm
    [InlineData("845f41a1ffa04040")] // indefinite byte string
    [InlineData("d2d2f6")] // tag inside tag
    public void Small_CBOR_shapes_are_rejected_as_malformed(string hex)
    {
        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify(Convert.FromHexString(hex), NitroTestData.Options()).Failure?.Reason);
    }
}
