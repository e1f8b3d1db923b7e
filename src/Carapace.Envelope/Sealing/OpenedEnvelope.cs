using System.Security.Cryptography;
using Carapace.Envelope.Format;

namespace Carapace.Envelope.Sealing;

/// <summary>A verified, decrypted envelope held in memory. Dispose it to zero the plaintext.</summary>
public sealed class OpenedEnvelope : IDisposable
{
    private readonly byte[] _buffer;
    private readonly int _length;
    private bool _disposed;

    internal OpenedEnvelope(EnvelopeMetadata metadata, byte[] buffer, int length)
    {
        Metadata = metadata;
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The authenticated metadata.</summary>
    public EnvelopeMetadata Metadata { get; }

    /// <summary>The plaintext payload; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Payload
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _buffer.AsMemory(0, _length);
        }
    }

    /// <summary>Zeroes the plaintext.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_buffer);
            _disposed = true;
        }
    }
}
