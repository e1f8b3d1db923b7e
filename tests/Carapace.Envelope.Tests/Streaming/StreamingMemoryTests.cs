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
    public async Task Sealing_and_opening_64_MiB_through_streams_and_a_pipe_reader_allocates_less_than_8_MiB(bool pad)
    {
        using var key = TestKeys.Edge();
        var expected = ExpectedHash(Size);

        // The sealed bytes go to storage allocated up front, so only the envelope code's own allocations are counted.
        var storage = new byte[Size + (Size / 16) + (1 << 20)];
        await RunAsync(key, 1 << 20, pad, storage); // warm up: JIT, pools

        // Every stream here completes synchronously, so the whole run stays on this thread and the count of this
        // thread's allocations is exact, whatever else the machine is doing.
        var thread = Environment.CurrentManagedThreadId;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (hash, length) = await RunAsync(key, Size, pad, storage);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(thread, Environment.CurrentManagedThreadId);
        Assert.Equal(Size, length);
        Assert.Equal(expected, hash);
        Assert.True(allocated < Budget, $"sealing and opening {Size >> 20} MiB allocated {allocated:N0} bytes (budget {Budget:N0})");
    }

    /// <summary>
    /// Seals a generated stream into <paramref name="storage"/>, then opens it through a <see cref="PipeReader"/> into a
    /// hash; returns the hash and length. The pipe's segments come from a <see cref="ReusingMemoryPool"/>.
    /// </summary>
    private static async Task<(byte[] Hash, long Length)> RunAsync(EdgeKey key, long size, bool pad, byte[] storage)
    {
        using var pool = new ReusingMemoryPool();
        int sealedLength;
        using (var sealedStream = new MemoryStream(storage, writable: true))
        {
            await EnvelopeSealer.SealAsync(key, new PatternStream(size), sealedStream, new SealOptions { Pad = pad });
            sealedLength = (int)sealedStream.Position;
        }

        using var source = new MemoryStream(storage, 0, sealedLength, writable: false);
        var reader = PipeReader.Create(source, new StreamPipeReaderOptions(pool: pool));
        using var hashing = new HashingStream();
        await EnvelopeOpener.OpenAsync(key, reader, hashing);
        await reader.CompleteAsync();
        return (hashing.Hash(), hashing.Written);
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
