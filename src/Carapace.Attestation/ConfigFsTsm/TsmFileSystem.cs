namespace Carapace.Attestation.ConfigFsTsm;

/// <summary>
/// The file operations <see cref="ConfigFsTsmIssuer"/> performs on configfs. Production uses this class as is; tests
/// override entry creation and removal (configfs populates an entry's attribute files on <c>mkdir</c>, a plain
/// directory does not) and observe writes.
/// </summary>
internal class TsmFileSystem
{
    public static TsmFileSystem Real { get; } = new();

    /// <summary>Creates a report entry (<c>mkdir</c>); configfs fills it with the provider's attribute files.</summary>
    public virtual void CreateEntry(string path) => Directory.CreateDirectory(path);

    /// <summary>Removes a report entry (<c>rmdir</c>; configfs refuses a recursive delete of attribute files).</summary>
    public virtual void RemoveEntry(string path) => Directory.Delete(path, recursive: false);

    /// <summary>Writes an attribute in one write without creating or truncating it, as configfs attributes need.</summary>
    public virtual void Write(string path, ReadOnlySpan<byte> value)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.Write(handle, value, 0);
    }

    /// <summary>Reads an attribute to its end (configfs reports no useful file size), refusing more than <paramref name="limit"/> bytes.</summary>
    public virtual byte[] Read(string path, int limit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new IOException($"{path} holds more than {limit} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    public virtual bool Exists(string path) => File.Exists(path);
}
