using Carapace.Envelope.Keys;

namespace Carapace.Kms.Client;

/// <summary>
/// Small private files (key material) under <see cref="KeyFile"/>'s rules — mode 0600, written through a temporary
/// file renamed into place, read only when no other user can access them — reporting problems as
/// <see cref="KmsKeyFileException"/>.
/// </summary>
internal static class OwnerOnlyFile
{
    /// <summary>Writes <paramref name="content"/> to a new 0600 file; <paramref name="kind"/> names it in errors.</summary>
    /// <exception cref="KmsKeyFileException">The file exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content, string kind, bool overwrite)
    {
        try
        {
            KeyFile.WriteOwnerOnly(path, content, kind, overwrite);
        }
        catch (KeyFileException e)
        {
            throw new KmsKeyFileException(e.Message, e);
        }
    }

    /// <summary>Reads a file written by <see cref="Write"/>. The caller zeroes the result.</summary>
    /// <exception cref="KmsKeyFileException">The file is missing, too large, or accessible by other users.</exception>
    public static byte[] Read(string path, string kind, int maxLength)
    {
        try
        {
            return KeyFile.ReadOwnerOnly(path, kind, maxLength);
        }
        catch (KeyFileException e)
        {
            throw new KmsKeyFileException(e.Message, e);
        }
    }

    /// <summary>Creates <paramref name="path"/> (and parents) as a directory only its owner can enter.</summary>
    public static void CreatePrivateDirectory(string path) => KeyFile.CreatePrivateDirectory(path);
}
