using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Cli.Bench;

/// <summary>
/// Measures, in one run and for the same payload sizes, raw <see cref="AesGcm"/> throughput (one call over the whole
/// payload with a ready key, preallocated output) against envelope seal and open into reused buffers (per-message
/// key derivation, header, chunking and tags included). Raw and envelope runs alternate in short rounds so that
/// machine noise hits both sides alike.
/// </summary>
internal sealed class EnvelopeBench(TimeSpan perOperation, int rounds = 5)
{
    public enum Operation
    {
        RawSeal,
        EnvelopeSeal,
        RawOpen,
        EnvelopeOpen,
    }

    public sealed record Result(int Size, IReadOnlyDictionary<Operation, double> BytesPerSecond)
    {
        public double SealRatio => BytesPerSecond[Operation.EnvelopeSeal] / BytesPerSecond[Operation.RawSeal];

        public double OpenRatio => BytesPerSecond[Operation.EnvelopeOpen] / BytesPerSecond[Operation.RawOpen];
    }

    public Result Measure(int size, Action<Operation>? onRound = null)
    {
        var payload = RandomNumberGenerator.GetBytes(size);
        var rawKey = RandomNumberGenerator.GetBytes(32);
        using var master = MasterKey.Generate();
        using var edge = master.Derive("bench", 0, 1);
        using var aes = new AesGcm(rawKey, 16);
        var nonce = new byte[12];
        var tag = new byte[16];
        var ciphertext = new byte[size];
        var plaintext = new byte[size];
        aes.Encrypt(nonce, payload, ciphertext, tag);
        var envelope = EnvelopeSealer.Seal(edge, payload);
        var sealedOut = new ArrayBufferWriter<byte>(envelope.Length);
        var openedOut = new ArrayBufferWriter<byte>(size);

        var work = new Dictionary<Operation, Action>
        {
            [Operation.RawSeal] = () => aes.Encrypt(nonce, payload, ciphertext, tag),
            [Operation.EnvelopeSeal] = () =>
            {
                sealedOut.ResetWrittenCount();
                EnvelopeSealer.Seal(edge, payload, sealedOut);
            },
            [Operation.RawOpen] = () => aes.Decrypt(nonce, ciphertext, tag, plaintext),
            [Operation.EnvelopeOpen] = () =>
            {
                openedOut.ResetWrittenCount();
                EnvelopeOpener.Open(edge, envelope, openedOut);
            },
        };

        var elapsed = work.Keys.ToDictionary(op => op, _ => 0.0);
        var counts = work.Keys.ToDictionary(op => op, _ => 0L);
        foreach (var op in work.Keys)
        {
            Run(work[op], TimeSpan.FromMilliseconds(20)); // warm-up: JIT, tiering, caches
        }

        var slice = perOperation / rounds;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (op, action) in work)
            {
                onRound?.Invoke(op);
                var (n, seconds) = Run(action, slice);
                counts[op] += n;
                elapsed[op] += seconds;
            }
        }

        CryptographicOperations.ZeroMemory(rawKey);
        return new Result(size, work.Keys.ToDictionary(op => op, op => counts[op] * (double)size / elapsed[op]));
    }

    /// <summary>Runs <paramref name="action"/> in growing batches until <paramref name="budget"/> has passed.</summary>
    private static (long Count, double Seconds) Run(Action action, TimeSpan budget)
    {
        long count = 0;
        var batch = 1;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < budget)
        {
            for (var i = 0; i < batch; i++)
            {
                action();
            }

            count += batch;
            if (watch.Elapsed < budget / 20)
            {
                batch *= 2;
            }
        }

        return (count, watch.Elapsed.TotalSeconds);
    }
}
