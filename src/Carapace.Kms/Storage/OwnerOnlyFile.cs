using System.Security.Cryptography;

namespace Carapace.Kms.Storage;

/// <summary>
/// Small private files (key material) written with mode 0600 through a temporary file renamed into place, and read
/// only when no other user can access them — the same rules as <see cref="Carapace.Envelope.Keys.KeyFile"/>, for
/// contents that are not 32-byte secrets.
/// </summary>
internal static class OwnerOnlyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Writes <paramref name="content"/> to a new 0600 file; <paramref name="kind"/> names it in errors.</summary>
    /// <exception cref="KmsKeyFileException">The file exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content, string kind, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
        {
            throw new KmsKeyFileException($"{kind} file {path} already exists; refusing to overwrite it");
        }

        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var file = new FileStream(temporary, options))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(full))
        {
            throw new KmsKeyFileException($"{kind} file {path} already exists; refusing to overwrite it", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KmsKeyFileException($"cannot write {kind} file {path}: {e.Message}", e);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads a file written by <see cref="Write"/>. The caller zeroes the result.</summary>
    /// <exception cref="KmsKeyFileException">The file is missing, too large, or accessible by other users.</exception>
    public static byte[] Read(string path, string kind, int maxLength)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(handle);
                if ((mode & GroupOrOther) != 0)
                {
                    throw new KmsKeyFileException(
                        $"{kind} file {path} is accessible by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
                }
            }

            var length = RandomAccess.GetLength(handle);
            if (length > maxLength)
            {
                throw new KmsKeyFileException($"{path} is not a Carapace {kind} file (it is {length} bytes long)");
            }

            var content = new byte[length];
            if (RandomAccess.Read(handle, content, 0) != length)
            {
                CryptographicOperations.ZeroMemory(content);
                throw new KmsKeyFileException($"cannot read {kind} file {path}: it changed while being read");
            }

            return content;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KmsKeyFileException($"cannot read {kind} file {path}: {e.Message}", e);
        }
    }

    /// <summary>Creates <paramref name="path"/> (and parents) as a directory only its owner can enter.</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
