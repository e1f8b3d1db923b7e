using System.Diagnostics;
using System.Security.Cryptography;

namespace Carapace.Cli.Bench;

/// <summary>
/// The cost of the file shield's cryptography on this CPU, for the bound of <c>bench runtime</c>'s file-shield section:
/// AES-256-GCM decryption of one image block (4096 bytes with the image's 16-byte tag and 28 bytes of associated
/// data, docs/image.md) and SHA-256 over 4096 bytes and over one Merkle leaf (1 + 4 + 8 + 16 bytes), each run for
/// about <paramref name="duration"/>.
/// </summary>
internal sealed class ShieldCryptoBound(TimeSpan duration)
{
    private const int Block = 4096;
    private const int LeafBytes = 1 + 4 + 8 + 16;

    /// <summary>Microseconds to verify and decrypt one 4 KiB block.</summary>
    public double DecryptMicros { get; private set; }

    /// <summary>Microseconds to hash 4 KiB with SHA-256.</summary>
    public double Sha256BlockMicros { get; private set; }

    /// <summary>Microseconds to hash one Merkle leaf (done once per block at mount, never per read).</summary>
    public double LeafMicros { get; private set; }

    /// <summary>Runs the three measurements.</summary>
    public ShieldCryptoBound Measure()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var plaintext = RandomNumberGenerator.GetBytes(Block);
        var ciphertext = new byte[Block];
        var output = new byte[Block];
        var tag = new byte[16];
        var nonce = new byte[12];
        var data = RandomNumberGenerator.GetBytes(28);
        using (var aes = new AesGcm(key, tag.Length))
        {
            aes.Encrypt(nonce, plaintext, ciphertext, tag, data);
            DecryptMicros = Time(() => aes.Decrypt(nonce, ciphertext, tag, output, data));
        }

        CryptographicOperations.ZeroMemory(key);
        var hash = new byte[32];
        Sha256BlockMicros = Time(() => SHA256.HashData(plaintext, hash));
        var leaf = new byte[LeafBytes];
        LeafMicros = Time(() => SHA256.HashData(leaf, hash));
        return this;
    }

    /// <summary>Megabytes (10^6 bytes) per second at <paramref name="micros"/> per 4 KiB block.</summary>
    public static double MegabytesPerSecond(double micros) => Block / micros;

    /// <summary>Runs <paramref name="action"/> in batches for about the measuring time; microseconds per call (the fastest batch).</summary>
    private double Time(Action action)
    {
        const int Batch = 256;
        for (var i = 0; i < Batch; i++)
        {
            action();
        }

        var best = double.MaxValue;
        var total = Stopwatch.StartNew();
        do
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Batch; i++)
            {
                action();
            }

            best = Math.Min(best, watch.Elapsed.TotalMicroseconds / Batch);
        }
        while (total.Elapsed < duration);

        return best;
    }
}
