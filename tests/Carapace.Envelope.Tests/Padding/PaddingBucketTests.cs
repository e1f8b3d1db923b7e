using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Padding;

/// <summary>
/// With 64 KiB chunks a padded one-chunk message's final-chunk plaintext is the next power of two ≥ len + 4 (at least
/// 256); when that does not fit, and for every multi-chunk message, the final chunk is full (64 KiB + 4).
/// </summary>
public sealed class PaddingBucketTests
{
    private const int Cs = EnvelopeHeader.DefaultChunkSize;
    private const int Tag = 16;

    [Theory]
    [InlineData(0, 256 + Tag)]
    [InlineData(1, 256 + Tag)]
    [InlineData(252, 256 + Tag)]
    [InlineData(253, 512 + Tag)]
    [InlineData(1000, 1024 + Tag)]
    [InlineData(1020, 1024 + Tag)]
    [InlineData(1021, 2048 + Tag)]
    [InlineData(40_000, 65_536 + Tag)]
    [InlineData(65_532, 65_536 + Tag)]
    [InlineData(65_533, 65_540 + Tag)]
    [InlineData(65_536, 65_540 + Tag)]
    [InlineData(65_537, (65_536 + Tag) + (65_540 + Tag))]
    [InlineData(3 * 65_536, (2 * (65_536 + Tag)) + (65_540 + Tag))]
    [InlineData((3 * 65_536) + 1, (3 * (65_536 + Tag)) + (65_540 + Tag))]
    public void Padded_envelope_length_is_the_header_plus_the_bucketed_chunks(int payloadLength, int expectedBodyLength)
    {
        using var key = TestKeys.Edge();

        foreach (var api in Envelopes.SealApis)
        {
            var envelope = Envelopes.Seal(api, key, new byte[payloadLength], new SealOptions { Pad = true });

            Assert.Equal(EnvelopeHeader.Parse(envelope).Length + expectedBodyLength, envelope.Length);
        }
    }

    [Theory]
    [InlineData(300, 500)]
    [InlineData(0, 252)]
    [InlineData(2100, 4000)]
    [InlineData(33_000, 65_000)]
    [InlineData(70_000, 130_000)]
    public void Payloads_in_the_same_bucket_seal_to_equal_lengths(int shorter, int longer)
    {
        using var key = TestKeys.Edge();
        var options = new SealOptions { Pad = true };

        var a = EnvelopeSealer.Seal(key, new byte[shorter], options);
        var b = EnvelopeSealer.Seal(key, new byte[longer], options);

        Assert.Equal(a.Length, b.Length);
    }

    [Theory]
    [InlineData(252, 253)]
    [InlineData(65_532, 65_533)]
    [InlineData(65_536, 65_537)]
    public void Payloads_either_side_of_a_bucket_edge_seal_to_different_lengths(int shorter, int longer)
    {
        using var key = TestKeys.Edge();
        var options = new SealOptions { Pad = true };

        var a = EnvelopeSealer.Seal(key, new byte[shorter], options);
        var b = EnvelopeSealer.Seal(key, new byte[longer], options);

        Assert.True(b.Length > a.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(252)]
    [InlineData(253)]
    [InlineData(65_533)]
    [InlineData(65_537)]
    public void Padded_payload_opens_to_exactly_the_original_bytes(int payloadLength)
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.Random(payloadLength, seed: payloadLength);
        var envelope = EnvelopeSealer.Seal(key, payload, new SealOptions { Pad = true });

        foreach (var api in Envelopes.OpenApis)
        {
            Assert.Equal(payload, Envelopes.Open(api, key, envelope).Payload);
        }
    }

    [Fact]
    public void Padding_sets_the_header_flag_and_unpadded_envelopes_do_not()
    {
        using var key = TestKeys.Edge();

        var padded = EnvelopeSealer.Seal(key, "x"u8, new SealOptions { Pad = true });
        var plain = EnvelopeSealer.Seal(key, "x"u8);

        Assert.Equal(0x01, padded[5]);
        Assert.Equal(0x00, plain[5]);
        Assert.True(EnvelopeHeader.Parse(padded).Padded);
        Assert.False(EnvelopeHeader.Parse(plain).Padded);
    }

    [Theory]
    [InlineData(64, 0, 64)]
    [InlineData(64, 60, 64)]
    [InlineData(64, 61, 68)]
    [InlineData(128, 10, 128)]
    [InlineData(256, 10, 256)]
    [InlineData(512, 10, 256)]
    [InlineData(512, 253, 512)]
    public void Small_chunk_sizes_cap_the_minimum_bucket_at_the_chunk_size(int chunkSize, int payloadLength, int expectedFinalPlain)
    {
        using var key = TestKeys.Edge();

        var envelope = EnvelopeSealer.Seal(key, new byte[payloadLength], new SealOptions { ChunkSize = chunkSize, Pad = true });

        Assert.Equal(EnvelopeHeader.Parse(envelope).Length + expectedFinalPlain + Tag, envelope.Length);
    }
}
