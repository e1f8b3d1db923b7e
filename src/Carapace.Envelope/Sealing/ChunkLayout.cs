namespace Carapace.Envelope.Sealing;

/// <summary>
/// How a payload is cut into chunks. Every non-final chunk holds exactly <c>chunkSize</c> plaintext bytes; the final
/// chunk holds the rest (0..chunkSize bytes; empty only for an empty payload). A padded envelope's final chunk also
/// carries zero padding and a 4-byte big-endian padding length. A reader tells the final chunk by the end of the
/// data: whatever remains after the header that is no longer than <see cref="MaxFinalCipherLength"/> is the final chunk.
/// </summary>
internal static class ChunkLayout
{
    public const int TagSize = 16;
    public const int TrailerSize = 4;

    /// <summary>Smallest padded single-chunk message (bucket floor), unless the chunk size is smaller.</summary>
    public const int MinPaddedBucket = 256;

    public static int NonFinalCipherLength(int chunkSize) => chunkSize + TagSize;

    public static int MaxFinalCipherLength(int chunkSize, bool padded) => chunkSize + TagSize + (padded ? TrailerSize : 0);

    public static int MinFinalCipherLength(bool padded) => TagSize + (padded ? TrailerSize : 0);

    /// <summary>
    /// Plaintext length of a padded final chunk holding <paramref name="dataLength"/> payload bytes. A one-chunk
    /// message is padded (with its trailer) to the next power of two, at least <see cref="MinPaddedBucket"/>; when
    /// that would not fit in one chunk, and for every multi-chunk message, the final chunk is full. With the
    /// default 64 KiB chunks, padded sizes are therefore powers of two up to 64 KiB and 64 KiB multiples above.
    /// </summary>
    public static int PaddedFinalPlainLength(long chunkIndex, int dataLength, int chunkSize)
    {
        var full = chunkSize + TrailerSize;
        if (chunkIndex > 0 || dataLength + TrailerSize > chunkSize)
        {
            return full;
        }

        var bucket = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(dataLength + TrailerSize));
        return Math.Max(bucket, Math.Min(MinPaddedBucket, chunkSize));
    }
}
