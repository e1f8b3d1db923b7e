using System.Globalization;
using System.Text;

namespace Carapace.Functions.Images;

/// <summary>
/// Walks a source tree breadth first, each directory's entries sorted by UTF-8 bytes, into the node list the image
/// stores. Accepts regular files and directories only and enforces the format's limits; everything it refuses is
/// reported at once, by path.
/// </summary>
internal static class SourceTreeWalker
{
    private const int MaxListedRefusals = 20;

    private static readonly EnumerationOptions s_options = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

    /// <summary>The nodes of the tree at <paramref name="sourceDirectory"/>; node 0 is the root.</summary>
    /// <exception cref="ImagePackException">The tree holds something that cannot be packed, cannot be read, or exceeds a limit.</exception>
    public static List<SourceEntry> Walk(string sourceDirectory)
    {
        var root = Path.GetFullPath(sourceDirectory);
        if (!Directory.Exists(root))
        {
            throw new ImagePackException($"cannot pack {sourceDirectory}: it is not a directory");
        }

        var nodes = new List<SourceEntry> { new(string.Empty, [], 0, true, 0, root, string.Empty, 0) };
        var refused = new List<string>();
        var refusedCount = 0;
        for (var index = 0; index < nodes.Count; index++)
        {
            var directory = nodes[index];
            if (!directory.IsDirectory)
            {
                continue;
            }

            foreach (var (name, utf8) in ListSorted(directory))
            {
                var relative = directory.RelativePath.Length == 0 ? name : directory.RelativePath + "/" + name;
                var full = Path.Combine(directory.FullPath, name);
                if (utf8.Length > ImageLayout.MaxNameBytes)
                {
                    throw new ImagePackException(
                        $"cannot pack {relative}: its name is {utf8.Length} UTF-8 bytes long (at most {ImageLayout.MaxNameBytes})");
                }

                UnixNodeType type;
                long size;
                try
                {
                    type = UnixStat.Lstat(full, out size);
                }
                catch (IOException e)
                {
                    throw new ImagePackException($"cannot examine {relative}: {e.Message}", e);
                }

                if (type is not (UnixNodeType.Regular or UnixNodeType.Directory))
                {
                    refusedCount++;
                    if (refused.Count < MaxListedRefusals)
                    {
                        refused.Add($"{relative} ({Describe(type)})");
                    }

                    continue;
                }

                var depth = directory.Depth + 1;
                if (depth > ImageLayout.MaxDepth)
                {
                    throw new ImagePackException($"cannot pack {relative}: it is nested {depth} levels deep (at most {ImageLayout.MaxDepth})");
                }

                if (type == UnixNodeType.Regular && size < 0)
                {
                    throw new ImagePackException($"cannot pack {relative}: its size is unknown");
                }

                nodes.Add(new SourceEntry(name, utf8, index, type == UnixNodeType.Directory, type == UnixNodeType.Directory ? 0 : size, full, relative, depth));
                if (nodes.Count - 1 > ImageLayout.MaxEntries)
                {
                    throw new ImagePackException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"cannot pack {sourceDirectory}: it holds more than {ImageLayout.MaxEntries:N0} files and directories"));
                }
            }
        }

        if (refusedCount > 0)
        {
            var more = refusedCount > refused.Count ? $", and {refusedCount - refused.Count} more" : string.Empty;
            throw new ImagePackException(
                $"cannot pack {sourceDirectory}: an image holds only regular files and directories, but the tree contains "
                + string.Join(", ", refused) + more);
        }

        return nodes;
    }

    private static List<(string Name, byte[] Utf8)> ListSorted(SourceEntry directory)
    {
        var entries = new List<(string Name, byte[] Utf8)>();
        try
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory.FullPath, "*", s_options))
            {
                var name = Path.GetFileName(path);
                entries.Add((name, Encoding.UTF8.GetBytes(name)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var shown = directory.RelativePath.Length == 0 ? directory.FullPath : directory.RelativePath;
            throw new ImagePackException($"cannot read directory {shown}: {e.Message}", e);
        }

        entries.Sort(static (a, b) => NameOrder.Compare(a.Utf8, b.Utf8));
        for (var i = 1; i < entries.Count; i++)
        {
            if (NameOrder.Compare(entries[i - 1].Utf8, entries[i].Utf8) == 0)
            {
                // Only possible when names that are not valid UTF-8 decode to the same text.
                throw new ImagePackException($"cannot pack {directory.FullPath}: two entries have the same name once decoded as UTF-8 ({entries[i].Name})");
            }
        }

        return entries;
    }

    private static string Describe(UnixNodeType type) => type switch
    {
        UnixNodeType.SymbolicLink => "symbolic link",
        UnixNodeType.Fifo => "named pipe",
        UnixNodeType.CharacterDevice => "character device",
        UnixNodeType.BlockDevice => "block device",
        UnixNodeType.Socket => "socket",
        _ => "unknown file type",
    };
}
