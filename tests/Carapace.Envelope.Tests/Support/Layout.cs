using Carapace.Envelope.Format;

namespace Carapace.Envelope.Tests.Support;

/// <summary>Where the header and the chunks of a (well-formed) envelope are, computed the way a reader does.</summary>
internal sealed record Layout(int HeaderLength, int ChunkSize, bool Padded, IReadOnlyList<Range> Chunks)
{
    public static Layout Of(byte[] envelope)
    {
        var header = EnvelopeHeader.Parse(envelope);
        var nonFinal = header.ChunkSize + 16;
        var maxFinal = nonFinal + (header.Padded ? 4 : 0);
        var chunks = new List<Range>();
        var pos = header.Length;
        while (envelope.Length - pos > maxFinal)
        {
            chunks.Add(pos..(pos + nonFinal));
            pos += nonFinal;
        }

        chunks.Add(pos..envelope.Length);
        return new Layout(header.Length, header.ChunkSize, header.Padded, chunks);
    }

    public byte[] Header(byte[] envelope) => envelope[..HeaderLength];

    public byte[] Chunk(byte[] envelope, int index) => envelope[Chunks[index]];

    /// <summary>Whether byte <paramref name="position"/> lies in the header.</summary>
    public bool InHeader(int position) => position < HeaderLength;
}
