using System.IO.Pipelines;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Streaming;

/// <summary>The stream APIs do not depend on how the source hands out its bytes.</summary>
public sealed class StreamShapeTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(63, false)]
    [InlineData(64, false)]
    [InlineData(65, false)]
    [InlineData(150, false)]
    [InlineData(192, true)]
    [InlineData(150, true)]
    public async Task Opening_from_a_source_that_returns_one_byte_per_read_works(int length, bool pad)
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.Random(length);
        var envelope = EnvelopeSealer.Seal(key, payload, new SealOptions { ChunkSize = 64, Pad = pad });
        using var destination = new MemoryStream();

        await EnvelopeOpener.OpenAsync(key, new TrickleStream(envelope), destination);

        Assert.Equal(payload, destination.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(150)]
    public async Task Sealing_from_a_source_that_returns_one_byte_per_read_works(int length)
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.Random(length);
        using var destination = new MemoryStream();

        await EnvelopeSealer.SealAsync(key, new TrickleStream(payload), destination, new SealOptions { ChunkSize = 64 });

        Assert.Equal(payload, Envelopes.Open(OpenApi.Span, key, destination.ToArray()).Payload);
    }

    [Fact]
    public async Task Opening_a_tampered_envelope_from_a_trickling_source_fails_at_the_tampered_chunk()
    {
        using var key = TestKeys.Edge();
        var envelope = EnvelopeSealer.Seal(key, Payloads.Random(150), new SealOptions { ChunkSize = 64 });
        envelope[^20] ^= 1;
        using var destination = new MemoryStream();

        var error = await Assert.ThrowsAsync<EnvelopeException>(() => EnvelopeOpener.OpenAsync(key, new TrickleStream(envelope), destination));

        Assert.Equal(2, error.ChunkIndex);
        Assert.Equal(128, destination.Length);
    }

    [Fact]
    public async Task Opening_from_a_pipe_reader_matches_opening_from_memory()
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.Random(200_000);
        var envelope = EnvelopeSealer.Seal(key, payload);
        var pipe = new Pipe();
        using var destination = new MemoryStream();

        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < envelope.Length; i += 7_777)
            {
                await pipe.Writer.WriteAsync(envelope.AsMemory(i, Math.Min(7_777, envelope.Length - i)));
            }

            await pipe.Writer.CompleteAsync();
        });
        var metadata = await EnvelopeOpener.OpenAsync(key, pipe.Reader, destination);
        await writing;

        Assert.Equal(payload, destination.ToArray());
        Assert.Equal(key.Id, metadata.KeyId);
    }

    [Fact]
    public async Task Opening_with_a_key_chosen_from_the_metadata_works_and_a_wrong_choice_is_refused()
    {
        using var first = TestKeys.Edge(from: 0, to: 1);
        using var second = TestKeys.Edge(from: 1, to: 2);
        var envelope = EnvelopeSealer.Seal(second, "for step 2"u8);
        using var destination = new MemoryStream();

        await EnvelopeOpener.OpenAsync(m => m.NextStep == 2 ? second : first, new MemoryStream(envelope), destination);
        var error = await Assert.ThrowsAsync<EnvelopeException>(
            () => EnvelopeOpener.OpenAsync(_ => first, new MemoryStream(envelope), Stream.Null));

        Assert.Equal("for step 2"u8.ToArray(), destination.ToArray());
        Assert.Equal(EnvelopeErrorKind.WrongKey, error.Kind);
    }

    /// <summary>Returns at most one byte per read.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(1, buffer.Length)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(1, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));
    }
}
