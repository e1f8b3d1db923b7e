namespace Carapace.Functions.Images;

/// <summary>
/// A source tree cannot be packed into an image: it holds something other than regular files and directories
/// (symbolic links, devices, FIFOs, sockets), a file or directory cannot be read, a file changed while it was being
/// packed, or a limit (entries, name length, depth, image size) is exceeded. The message names the offending paths.
/// </summary>
public sealed class ImagePackException : Exception
{
    /// <summary>Creates the error.</summary>
    public ImagePackException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
