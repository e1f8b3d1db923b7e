using System.Buffers.Binary;

namespace Carapace.Protocol;

/// <summary>
/// Reads and writes frames: <c>u32 BE length ‖ u8 type ‖ CBOR body</c>, where the length counts the type byte and the
/// body. Writes are serialised so several callers can share one channel; reads belong to one reader.
/// </summary>
/// <remarks>
/// A body can be written in two parts (a small CBOR prefix and a large byte string it announces), so a sealed
/// payload goes from the caller's buffer to the pipe without being copied into a message first. With
/// <c>reuseReadBuffer</c>, every frame read lands in one buffer owned by the channel and its body is valid only until
/// the next read: the enclave's single-threaded loop uses this so a 1 MiB request costs no allocation.
/// Both synchronous and asynchronous calls are offered: the enclave blocks in <c>read(2)</c> on its own thread
/// (no thread-pool hop between a request arriving and its handling); the worker awaits.
/// </remarks>
public sealed class FrameChannel : IAsyncDisposable, IDisposable
{
    /// <summary>Largest frame accepted (type + body): 320 MiB, enough for a 256 MiB sealed payload plus metadata.</summary>
    public const int MaxFrameLength = 320 << 20;

    private const int HeaderLength = 5;

    /// <summary>Body bytes a read reserves before any arrive (the whole body when it is shorter).</summary>
    private const int FirstBodyChunk = 1 << 20;

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly bool _reuseReadBuffer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _readHeader = new byte[HeaderLength];
    private byte[] _readBuffer = [];

    /// <summary>Wraps the two directions of a channel (e.g. a child process's stdout and stdin).</summary>
    /// <param name="input">Where frames are read from.</param>
    /// <param name="output">Where frames are written to.</param>
    /// <param name="reuseReadBuffer">Read every body into one channel-owned buffer (valid until the next read).</param>
    public FrameChannel(Stream input, Stream output, bool reuseReadBuffer = false)
    {
        _input = input;
        _output = output;
        _reuseReadBuffer = reuseReadBuffer;
    }

