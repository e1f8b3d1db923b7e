using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>The stream opener writes a chunk's plaintext only after the chunk verified, and never any of a failed chunk.</summary>
public sealed class StreamReleaseTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Stream_opener_writes_nothing_when_the_first_chunk_is_bad(bool pad)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key, pad);
        var firstChunk = Layout.Of(e).Chunks[0].Start.GetOffset(e.Length);

        foreach (var position in new[] { firstChunk, firstChunk + 40, firstChunk + 79 })
        {
            var (error, written) = Envelopes.OpenStreamRecording(key, Bytes.WithXor(e, position, 0x01));

            Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, Assert.IsType<EnvelopeException>(error).Kind);
            Assert.Empty(written.Bytes);
            Assert.DoesNotContain(written.WriteSizes, size => size > 0);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Stream_opener_writes_exactly_the_chunks_before_the_bad_one(int badChunk)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var range = Layout.Of(e).Chunks[badChunk];

        var (error, written) = Envelopes.OpenStreamRecording(key, Bytes.WithXor(e, range.Start.GetOffset(e.Length) + 3, 0x40));

        Assert.Equal(badChunk, Assert.IsType<EnvelopeException>(error).ChunkIndex);
        Assert.Equal(Sample.Payload()[..(badChunk * Sample.ChunkSize)], written.Bytes);
    }

    [Fact]
    public void Stream_opener_writes_nothing_of_a_chunk_that_turns_out_not_to_be_final()
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var cut = Layout.Of(e).Chunks[1].End.GetOffset(e.Length);

        var (error, written) = Envelopes.OpenStreamRecording(key, e[..cut]);

        Assert.Equal(EnvelopeErrorKind.Truncated, Assert.IsType<EnvelopeException>(error).Kind);
        Assert.Equal(Sample.Payload()[..Sample.ChunkSize], written.Bytes);
    }

    [Fact]
    public void Stream_opener_writes_one_verified_chunk_per_write()
    {
        using var key = TestKeys.Edge();

        var (error, written) = Envelopes.OpenStreamRecording(key, Sample.Seal(key));

        Assert.Null(error);
        Assert.Equal([64, 64, 22], written.WriteSizes.Where(size => size > 0));
        Assert.Equal(Sample.Payload(), written.Bytes);
    }
}
