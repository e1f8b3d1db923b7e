using System.Buffers.Binary;

namespace Carapace.Protocol;

/// <summary>
/// Reads and writes frames: <c>u32 BE length ‖ u8 type ‖ CBOR body</c>, where the length counts the type byte and the
/// body. Writes are serialised so several callers can share one channel; reads belong to one reader.
/// </summary>
public sealed class FrameChannel : IAsyncDisposable
{
    /// <summary>Largest frame accepted (type + body): 320 MiB, enough for a 256 MiB sealed payload plus metadata.</summary>
    public const int MaxFrameLength = 320 << 20;

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _lengthBuffer = new byte[5];

    /// <summary>Wraps the two directions of a channel (e.g. a child process's stdout and stdin).</summary>
    public FrameChannel(Stream input, Stream output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Writes one frame and flushes it.</summary>
    public async Task WriteAsync(MessageType type, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        if (body.Length + 1 > MaxFrameLength)
        {
            throw new ProtocolException($"a {type} message of {body.Length} bytes exceeds the frame limit of {MaxFrameLength} bytes");
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(head, (uint)(body.Length + 1));
            head[4] = (byte)type;
            await _output.WriteAsync(head, cancellationToken).ConfigureAwait(false);
            await _output.WriteAsync(body, cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
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
        var got = await _input.ReadAtLeastAsync(_lengthBuffer, 5, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < 5)
        {
            throw new ProtocolException("the channel closed inside a frame header");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_lengthBuffer);
        if (length is 0 or > MaxFrameLength)
        {
            throw new ProtocolException($"frame length {length} is outside 1..{MaxFrameLength}");
        }

        var type = (MessageType)_lengthBuffer[4];
        if (!Enum.IsDefined(type))
        {
            throw new ProtocolException($"unknown message type 0x{(byte)type:x2}");
        }

        var body = new byte[length - 1];
        got = await _input.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got < body.Length)
        {
            throw new ProtocolException($"the channel closed inside a {type} frame ({got} of {body.Length} bytes)");
        }

        return new Frame(type, body);
    }

    /// <summary>Closes both directions.</summary>
    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync().ConfigureAwait(false);
        await _input.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
