using System.Security.Cryptography;
using System.Text;

namespace Carapace.Envelope.Keys;

/// <summary>
/// Reads and writes master key files: one line <c>carapace-master-key-v1:BASE64</c> (32 key bytes), created with
/// mode 0600. Reading refuses files that other users can read, the way ssh refuses private keys.
/// </summary>
public static class KeyFile
{
    /// <summary>The line prefix that marks a Carapace master key file.</summary>
    public const string Prefix = "carapace-master-key-v1:";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Writes <paramref name="key"/> to <paramref name="path"/> with mode 0600. The key goes to a new owner-only
    /// temporary file beside the destination, which is then renamed into place, so no other user can ever read it,
    /// even while an existing file is being replaced.
    /// </summary>
    /// <param name="key">The key to store.</param>
    /// <param name="path">Where to write it.</param>
    /// <param name="overwrite">Replace an existing file; without it an existing file is an error.</param>
    /// <exception cref="KeyFileException">The file exists (and <paramref name="overwrite"/> is false) or cannot be written.</exception>
    public static void Write(MasterKey key, string path, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(key);
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
        {
            throw new KeyFileException($"key file {path} already exists; refusing to overwrite it");
        }

        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var bytes = new byte[MasterKey.Size];
        var text = Array.Empty<byte>();
        try
        {
            key.CopyTo(bytes);
            text = Encoding.ASCII.GetBytes(Prefix + Convert.ToBase64String(bytes) + "\n");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var file = new FileStream(temporary, options))
            {
                file.Write(text);
                file.Flush(flushToDisk: true);
            }

            // Without overwrite, a file that appeared since the check above survives and the move fails.
            File.Move(temporary, full, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(full))
        {
            throw new KeyFileException($"key file {path} already exists; refusing to overwrite it", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot write key file {path}: {e.Message}", e);
        }
        finally
        {
            File.Delete(temporary);
            CryptographicOperations.ZeroMemory(bytes);
            CryptographicOperations.ZeroMemory(text);
        }
    }

    /// <summary>Reads a master key file.</summary>
    /// <exception cref="KeyFileException">The file is missing, readable by other users, or not a Carapace master key.</exception>
    public static MasterKey Read(string path)
    {
        byte[] content;
        try
        {
            // Check the mode of the file actually opened, not of whatever the path names a moment earlier.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(handle);
                if ((mode & GroupOrOther) != 0)
                {
                    throw new KeyFileException(
                        $"key file {path} is accessible by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
                }
            }

            var length = RandomAccess.GetLength(handle);
            if (length > 4096)
            {
                throw new KeyFileException($"{path} is not a Carapace master key file (it is {length} bytes long)");
            }

            content = new byte[length];
            var read = RandomAccess.Read(handle, content, 0);
            if (read != length)
            {
                throw new KeyFileException($"cannot read key file {path}: it changed while being read");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot read key file {path}: {e.Message}", e);
        }

        try
        {
            return Parse(content, path);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>Parses the content of a key file; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="KeyFileException">The content is not a Carapace master key.</exception>
    public static MasterKey Parse(ReadOnlySpan<byte> content, string source)
    {
        var text = content.TrimEnd("\r\n"u8);
        var prefix = Encoding.ASCII.GetBytes(Prefix);
        if (!text.StartsWith(prefix))
        {
            throw new KeyFileException($"{source} is not a Carapace master key file (it must be one line starting '{Prefix}')");
        }

        var b64 = text[prefix.Length..];
        var key = new byte[MasterKey.Size];
        try
        {
            var status = System.Buffers.Text.Base64.DecodeFromUtf8(b64, key, out var consumed, out var written);
            if (status != System.Buffers.OperationStatus.Done || consumed != b64.Length || written != MasterKey.Size)
            {
                throw new KeyFileException($"{source} is damaged: its key is not {MasterKey.Size} bytes of base64");
            }

            return MasterKey.FromBytes(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
