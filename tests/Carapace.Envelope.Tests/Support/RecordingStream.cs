namespace Carapace.Envelope.Tests.Support;

/// <summary>A write-only stream that keeps every write, to check what an opener released and when.</summary>
internal sealed class RecordingStream : Stream
{
    private readonly MemoryStream _all = new();

    public List<int> WriteSizes { get; } = [];

    public byte[] Bytes => _all.ToArray();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _all.Length;

    public override long Position
    {
        get => _all.Length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        WriteSizes.Add(buffer.Length);
        _all.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _all.Dispose();
        }

        base.Dispose(disposing);
    }
}
