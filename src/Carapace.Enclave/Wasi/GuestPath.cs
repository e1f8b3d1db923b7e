using System.Text;
using Carapace.Enclave.FileSystem;
using System.Text.Unicode;

namespace Carapace.Enclave.Wasi;

/// <summary>
/// Resolution of a guest path against a directory descriptor, segment by segment: empty and "." segments are dropped,
/// ".." removes the previous segment, and a symlink met on the way (and the last segment's, when it is to be
/// followed) is replaced by its target's segments (at most <see cref="WasiAbi.MaxSymlinkHops"/> times, else
/// <see cref="Errno.Loop"/>; an absolute target is <see cref="Errno.NotCapable"/>). The result must stay inside the directory
/// the descriptor refers to (the capability the guest holds): an absolute path, or ".." above that directory, is
/// <see cref="Errno.NotCapable"/> — also when the descriptor is a subdirectory of a preopen and the path would only
/// leave the subdirectory.
/// </summary>
internal static class GuestPath
{
    /// <summary>Resolves <paramref name="raw"/> relative to <paramref name="basePath"/> (a normalised path, "" for a file system's root).</summary>
    /// <param name="fs">The file system the symlinks are read from.</param>
    /// <param name="basePath">Where the directory descriptor points.</param>
    /// <param name="raw">The guest's path bytes.</param>
    /// <param name="followLast">Whether a symlink in the last segment is followed too (a trailing '/' does not force it: the
    /// caller then sees the link itself, with <paramref name="mustBeDirectory"/> set, and refuses it as not a directory).</param>
    /// <param name="path">The normalised result within the file system: every segment but the last is a directory.</param>
    /// <param name="mustBeDirectory">The path ends in '/', "." or "..": it can only name a directory.</param>
    /// <param name="endsInDot">The last segment is "." or "..".</param>
    public static Errno Resolve(IFileSystem fs, string basePath, ReadOnlySpan<byte> raw, bool followLast, out string path, out bool mustBeDirectory, out bool endsInDot)
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

        var lastSlash = raw.LastIndexOf((byte)'/');
        var last = raw[(lastSlash + 1)..];
        endsInDot = last.SequenceEqual("."u8) || last.SequenceEqual(".."u8);
        mustBeDirectory = endsInDot || last.IsEmpty;

        // A path that climbs above its directory on its own words is refused before any lookup (so whether the
        // segments it passes exist makes no difference to the answer).
        var depth = 0;
        foreach (var part in Encoding.UTF8.GetString(raw).Split('/'))
        {
            depth += part switch { "" or "." => 0, ".." => -1, _ => 1 };
            if (depth < 0)
            {
                return Errno.NotCapable;
            }
        }

        var segments = new List<string>();
        if (basePath.Length != 0)
        {
            segments.AddRange(basePath.Split('/'));
        }

        var floor = segments.Count;
        var pending = new List<string>(Encoding.UTF8.GetString(raw).Split('/'));
        var hops = 0;
        for (var i = 0; i < pending.Count;)
        {
            var segment = pending[i++];
            var isLast = pending.Skip(i).All(rest => rest.Length == 0); // a trailing '/' does not make a segment follow
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count == floor)
                {
                    return Errno.NotCapable;
                }

                segments.RemoveAt(segments.Count - 1);
                continue;
            }

            if (Encoding.UTF8.GetByteCount(segment) > WasiAbi.MaxNameBytes)
            {
                return Errno.NameTooLong;
            }

            segments.Add(segment);
            if (isLast && !followLast)
            {
                break;
            }

            var current = string.Join('/', segments);
            var e = fs.Stat(current, out var info);
            if (e != Errno.Success)
            {
                if (isLast)
                {
                    break; // the call decides what a missing last segment means (create, or NoEnt)
                }

                return e;
            }

            if (info.Kind == NodeKind.Symlink)
            {
                if (++hops > WasiAbi.MaxSymlinkHops)
                {
                    return Errno.Loop;
                }

                e = fs.ReadLink(current, out var target);
                if (e != Errno.Success)
                {
                    return e;
                }

                if (target.Length == 0)
                {
                    return Errno.NoEnt;
                }

                if (target[0] == '/')
                {
                    return Errno.NotCapable; // an absolute target would leave the directory the guest holds
                }

                segments.RemoveAt(segments.Count - 1);
                pending.InsertRange(i, target.Split('/'));
            }
            else if (info.Kind != NodeKind.Directory && !isLast)
            {
                return Errno.NotDir;
            }
        }

        path = string.Join('/', segments);
        return Errno.Success;
    }
}
