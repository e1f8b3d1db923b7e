using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// An open file of a <see cref="ShieldedImage"/>: read-only; every read is decrypted and verified block by block.
/// Verification failures throw <see cref="IntegrityViolationException"/>; the host failing to read its disk is
/// <see cref="Errno.Io"/>; reads after the handle or the image was disposed are <see cref="Errno.BadF"/>.
/// </summary>
internal sealed class ShieldedImageFile(ShieldedImage image, int node, long fileLength) : IFileHandle
{
    private volatile bool _disposed;

    /// <inheritdoc />
    public long Length => fileLength;

    /// <inheritdoc />
    public Errno Read(long offset, Span<byte> destination, out int read)
    {
        read = 0;
        if (_disposed)
        {
            return Errno.BadF;
        }

        if (offset < 0)
        {
            return Errno.Inval;
        }

        if (image.IsDisposed)
        {
            return Errno.BadF;
        }

        try
        {
            read = image.ReadFile(node, offset, destination);
            return Errno.Success;
        }
        catch (IOException)
        {
            // The host failed to read its disk: an I/O error, but nothing unverified was released.
            return Errno.Io;
        }
    }

    /// <inheritdoc />
    public Errno Write(long offset, ReadOnlySpan<byte> source) => _disposed ? Errno.BadF : Errno.RoFs;

    /// <inheritdoc />
    public Errno SetLength(long length) => _disposed ? Errno.BadF : Errno.RoFs;

    /// <inheritdoc />
    public void Dispose() => _disposed = true;
}
