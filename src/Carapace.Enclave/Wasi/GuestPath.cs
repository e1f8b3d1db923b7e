using System.Text;
using System.Text.Unicode;

namespace Carapace.Enclave.Wasi;

/// <summary>
/// Lexical resolution of a guest path against a directory descriptor. No symlinks exist, so the result is exact:
/// empty and "." segments are dropped, ".." removes the previous segment. The result must stay inside the directory
/// the descriptor refers to (the capability the guest holds): an absolute path, or ".." above that directory, is
/// <see cref="Errno.NotCapable"/> — also when the descriptor is a subdirectory of a preopen and the path would only
/// leave the subdirectory.
/// </summary>
internal static class GuestPath
{
    /// <summary>Resolves <paramref name="raw"/> relative to <paramref name="basePath"/> (a normalised path, "" for a file system's root).</summary>
    /// <param name="basePath">Where the directory descriptor points.</param>
    /// <param name="raw">The guest's path bytes.</param>
    /// <param name="path">The normalised result within the file system.</param>
    /// <param name="mustBeDirectory">The path ends in '/', "." or "..": it can only name a directory.</param>
    /// <param name="endsInDot">The last segment is "." or "..".</param>
    public static Errno Resolve(string basePath, ReadOnlySpan<byte> raw, out string path, out bool mustBeDirectory, out bool endsInDot)
    {
        path = "";
        mustBeDirectory = false;
        endsInDot = false;
        if (raw.IsEmpty)
        {
            return Errno.NoEnt;
        }

        if (raw.Length > WasiAbi.MaxPathBytes)
        {
            return Errno.NameTooLong;
        }

        if (raw.Contains((byte)0) || !Utf8.IsValid(raw))
        {
            return Errno.Inval;
        }

        if (raw[0] == (byte)'/')
        {
            return Errno.NotCapable;
        }

        var segments = new List<string>();
        if (basePath.Length != 0)
        {
            segments.AddRange(basePath.Split('/'));
        }

        var floor = segments.Count;
        var rest = raw;
        var last = ReadOnlySpan<byte>.Empty;
        while (true)
        {
            var slash = rest.IndexOf((byte)'/');
            var segment = slash < 0 ? rest : rest[..slash];
            last = segment;
            if (segment.Length == 0 || segment.SequenceEqual("."u8))
            {
                // nothing
            }
            else if (segment.SequenceEqual(".."u8))
            {
                if (segments.Count == floor)
                {
                    return Errno.NotCapable;
                }

                segments.RemoveAt(segments.Count - 1);
            }
            else if (segment.Length > WasiAbi.MaxNameBytes)
            {
                return Errno.NameTooLong;
            }
            else
            {
                segments.Add(Encoding.UTF8.GetString(segment));
            }

            if (slash < 0)
            {
                break;
            }

            rest = rest[(slash + 1)..];
        }

        endsInDot = last.SequenceEqual("."u8) || last.SequenceEqual(".."u8);
        mustBeDirectory = endsInDot || last.IsEmpty;
        path = string.Join('/', segments);
        return Errno.Success;
    }
}
