using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem;

/// <summary>An open regular file. Offsets are explicit; the WASI layer keeps each descriptor's position.</summary>
public interface IFileHandle : IDisposable
{
    /// <summary>Current length in bytes.</summary>
    long Length { get; }

    /// <summary>Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; returns the count (0 at or past the end), or an errno.</summary>
    /// <exception cref="IntegrityViolationException">Shielded data failed verification (the WASI layer turns this into <see cref="Errno.Io"/> and records the violation).</exception>
    Errno Read(long offset, Span<byte> destination, out int read);

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/> (growing the file, zero-filling any gap); <see cref="Errno.RoFs"/> on a read-only file system, <see cref="Errno.NoSpc"/> past the size limit.</summary>
    Errno Write(long offset, ReadOnlySpan<byte> source);

    /// <summary>Sets the length (truncate or zero-extend).</summary>
    Errno SetLength(long length);
}
