using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Overlay;

/// <summary>
/// A writable view of a read-only tree (the shielded image) for one invocation: what the guest creates, writes,
/// renames, truncates, links or deletes lives in an in-enclave <see cref="MemoryFileSystem"/> (the upper tree) on top
/// of the unchanged lower tree. The lower tree is never written; disposing the overlay zeroes and drops the upper tree.
/// </summary>
/// <remarks>
/// <para>The merged view of a path is the upper node if there is one, else the lower node unless it is hidden. A
/// <em>whiteout</em> hides a lower path and everything below it: removing, renaming away or replacing a lower node
/// records one. Directories merge: the upper tree holds a directory wherever something below it was created or copied
/// up, and listing it shows its upper entries and the lower entries that are neither shadowed nor hidden.</para>
/// <para>Copy-up: opening a lower file for writing or truncation, linking it, renaming it or setting its times first
/// copies it (its bytes, counted against the quota) into the upper tree and hides the lower one. Renaming a lower
/// directory copies its whole visible subtree up. A handle opened read-only before a copy-up keeps reading the lower
/// bytes (as on Linux's overlayfs).</para>
/// <para>Inode numbers of upper nodes have the top bit set, so they never collide with the lower tree's.</para>
/// <para>All members are thread-safe (one lock).</para>
/// </remarks>
public sealed partial class OverlayFileSystem : IFileSystem, IDisposable
{
    private const ulong UpperInodeBit = 1UL << 63;
    private const int CopyChunk = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly IFileSystem _lower;
    private readonly MemoryFileSystem _upper;
    private readonly HashSet<string> _whiteouts = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Lays <paramref name="upper"/> (owned: disposed with the overlay) over <paramref name="lower"/> (not owned, never written).</summary>
    public OverlayFileSystem(IFileSystem lower, MemoryFileSystem upper)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        _lower = lower;
        _upper = upper;
    }

    /// <inheritdoc/>
    public bool IsReadOnly => false;

    /// <inheritdoc/>
    public Errno Stat(string path, out NodeInfo info)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return MergedStat(path, out info, out _);
        }
    }

    /// <inheritdoc/>
    public Errno List(string path, out IReadOnlyList<DirectoryEntry> entries)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            entries = [];
            var e = MergedStat(path, out var info, out var inUpper);
            if (e != Errno.Success)
            {
                return e;
            }

            if (info.Kind != NodeKind.Directory)
            {
                return Errno.NotDir;
            }

            var merged = new SortedDictionary<string, DirectoryEntry>(StringComparer.Ordinal);
            if (inUpper && _upper.List(path, out var upper) == Errno.Success)
            {
                foreach (var entry in upper)
                {
                    merged[entry.Name] = entry with { Inode = entry.Inode | UpperInodeBit };
                }
            }

            if (LowerVisible(path) && _lower.Stat(path, out var lowerInfo) == Errno.Success && lowerInfo.Kind == NodeKind.Directory
                && _lower.List(path, out var lower) == Errno.Success)
            {
                foreach (var entry in lower)
                {
                    if (!merged.ContainsKey(entry.Name) && !_whiteouts.Contains(Child(path, entry.Name)))
                    {
                        merged[entry.Name] = entry;
                    }
                }
            }

            entries = [.. merged.Values];
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno Open(string path, OpenFlags flags, out IFileHandle? handle)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            handle = null;
            var e = MergedStat(path, out var info, out var inUpper);
            if (e == Errno.Success)
            {
                if (info.Kind == NodeKind.Directory)
                {
                    return Errno.IsDir;
                }

                if ((flags & (OpenFlags.Create | OpenFlags.Exclusive)) == (OpenFlags.Create | OpenFlags.Exclusive))
                {
                    return Errno.Exist;
                }

                if (!inUpper)
                {
                    if (info.Kind == NodeKind.Symlink)
                    {
                        return Errno.Loop;
                    }

                    if ((flags & (OpenFlags.Write | OpenFlags.Truncate)) == 0)
                    {
                        return _lower.Open(path, OpenFlags.None, out handle);
                    }

                    e = CopyUpFile(path, withContent: (flags & OpenFlags.Truncate) == 0);
                    if (e != Errno.Success)
                    {
                        return e;
                    }
                }

                return _upper.Open(path, flags & ~(OpenFlags.Create | OpenFlags.Exclusive), out handle);
            }

            if (e != Errno.NoEnt || (flags & OpenFlags.Create) == 0)
            {
                return e;
            }

            e = PrepareParent(path);
            return e != Errno.Success ? e : _upper.Open(path, flags, out handle);
        }
    }

    /// <inheritdoc/>
    public Errno CreateDirectory(string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = MustNotExist(path);
            return e != Errno.Success ? e : _upper.CreateDirectory(path);
        }
    }

    /// <inheritdoc/>
    public Errno Symlink(string target, string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = MustNotExist(path);
            return e != Errno.Success ? e : _upper.Symlink(target, path);
        }
    }

    /// <inheritdoc/>
    public Errno ReadLink(string path, out string target)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            target = "";
            var e = MergedStat(path, out _, out var inUpper);
            return e != Errno.Success ? e : inUpper ? _upper.ReadLink(path, out target) : _lower.ReadLink(path, out target);
        }
    }

    /// <summary>Zeroes and drops everything written (the upper tree) and forgets the whiteouts; the lower tree is untouched.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _upper.Dispose();
            _whiteouts.Clear();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static string Child(string dir, string name) => dir.Length == 0 ? name : dir + "/" + name;

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    /// <summary>Whether no whiteout hides <paramref name="path"/> or one of its ancestors.</summary>
    private bool LowerVisible(string path)
    {
        if (_whiteouts.Count == 0 || path.Length == 0)
        {
            return true;
        }

        for (var end = path.IndexOf('/'); end >= 0; end = path.IndexOf('/', end + 1))
        {
            if (_whiteouts.Contains(path[..end]))
            {
                return false;
            }
        }

        return !_whiteouts.Contains(path);
    }

    /// <summary>The merged node at <paramref name="path"/>: the upper one if any, else the visible lower one.</summary>
    private Errno MergedStat(string path, out NodeInfo info, out bool inUpper)
    {
        inUpper = false;
        var e = _upper.Stat(path, out info);
        if (e == Errno.Success)
        {
            inUpper = true;
            info = info with { Inode = info.Inode | UpperInodeBit };
            return e;
        }

        if (e != Errno.NoEnt)
        {
            return e; // an upper file stands where a directory is needed: it shadows the lower tree
        }

        if (!LowerVisible(path))
        {
            info = default;
            return Errno.NoEnt;
        }

        return _lower.Stat(path, out info);
    }

    /// <summary>For a new node at <paramref name="path"/>: it must not exist, its parent must be a directory, and the parent is made to exist in the upper tree.</summary>
    private Errno MustNotExist(string path)
    {
        if (path.Length == 0)
        {
            return Errno.Exist;
        }

        var e = MergedStat(path, out _, out _);
        return e == Errno.Success ? Errno.Exist : e != Errno.NoEnt ? e : PrepareParent(path);
    }

    /// <summary>Checks that the parent of <paramref name="path"/> is a directory in the merged view and creates it (and its ancestors) in the upper tree.</summary>
    private Errno PrepareParent(string path)
    {
        var parent = ParentOf(path);
        var e = MergedStat(parent, out var info, out var inUpper);
        if (e != Errno.Success)
        {
            return e;
        }

        if (info.Kind != NodeKind.Directory)
        {
            return Errno.NotDir;
        }

        return inUpper ? Errno.Success : CopyUpDirectory(parent);
    }
}
