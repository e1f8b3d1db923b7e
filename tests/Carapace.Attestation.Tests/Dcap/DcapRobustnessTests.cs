using Carapace.Attestation.Dcap;
using FsCheck;
using FsCheck.Xunit;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>Truncated, padded, garbage and randomly mutated input is rejected (or, past the quote's end, ignored), never thrown.</summary>
public sealed class DcapRobustnessTests
{
    [Fact]
    public void Every_truncation_of_the_sgx_quote_is_rejected_as_malformed()
    {
        var quote = SgxQuote();
        for (var length = 0; length < quote.Length; length++)
        {
            var result = VerifySgx(quote[..length], SgxTime);
            Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        }
    }

    [Fact]
    public void Every_truncation_of_the_tdx_quote_inside_its_signature_data_is_rejected()
    {
        var quote = TdxQuote();
        for (var length = 0; length < 4935; length++)
        {
            Assert.Equal(AttestationFailureReason.Malformed, VerifyTdx(quote[..length], TdxTime).Failure?.Reason);
        }
    }

    [Fact]
    public void Bytes_appended_after_the_signature_data_are_ignored()
    {
        var padded = SgxQuote().Concat(Enumerable.Repeat((byte)0xff, 1000)).ToArray();

        var result = VerifySgx(padded, SgxTime, SgxCollateral());

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(TcbStatus.ConfigurationAndSWHardeningNeeded, result.TcbStatus);
    }

    [Fact]
    public void Bytes_inserted_before_the_signature_data_are_rejected()
    {
        var quote = SgxQuote();
        var padded = quote[..QuoteBytes.SgxSignatureLengthOffset].Concat(new byte[4]).Concat(quote[QuoteBytes.SgxSignatureLengthOffset..]).ToArray();

        Assert.False(VerifySgx(padded, SgxTime).Verified);
    }

    [Theory]
    [InlineData(0, 0x00)]
    [InlineData(47, 0x00)]
    [InlineData(48, 0x00)]
    [InlineData(5000, 0x00)]
    [InlineData(5000, 0xff)]
    public void Constant_garbage_is_rejected(int length, byte value)
    {
        var garbage = Enumerable.Repeat(value, length).ToArray();

        Assert.False(VerifySgx(garbage, SgxTime, SgxCollateral()).Verified);
        Assert.False(VerifyTdx(garbage, TdxTime, TdxCollateral()).Verified);
    }

    [Fact]
    public void A_real_header_followed_by_random_bytes_is_rejected()
    {
        var random = new Random(20240601);
        foreach (var quote in new[] { SgxQuote(), TdxQuote() })
        {
            for (var i = 0; i < 50; i++)
            {
                var tail = new byte[random.Next(0, 6000)];
                random.NextBytes(tail);
                var bytes = quote[..48].Concat(tail).ToArray();
                Assert.False(VerifySgx(bytes, SgxTime).Verified);
                Assert.False(VerifyTdx(bytes, TdxTime).Verified);
            }
        }
    }

    [Fact]
    public void Malformed_collateral_items_are_rejected_not_thrown()
    {
        var collateral = SgxCollateral();
        var cases = new[]
        {
            collateral.With(tcbInfo: "{"),
            collateral.With(tcbInfo: "[]"),
            collateral.With(tcbInfo: collateral.TcbInfo.Replace("\"tcbLevels\"", "\"levels\"", StringComparison.Ordinal)),
            collateral.With(tcbInfo: collateral.TcbInfo.Replace("\"fmspc\":\"00A067110000\"", "\"fmspc\":\"00A0671100\"", StringComparison.Ordinal)),
            collateral.With(tcbInfo: collateral.TcbInfo.Replace("\"version\":3", "\"version\":4", StringComparison.Ordinal)),
            collateral.With(qeIdentity: collateral.QeIdentity.Replace("\"isvprodid\":1", "\"isvprodid\":\"1\"", StringComparison.Ordinal)),
            collateral.With(tcbInfoSignature: new byte[63]),
            collateral.With(pckCrl: [0x30, 0x03, 0x02, 0x01, 0x01]),
            collateral.With(rootCaCrl: []),
            collateral.With(tcbInfoIssuerChain: "not pem"),
        };

        foreach (var bad in cases)
        {
            var result = VerifySgx(SgxQuote(), SgxTime, bad);
            Assert.False(result.Verified);
            Assert.NotNull(result.Failure!.Message);
        }
    }

    [Property(MaxTest = 200)]
    public void Random_bytes_are_rejected_without_an_exception(byte[] bytes, bool withHeader)
    {
        var input = withHeader ? TdxQuote()[..48].Concat(bytes).ToArray() : bytes;

        Assert.False(VerifySgx(input, SgxTime, SgxCollateral()).Verified);
        Assert.False(VerifyTdx(input, TdxTime, TdxCollateral()).Verified);
    }

    [Property(MaxTest = 200)]
    public void Random_mutations_of_the_vectors_never_throw(bool tdx, NonNegativeInt[] positions, byte[] values, NonNegativeInt cut)
    {
        var quote = tdx ? TdxQuote() : SgxQuote();
        for (var i = 0; i < positions.Length && i < values.Length; i++)
        {
            quote[positions[i].Get % quote.Length] ^= (byte)(values[i] | 1);
        }

        if (cut.Get % 4 == 0)
        {
            quote = quote[..(cut.Get % quote.Length)];
        }

        var result = tdx ? VerifyTdx(quote, TdxTime, TdxCollateral()) : VerifySgx(quote, SgxTime, SgxCollateral());

        Assert.True(result.Verified || result.Failure is not null);
    }

    [Property(MaxTest = 100)]
    public void Random_mutations_of_the_collateral_never_throw(NonNegativeInt position, char replacement, bool qeIdentity)
    {
        var collateral = SgxCollateral();
        var text = qeIdentity ? collateral.QeIdentity : collateral.TcbInfo;
        var chars = text.ToCharArray();
        chars[position.Get % chars.Length] = replacement;
        var mutated = new string(chars);

        var result = VerifySgx(SgxQuote(), SgxTime, qeIdentity ? collateral.With(qeIdentity: mutated) : collateral.With(tcbInfo: mutated));

        Assert.Equal(mutated == text, result.Verified);
    }

    [Property(MaxTest = 100)]
    public void Parse_throws_only_attestation_exceptions(byte[] bytes)
    {
        try
        {
            DcapQuote.Parse(bytes);
        }
        catch (AttestationException)
        {
        }
    }
}
