using System.Security.Cryptography;
using Carapace.Envelope.Keys;

namespace Carapace.Benchmarks.Envelope;

/// <summary>Keys, payloads and sinks shared by the envelope benchmarks.</summary>
internal static class BenchmarkData
{
    public const string ChainId = "bench-chain";

    /// <summary>A fresh edge key for the edge 0 → 1 of <see cref="ChainId"/>.</summary>
    public static EdgeKey NewEdgeKey()
    {
        using var master = MasterKey.Generate();
        return master.Derive(ChainId, fromStep: 0, toStep: 1);
    }

    /// <summary>Random (incompressible, though AES does not care) payload bytes.</summary>
    public static byte[] Payload(int size) => RandomNumberGenerator.GetBytes(size);
}

/// <summary>
/// A write-only stream that drops what it is given and only counts it: a reusable sink that neither allocates nor
/// copies, so a streaming benchmark measures the envelope code and not the destination.
/// </summary>
internal sealed class CountingNullStream : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Written;

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public void Reset() => Written = 0;

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Written += count;

    public override void Write(ReadOnlySpan<byte> buffer) => Written += buffer.Length;

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Written += count;
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Written += buffer.Length;
        return ValueTask.CompletedTask;
    }
}
