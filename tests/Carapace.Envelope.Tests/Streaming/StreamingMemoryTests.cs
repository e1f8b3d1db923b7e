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
    public async Task Sealing_and_opening_64_MiB_through_a_pipe_allocates_less_than_8_MiB(bool pad)
    {
        using var key = TestKeys.Edge();
        var expected = ExpectedHash(Size);
        await RunAsync(key, 1 << 20, pad); // warm up: JIT, pools, pipe segments

        // Machine load can only add allocations (thread hops miss ArrayPool's per-thread caches), never remove
        // them, so the least of three runs is the code's own cost.
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

    /// <summary>Seals a generated stream into a pipe while the other end opens it into a hash; returns the hash and length.</summary>
    private static async Task<(byte[] Hash, long Length)> RunAsync(EdgeKey key, long size, bool pad)
    {
        var pipe = new Pipe();
        var options = new SealOptions { Pad = pad };
        var producer = Task.Run(async () =>
        {
            try
            {
                await EnvelopeSealer.SealAsync(key, new PatternStream(size), pipe.Writer.AsStream(leaveOpen: true), options);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        });

        using var hashing = new HashingStream();
        await EnvelopeOpener.OpenAsync(key, pipe.Reader, hashing);
        await producer;
        await pipe.Reader.CompleteAsync();
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