    /// <summary>Writes one frame whose body is <paramref name="body"/>, and flushes it.</summary>
    public Task WriteAsync(MessageType type, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        WriteAsync(type, body, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Writes one frame whose body is <paramref name="head"/> followed by <paramref name="tail"/>, and flushes it.</summary>
    public async Task WriteAsync(MessageType type, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> tail, CancellationToken cancellationToken = default)
    {
        var first = FirstPart(type, head.Span, tail.Length);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(first, cancellationToken).ConfigureAwait(false);
            if (!tail.IsEmpty)
            {
                await _output.WriteAsync(tail, cancellationToken).ConfigureAwait(false);
            }

            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes one frame whose body is <paramref name="head"/> followed by <paramref name="tail"/>, blocking until written.</summary>
    public void Write(MessageType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail = default)
    {
        var first = FirstPart(type, head, tail.Length);
        _writeLock.Wait();
        try
        {
            _output.Write(first);
            if (!tail.IsEmpty)
            {
                _output.Write(tail);
            }

            _output.Flush();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Reads the next frame, or null when the peer closed the channel cleanly between frames.</summary>
    /// <exception cref="ProtocolException">A frame is cut off, too long, empty or of an unknown type.</exception>
    public async Task<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var got = await _input.ReadAtLeastAsync(_readHeader, HeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (!ParseHeader(got, out var type, out var length))
        {
            return null;
        }

        var body = Reserve(default, 0, Math.Min(length, FirstBodyChunk));
        var filled = 0;
        while (true)
        {
            var want = Math.Min(length, body.Length);
            filled += await _input.ReadAtLeastAsync(body[filled..want], want - filled, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (Completed(type, body, filled, want, length) is { } frame)
            {
                return frame;
            }

            body = Reserve(body, filled, (int)Math.Min(length, 2L * body.Length));
        }
    }

    /// <summary>Reads the next frame, blocking; null when the peer closed the channel cleanly between frames.</summary>
    /// <exception cref="ProtocolException">A frame is cut off, too long, empty or of an unknown type.</exception>
    public Frame? Read()
    {
        var got = _input.ReadAtLeast(_readHeader, HeaderLength, throwOnEndOfStream: false);
        if (!ParseHeader(got, out var type, out var length))
        {
            return null;
        }

        var body = Reserve(default, 0, Math.Min(length, FirstBodyChunk));
        var filled = 0;
        while (true)
        {
            var want = Math.Min(length, body.Length);
            filled += _input.ReadAtLeast(body.Span[filled..want], want - filled, throwOnEndOfStream: false);
            if (Completed(type, body, filled, want, length) is { } frame)
            {
                return frame;
            }

            body = Reserve(body, filled, (int)Math.Min(length, 2L * body.Length));
        }
    }

    /// <summary>Closes both directions.</summary>
    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync().ConfigureAwait(false);
        await _input.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }

    /// <summary>Closes both directions.</summary>
    public void Dispose()
    {
        _output.Dispose();
        _input.Dispose();
        _writeLock.Dispose();
    }

    /// <summary>The frame header and the head part of the body in one buffer, so a small frame is one write.</summary>
    private static byte[] FirstPart(MessageType type, ReadOnlySpan<byte> head, int tailLength)
    {
        var bodyLength = (long)head.Length + tailLength;
        if (bodyLength + 1 > MaxFrameLength)
        {
            throw new ProtocolException($"a {type} message of {bodyLength} bytes exceeds the frame limit of {MaxFrameLength} bytes");
        }

        var first = new byte[HeaderLength + head.Length];
        BinaryPrimitives.WriteUInt32BigEndian(first, (uint)(bodyLength + 1));
        first[4] = (byte)type;
        head.CopyTo(first.AsSpan(HeaderLength));
        return first;
    }

    private bool ParseHeader(int got, out MessageType type, out int bodyLength)
    {
        type = default;
        bodyLength = 0;
        if (got == 0)
        {
            return false;
        }

        if (got < HeaderLength)
        {
            throw new ProtocolException("the channel closed inside a frame header");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_readHeader);
        if (length is 0 or > MaxFrameLength)
        {
            throw new ProtocolException($"frame length {length} is outside 1..{MaxFrameLength}");
        }

        type = (MessageType)_readHeader[4];
        if (!Enum.IsDefined(type))
        {
            throw new ProtocolException($"unknown message type 0x{(byte)type:x2}");
        }

        bodyLength = (int)length - 1;
        return true;
    }

    /// <summary>
    /// A buffer of at least <paramref name="capacity"/> bytes whose first <paramref name="keep"/> bytes are those of
    /// <paramref name="current"/>. Bodies grow geometrically as their bytes arrive, never to the length a header merely
    /// announces: a peer has to send about half of what it makes this side hold.
    /// </summary>
    private Memory<byte> Reserve(Memory<byte> current, int keep, int capacity)
    {
        if (_reuseReadBuffer)
        {
            if (_readBuffer.Length < capacity)
            {
                // Grow geometrically so a stream of slightly larger requests does not reallocate each time.
                var grown = new byte[Math.Max(capacity, Math.Min(MaxFrameLength, Math.Max(4096, _readBuffer.Length * 2)))];
                _readBuffer.AsSpan(0, keep).CopyTo(grown);
                _readBuffer = grown;
            }

            return _readBuffer;
        }

        if (current.Length >= capacity)
        {
            return current;
        }

        var next = new byte[capacity];
        current.Span[..keep].CopyTo(next);
        return next;
    }

    /// <summary>The frame once all <paramref name="length"/> bytes are in; null while more are due; a protocol error when the peer stopped short.</summary>
    private static Frame? Completed(MessageType type, Memory<byte> body, int filled, int want, int length) =>
        filled < want
            ? throw new ProtocolException($"the channel closed inside a {type} frame ({filled} of {length} bytes)")
            : filled == length ? new Frame(type, body[..length]) : null;
}
