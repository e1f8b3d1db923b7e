using System.IO.Pipelines;
using System.Security.Cryptography;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Streaming;

/// <summary>Sealing and opening through streams holds a few chunks, whatever the payload size.</summary>
[Collection(nameof(SerialCollection))]
public sealed class StreamingMemoryTests
{
    private const long Size = 64L << 20;
    private const long Budget = 8L << 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sealing_to_a_file_and_opening_64_MiB_through_a_pipe_reader_allocates_less_than_8_MiB(bool pad)
    {
        using var key = TestKeys.Edge();
        var expected = ExpectedHash(Size);
        await RunAsync(key, 1 << 20, pad); // warm up: JIT, pools

        // Machine load can only add allocations (e.g. thread-pool growth), never remove them, so the least of three
        // runs is the code's own cost.
        var allocated = long.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var (hash, length) = await RunAsync(key, Size, pad);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - before);
            Assert.Equal(Size, length);
            Assert.Equal(expected, hash);
        }

        Assert.True(allocated < Budget, $"sealing and opening {Size >> 20} MiB allocated {allocated:N0} bytes (budget {Budget:N0})");
    }

    /// <summary>
    /// Seals a generated stream into a temporary file, then opens that file through a <see cref="PipeReader"/> into a
    /// hash; returns the hash and length. The pipe's segments come from a <see cref="ReusingMemoryPool"/>: with the
    /// shared pool, segments rented on one thread and returned on another miss its per-thread caches under load, and
    /// the budget would measure the scheduler rather than the envelope code.
    /// </summary>
    private static async Task<(byte[] Hash, long Length)> RunAsync(EdgeKey key, long size, bool pad)
    {
        using var pool = new ReusingMemoryPool();
        var path = Path.Combine(Path.GetTempPath(), "carapace-stream-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var sealedFile = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                await EnvelopeSealer.SealAsync(key, new PatternStream(size), sealedFile, new SealOptions { Pad = pad });
            }

            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            var reader = PipeReader.Create(source, new StreamPipeReaderOptions(pool: pool));
            using var hashing = new HashingStream();
            await EnvelopeOpener.OpenAsync(key, reader, hashing);
            await reader.CompleteAsync();
            return (hashing.Hash(), hashing.Written);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] ExpectedHash(long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var source = new PatternStream(size);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = source.Read(buffer)) > 0)
        {
            hash.AppendData(buffer.AsSpan(0, n));
        }

        return hash.GetHashAndReset();
    }
}
