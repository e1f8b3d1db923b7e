namespace Carapace.Functions.Images;

/// <summary>
/// The public structure of a file-system image is not valid: bad magic, unsupported version, truncated, or a
/// malformed header. Found without a key (by <see cref="ImageHeader.Read"/> and at mount, before any decryption).
/// Everything found with the key (modified, swapped or rolled-back blocks, a wrong key) is the enclave reader's
/// <c>IntegrityViolationException</c> instead. Messages never contain key bytes or plaintext.
/// </summary>
public sealed class ImageFormatException : Exception
{
    /// <summary>Creates a format error of the given kind.</summary>
    public ImageFormatException(ImageFormatErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>The class of failure, for programs that react to it.</summary>
    public ImageFormatErrorKind Kind { get; }
}
