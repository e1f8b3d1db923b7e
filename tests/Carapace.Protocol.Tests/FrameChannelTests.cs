using System.Buffers.Binary;

namespace Carapace.Protocol.Tests;

public sealed class FrameChannelTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(70_000)]
    public async Task A_written_frame_reads_back_with_its_type_and_body(int size)
    {
        var pipe = new MemoryStream();
        var body = new byte[size];
        Random.Shared.NextBytes(body);
        await using (var writer = new FrameChannel(Stream.Null, new NonClosingStream(pipe)))
        {
            await writer.WriteAsync(MessageType.Invoke, body);
            await writer.WriteAsync(MessageType.Shutdown, Array.Empty<byte>());
        }

        pipe.Position = 0;
        await using var reader = new FrameChannel(pipe, Stream.Null);
        var first = await reader.ReadAsync();
        var second = await reader.ReadAsync();
        var end = await reader.ReadAsync();

        Assert.Equal(MessageType.Invoke, first!.Value.Type);
        Assert.Equal(body, first.Value.Body.ToArray());
        Assert.Equal(MessageType.Shutdown, second!.Value.Type);
        Assert.Null(end);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0 }, "inside a frame header")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0x11 }, "outside 1..")]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0x11 }, "outside 1..")]
    [InlineData(new byte[] { 0, 0, 0, 1, 0x7f }, "unknown message type 0x7f")]
    [InlineData(new byte[] { 0, 0, 0, 9, 0x11, 1, 2 }, "closed inside a Invoke frame")]
    public async Task Broken_frames_are_protocol_errors(byte[] bytes, string expected)
    {
        await using var reader = new FrameChannel(new MemoryStream(bytes), Stream.Null);

        var error = await Assert.ThrowsAsync<ProtocolException>(() => reader.ReadAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_length_counts_the_type_byte_and_the_body()
    {
        var pipe = new MemoryStream();
        await using (var writer = new FrameChannel(Stream.Null, new NonClosingStream(pipe)))
        {
            await writer.WriteAsync(MessageType.Ready, new byte[] { 1, 2, 3 });
        }

        var bytes = pipe.ToArray();
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        Assert.Equal((byte)MessageType.Ready, bytes[4]);
        Assert.Equal(8, bytes.Length);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 70_000)]
    [InlineData(200, 1)]
    public async Task A_frame_written_in_two_parts_reads_back_as_one_body(int headSize, int tailSize)
    {
        var head = Enumerable.Range(0, headSize).Select(i => (byte)i).ToArray();
        var tail = Enumerable.Range(0, tailSize).Select(i => (byte)(i * 7)).ToArray();
        var pipe = new MemoryStream();
        await using (var writer = new FrameChannel(Stream.Null, new NonClosingStream(pipe)))
        {
            await writer.WriteAsync(MessageType.Invoke, head, tail);
            writer.Write(MessageType.Result, head, tail);
        }

        pipe.Position = 0;
        await using var reader = new FrameChannel(pipe, Stream.Null);
        var first = await reader.ReadAsync();
        var second = reader.Read();

        Assert.Equal([.. head, .. tail], first!.Value.Body.ToArray());
        Assert.Equal(MessageType.Result, second!.Value.Type);
        Assert.Equal([.. head, .. tail], second.Value.Body.ToArray());
        Assert.Null(reader.Read());
    }

    [Fact]
    public void A_reused_read_buffer_holds_each_body_until_the_next_read()
    {
        var pipe = new MemoryStream();
        using (var writer = new FrameChannel(Stream.Null, new NonClosingStream(pipe)))
        {
            writer.Write(MessageType.Invoke, new byte[10_000]);
            writer.Write(MessageType.Invoke, [1, 2, 3]);
            writer.Write(MessageType.Invoke, Enumerable.Repeat((byte)9, 50_000).ToArray());
        }

        pipe.Position = 0;
        using var reader = new FrameChannel(pipe, Stream.Null, reuseReadBuffer: true);
        var big = reader.Read()!.Value.Body;
        var small = reader.Read()!.Value.Body;
        Assert.Equal([1, 2, 3], small.ToArray());
        Assert.True(MemoryMarshalSameArray(big, small), "the second body should reuse the first body's buffer");
        var bigger = reader.Read()!.Value.Body;
        Assert.Equal(50_000, bigger.Length);
        Assert.All(bigger.ToArray(), b => Assert.Equal(9, b));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0 }, "inside a frame header")]
    [InlineData(new byte[] { 0, 0, 0, 9, 0x11, 1, 2 }, "closed inside a Invoke frame")]
    public void Broken_frames_are_protocol_errors_for_blocking_reads_too(byte[] bytes, string expected)
    {
        using var reader = new FrameChannel(new MemoryStream(bytes), Stream.Null, reuseReadBuffer: true);

        var error = Assert.Throws<ProtocolException>(() => reader.Read());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_header_announcing_a_huge_frame_reserves_memory_only_as_its_bytes_arrive(bool reuseReadBuffer)
    {
        // Found by fuzzing (fuzz/crashes/protocol-frames): 10 bytes used to make the reader allocate the announced 300 MiB.
        var bytes = new byte[5 + 100];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, FrameChannel.MaxFrameLength);
        bytes[4] = (byte)MessageType.Invoke;
        using var reader = new FrameChannel(new MemoryStream(bytes), Stream.Null, reuseReadBuffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ProtocolException>(() => reader.Read());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"closed inside a Invoke frame (100 of {FrameChannel.MaxFrameLength - 1} bytes)", error.Message, StringComparison.Ordinal);
        Assert.InRange(allocated, 0, 4L << 20);
    }

    [Theory]
    [InlineData(false, (3 << 20) + 17)]
    [InlineData(true, (3 << 20) + 17)]
    [InlineData(false, 1 << 20)]
    [InlineData(true, (1 << 20) + 1)]
    public async Task Frames_larger_than_the_first_read_chunk_arrive_whole(bool reuseReadBuffer, int size)
    {
        var body = new byte[size];
        Random.Shared.NextBytes(body);
        var pipe = new MemoryStream();
        using (var writer = new FrameChannel(Stream.Null, new NonClosingStream(pipe)))
        {
            writer.Write(MessageType.Result, body);
            writer.Write(MessageType.Result, body);
        }

        pipe.Position = 0;
        using var reader = new FrameChannel(new TricklingStream(pipe), Stream.Null, reuseReadBuffer);
        Assert.Equal(body, reader.Read()!.Value.Body.ToArray());
        Assert.Equal(body, (await reader.ReadAsync())!.Value.Body.ToArray());
        Assert.Null(reader.Read());
    }

    private static bool MemoryMarshalSameArray(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(a, out var x)
        && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(b, out var y)
        && ReferenceEquals(x.Array, y.Array);

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }

    /// <summary>Hands out at most 64 KiB per read, as a pipe does, so bodies arrive in many pieces.</summary>
    private sealed class TricklingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 64 << 10));

        public override int Read(Span<byte> buffer) => inner.Read(buffer[..Math.Min(buffer.Length, 64 << 10)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, 64 << 10)], cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
