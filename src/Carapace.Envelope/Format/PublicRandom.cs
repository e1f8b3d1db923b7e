using System.Security.Cryptography;

namespace Carapace.Envelope.Format;

/// <summary>
/// Random bytes for values that are public once used (envelope salts, request ids), drawn from the operating
/// system's CSPRNG in 4 KiB batches per thread: one CSPRNG call costs about as much as sealing 1 KiB, and every
/// seal needs two such values. Never use this for keys: key bytes come straight from <see cref="RandomNumberGenerator"/>.
/// </summary>
internal static class PublicRandom
{
    private const int BatchSize = 4096;

    [ThreadStatic]
    private static byte[]? t_batch;

    [ThreadStatic]
    private static int t_used;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > BatchSize / 4)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        var batch = t_batch ??= new byte[BatchSize];
        if (t_used == 0 || t_used + destination.Length > BatchSize)
        {
            RandomNumberGenerator.Fill(batch);
            t_used = 0;
        }

        var slice = batch.AsSpan(t_used, destination.Length);
        slice.CopyTo(destination);
        slice.Clear(); // each byte is handed out once
        t_used += destination.Length;
        if (t_used == BatchSize)
        {
            t_used = 0;
        }
    }
}
