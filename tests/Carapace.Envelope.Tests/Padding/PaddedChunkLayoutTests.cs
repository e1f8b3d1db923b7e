using System.Buffers.Binary;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Padding;

/// <summary>The decrypted final chunk of a padded envelope is data ‖ zeros ‖ u32 BE padding length.</summary>
public sealed class PaddedChunkLayoutTests
{
    [Theory]
    [InlineData(64, 0)]
    [InlineData(64, 10)]
    [InlineData(64, 150)]
    [InlineData(64, 192)]
    [InlineData(256, 100)]
    public void Final_chunk_plaintext_is_data_then_zeros_then_big_endian_padding_length(int chunkSize, int payloadLength)
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.Random(payloadLength, seed: 3);
        var envelope = EnvelopeSealer.Seal(key, payload, new SealOptions { ChunkSize = chunkSize, Pad = true });
        var header = EnvelopeHeader.Parse(envelope);
        var layout = Layout.Of(envelope);
        var last = layout.Chunks.Count - 1;
        var finalChunk = layout.Chunk(envelope, last);

        var plain = new byte[finalChunk.Length - 16];
        using (var cipher = new MessageCipher(key, header))
        {
            Assert.True(cipher.TryOpen((uint)last, final: true, finalChunk, plain));
        }

        var data = payload[(last * chunkSize)..];
        var padding = BinaryPrimitives.ReadUInt32BigEndian(plain.AsSpan(plain.Length - 4));
        Assert.Equal(plain.Length - 4 - data.Length, (int)padding);
        Assert.Equal(data, plain[..data.Length]);
        Assert.All(plain[data.Length..^4], b => Assert.Equal(0, b));
    }
}
