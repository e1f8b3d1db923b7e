using System.Buffers;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;
using Carapace.Envelope.Tests.Tampering;

namespace Carapace.Envelope.Tests.Sealing;

/// <summary>The allocation-free overloads into an <see cref="IBufferWriter{T}"/>.</summary>
public sealed class BufferWriterTests
{
    [Fact]
    public void Sealing_into_a_reused_writer_after_reset_gives_independent_valid_envelopes()
    {
        using var key = TestKeys.Edge();
        var writer = new ArrayBufferWriter<byte>();

        var first = EnvelopeSealer.Seal(key, "first"u8, writer);
        var a = writer.WrittenSpan.ToArray();
        writer.ResetWrittenCount();
        EnvelopeSealer.Seal(key, "second"u8, writer);
        var b = writer.WrittenSpan.ToArray();

        Assert.Equal("first"u8.ToArray(), Envelopes.Open(OpenApi.Span, key, a).Payload);
        Assert.Equal("second"u8.ToArray(), Envelopes.Open(OpenApi.Span, key, b).Payload);
        Assert.Equal(first.RequestId, Envelopes.Open(OpenApi.Span, key, a).Metadata.RequestId);
    }

    [Fact]
    public void Opening_into_a_writer_appends_after_what_it_already_holds()
    {
        using var key = TestKeys.Edge();
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("abc"u8);

        EnvelopeOpener.Open(key, Sample.Seal(key), writer);

        Assert.Equal("abc"u8.ToArray().Concat(Sample.Payload()), writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Opening_into_a_writer_advances_nothing_and_zeroes_the_plaintext_when_a_chunk_fails(int badChunk)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var tampered = Bytes.WithXor(e, Layout.Of(e).Chunks[badChunk].Start.GetOffset(e.Length), 1);
        var writer = new FixedWriter(4096);

        Assert.Throws<EnvelopeException>(() => EnvelopeOpener.Open(key, tampered, writer));

        Assert.Equal(0, writer.Advanced);
        Assert.False(Bytes.Contains(writer.Buffer, Sample.Payload()[..16]));
        Assert.All(writer.Buffer[..(badChunk * Sample.ChunkSize)], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Opening_into_a_writer_rejects_bytes_appended_after_a_full_final_chunk()
    {
        // The final chunk is then read as a non-final one, with a 3-byte "final" chunk after it: the plaintext bound
        // must still leave room for every full chunk (it once did not, and the open threw ArgumentOutOfRangeException).
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key, length: 3 * Sample.ChunkSize);
        var writer = new ArrayBufferWriter<byte>();

        var error = Assert.Throws<EnvelopeException>(() => EnvelopeOpener.Open(key, [.. e, 1, 2, 3], writer));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(2, error.ChunkIndex);
        Assert.Equal(0, writer.WrittenCount);
    }

    /// <summary>Hands out one fixed buffer, pre-filled with 0xAA, and counts Advance.</summary>
    private sealed class FixedWriter(int size) : IBufferWriter<byte>
    {
        public byte[] Buffer { get; } = Enumerable.Repeat((byte)0xaa, size).ToArray();

        public int Advanced { get; private set; }

        public void Advance(int count) => Advanced += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Buffer.AsMemory(Advanced);

        public Span<byte> GetSpan(int sizeHint = 0) => Buffer.AsSpan(Advanced);
    }
}
