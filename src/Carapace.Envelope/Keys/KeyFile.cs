using System.Security.Cryptography;
using System.Text;

namespace Carapace.Envelope.Keys;

/// <summary>
/// Reads and writes key files: one line <c>PREFIX BASE64</c> holding 32 secret bytes, created with mode 0600 through a
/// temporary file. Master keys use <c>carapace-master-key-v1:</c>; image keys and the simulated platform secret use
/// their own prefixes through <see cref="WriteSecret"/> and <see cref="ReadSecret"/>. Reading refuses files that
/// other users can access, the way ssh refuses private keys.
/// </summary>
public static class KeyFile
{
    /// <summary>The line prefix that marks a Carapace master key file.</summary>
    public const string Prefix = "carapace-master-key-v1:";

    /// <summary>Length of every secret these files hold.</summary>
    public const int SecretSize = 32;

    private const string MasterKeyKind = "master key";

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
        var bytes = new byte[MasterKey.Size];
        try
        {
            key.CopyTo(bytes);
            WriteSecret(path, Prefix, bytes, overwrite);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Reads a master key file.</summary>
    /// <exception cref="KeyFileException">The file is missing, readable by other users, or not a Carapace master key.</exception>
    public static MasterKey Read(string path)
    {
        var key = ReadSecret(path, Prefix, MasterKeyKind);
        try
        {
            return MasterKey.FromBytes(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Parses the content of a key file; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="KeyFileException">The content is not a Carapace master key.</exception>
    public static MasterKey Parse(ReadOnlySpan<byte> content, string source)
    {
        var key = ParseSecret(content, source, Prefix, MasterKeyKind);
        try
        {
            return MasterKey.FromBytes(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Writes a 32-byte secret as one line <c>PREFIX BASE64</c> to a new owner-only (0600) file (see
    /// <see cref="WriteOwnerOnly"/>). Master keys, image keys and the simulated platform secrets all use this format,
    /// each with its own prefix.
    /// </summary>
    /// <exception cref="KeyFileException">The file exists (and <paramref name="overwrite"/> is false) or cannot be written.</exception>
    public static void WriteSecret(string path, string prefix, ReadOnlySpan<byte> secret, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var text = Encoding.ASCII.GetBytes(prefix + Convert.ToBase64String(secret) + "\n");
        try
        {
            WriteOwnerOnly(path, text, "key", overwrite);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a new owner-only (0600) file through a temporary file renamed into place, so
    /// no other user can read it even while an existing file is replaced; <paramref name="kind"/> names it in errors.
    /// </summary>
    /// <exception cref="KeyFileException">The file exists (and <paramref name="overwrite"/> is false) or cannot be written.</exception>
    public static void WriteOwnerOnly(string path, ReadOnlySpan<byte> content, string kind, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
        {
            throw new KeyFileException($"{kind} file {path} already exists; refusing to overwrite it");
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

            // Without overwrite, a file that appeared since the check above survives and the move fails.
            File.Move(temporary, full, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(full))
        {
            throw new KeyFileException($"{kind} file {path} already exists; refusing to overwrite it", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot write {kind} file {path}: {e.Message}", e);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Reads a 32-byte secret written by <see cref="WriteSecret"/>; <paramref name="kind"/> (e.g. "image key") names
    /// it in errors. The caller zeroes the result.
    /// </summary>
    /// <exception cref="KeyFileException">The file is missing, readable by other users, or not such a secret.</exception>
    public static byte[] ReadSecret(string path, string prefix, string kind)
    {
        var content = ReadOwnerOnly(path, "key", 4096, kind);
        try
        {
            return ParseSecret(content, path, prefix, kind);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>
    /// Reads a file written by <see cref="WriteOwnerOnly"/>, refusing one that other users can access (the mode of the
    /// file actually opened is checked) or that is longer than <paramref name="maxLength"/>; <paramref name="kind"/>
    /// names it in errors. The caller zeroes the result.
    /// </summary>
    /// <exception cref="KeyFileException">The file is missing, too long, or accessible by other users.</exception>
    public static byte[] ReadOwnerOnly(string path, string kind, int maxLength) => ReadOwnerOnly(path, kind, maxLength, kind);

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

    private static byte[] ReadOwnerOnly(string path, string fileKind, int maxLength, string contentKind)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(handle);
                if ((mode & GroupOrOther) != 0)
                {
                    throw new KeyFileException(
                        $"{fileKind} file {path} is accessible by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
                }
            }

            var length = RandomAccess.GetLength(handle);
            if (length > maxLength)
            {
                throw new KeyFileException($"{path} is not a Carapace {contentKind} file (it is {length} bytes long)");
            }

            var content = new byte[length];
            if (RandomAccess.Read(handle, content, 0) != length)
            {
                CryptographicOperations.ZeroMemory(content);
                throw new KeyFileException($"cannot read {fileKind} file {path}: it changed while being read");
            }

            return content;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot read {fileKind} file {path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the content of a secret file; <paramref name="source"/> names it in errors. The caller zeroes the result.</summary>
    /// <exception cref="KeyFileException">The content is not one line <c>PREFIX BASE64</c> of 32 bytes.</exception>
    public static byte[] ParseSecret(ReadOnlySpan<byte> content, string source, string prefix, string kind)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var text = content.TrimEnd("\r\n"u8);
        var prefixBytes = Encoding.ASCII.GetBytes(prefix);
        if (!text.StartsWith(prefixBytes))
        {
            throw new KeyFileException($"{source} is not a Carapace {kind} file (it must be one line starting '{prefix}')");
        }

        var b64 = text[prefixBytes.Length..];
        var secret = new byte[SecretSize];
        var status = System.Buffers.Text.Base64.DecodeFromUtf8(b64, secret, out var consumed, out var written);
        if (status != System.Buffers.OperationStatus.Done || consumed != b64.Length || written != SecretSize)
        {
            CryptographicOperations.ZeroMemory(secret);
            throw new KeyFileException($"{source} is damaged: its key is not {SecretSize} bytes of base64");
        }

        return secret;
    }
}
