using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// Positional, thread-safe reads of the (untrusted) image file. An image that is shorter than its header declared
/// when read is an integrity violation: the host changed it under a mounted image.
/// </summary>
internal sealed class ImageSource(SafeFileHandle handle, bool ownsHandle) : IDisposable
{
    /// <summary>The open image file.</summary>
    public SafeFileHandle Handle => handle;

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>, or fails naming <paramref name="what"/>.</summary>
    /// <exception cref="IntegrityViolationException">The image ends early.</exception>
    public void ReadExactly(long offset, Span<byte> buffer, string what)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(handle, buffer, offset);
            if (read <= 0)
            {
                throw new IntegrityViolationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"image ends early while reading {what} (at byte {offset}): it was truncated"));
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>Closes the handle if this source owns it.</summary>
    public void Dispose()
    {
        if (ownsHandle)
        {
            handle.Dispose();
        }
    }
}
