using System.Text;
using Carapace.Attestation.Snp;

namespace Carapace.Attestation.Tests.Snp;

public sealed class SnpReportTamperingTests
{
    private static readonly SnpReportVerifier _verifier = new();

    [Fact]
    public void Flipping_any_byte_of_the_report_fails_verification()
    {
        // Bytes 0x000–0x29F are signed; r and s follow, then reserved bytes that must be zero: every byte counts.
        var options = SnpTestData.Options();
        var original = SnpTestData.Report;
        var accepted = new List<int>();
        for (var offset = 0; offset < original.Length; offset++)
        {
            var bytes = (byte[])original.Clone();
            bytes[offset] ^= 0xFF;
            if (_verifier.Verify(bytes, options).Verified)
            {
                accepted.Add(offset);
            }
        }

        Assert.Empty(accepted);
        Assert.True(_verifier.Verify(original, options).Verified);
    }

    [Fact]
    public void Flipping_one_bit_of_the_measurement_is_a_bad_signature()
    {
        var bytes = SnpTestData.Report;
        bytes[0x90] ^= 0x01;

        Assert.Equal(AttestationFailureReason.BadSignature, _verifier.Verify(bytes, SnpTestData.Options()).Failure?.Reason);
    }

    [Fact]
    public void Flipping_one_bit_of_r_or_s_is_a_bad_signature()
    {
        foreach (var offset in new[] { 0x2A0, 0x2A0 + 47, 0x2A0 + 72, 0x2A0 + 72 + 47 })
        {
            var bytes = SnpTestData.Report;
            bytes[offset] ^= 0x01;

            Assert.Equal(AttestationFailureReason.BadSignature, _verifier.Verify(bytes, SnpTestData.Options()).Failure?.Reason);
        }
    }

    [Fact]
    public void Every_truncation_is_rejected_as_malformed()
    {
        var options = SnpTestData.Options();
        var original = SnpTestData.Report;
        for (var length = 0; length < original.Length; length += 7)
        {
            var result = _verifier.Verify(original.AsMemory(0, length), options);

            Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(39)]
    [InlineData(4096)]
    public void A_padded_report_is_rejected_as_malformed(int padding)
    {
        var padded = new byte[SnpReport.Size + padding];
        SnpTestData.Report.CopyTo(padded, 0);

        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify(padded, SnpTestData.Options()).Failure?.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a report")]
    [InlineData("0x")]
    [InlineData("{\"report\": \"00\"}")]
    public void Garbage_text_is_rejected_as_malformed(string text)
    {
        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify(Encoding.UTF8.GetBytes(text), SnpTestData.Options()).Failure?.Reason);
    }

    [Fact]
    public void A_report_of_random_bytes_is_rejected()
    {
        var random = new Random(1184);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[SnpReport.Size];
            random.NextBytes(bytes);

            Assert.False(_verifier.Verify(bytes, SnpTestData.Options()).Verified);
        }
    }
}
