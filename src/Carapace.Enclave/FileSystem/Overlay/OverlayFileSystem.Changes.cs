using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Overlay;

// Removing, renaming, linking and setting times: the upper tree changes, the lower one is hidden by whiteouts.
public sealed partial class OverlayFileSystem
{
    /// <inheritdoc/>
    public Errno Unlink(string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (path.Length == 0)
            {
                return Errno.IsDir;
            }

            var e = MergedStat(path, out var info, out var inUpper);
            if (e != Errno.Success)
            {
                return e;
            }

            if (info.Kind == NodeKind.Directory)
            {
                return Errno.IsDir;
            }

            if (inUpper)
            {
                e = _upper.Unlink(path);
            }

            Hide(path);
            return e;
        }
    }

    /// <inheritdoc/>
    public Errno RemoveDirectory(string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (path.Length == 0)
            {
                return Errno.Busy;
            }

            var e = MergedStat(path, out var info, out var inUpper);
            if (e != Errno.Success)
            {
                return e;
            }

            if (info.Kind != NodeKind.Directory)
            {
                return Errno.NotDir;
            }

            e = List(path, out var entries);
            if (e != Errno.Success)
            {
                return e;
            }

            if (entries.Count != 0)
            {
                return Errno.NotEmpty;
            }

            if (inUpper)
            {
                e = _upper.RemoveDirectory(path);
                if (e != Errno.Success)
                {
                    return e;
                }
            }

            Hide(path);
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno Rename(string from, string to)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (from.Length == 0 || to.Length == 0)
            {
                return Errno.Busy;
            }

            var e = MergedStat(from, out var source, out _);
            if (e != Errno.Success)
            {
                return e;
            }

            e = MergedStat(ParentOf(to), out var toParent, out _);
            if (e != Errno.Success)
            {
                return e;
            }

            if (toParent.Kind != NodeKind.Directory)
            {
                return Errno.NotDir;
            }

            if (source.Kind == NodeKind.Directory && (to == from || to.StartsWith(from + "/", StringComparison.Ordinal)))
            {
                return to == from ? Errno.Success : Errno.Inval;
            }

            e = MergedStat(to, out var target, out _);
            if (e == Errno.Success)
            {
                if (target.Inode == source.Inode)
                {
                    return Errno.Success; // two names of one file: nothing to do
                }

                switch (source.Kind, target.Kind)
                {
                    case (not NodeKind.Directory, NodeKind.Directory):
                        return Errno.IsDir;
                    case (NodeKind.Directory, not NodeKind.Directory):
                        return Errno.NotDir;
                    case (NodeKind.Directory, NodeKind.Directory):
                        if (List(to, out var children) == Errno.Success && children.Count != 0)
                        {
                            return Errno.NotEmpty;
                        }

                        break;
                }
            }
            else if (e != Errno.NoEnt)
            {
                return e;
            }

            // Everything that moves must live in the upper tree; then the upper rename does the work.
            e = source.Kind == NodeKind.Directory ? CopyUpTree(from) : _upper.Stat(from, out _) == Errno.Success ? Errno.Success : CopyUpFile(from, withContent: true);
            if (e == Errno.Success)
            {
                e = PrepareParent(to);
            }

            if (e == Errno.Success && target.Kind == NodeKind.Directory && _upper.Stat(to, out _) != Errno.Success)
            {
                e = _upper.CreateDirectory(to); // an empty lower directory being replaced: give the upper rename one to replace
            }

            if (e != Errno.Success)
            {
                return e;
            }

            e = _upper.Rename(from, to);
            if (e == Errno.Success)
            {
                Hide(from);
                Hide(to);
            }

            return e;
        }
    }

    /// <inheritdoc/>
    public Errno Link(string from, string to)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = MergedStat(from, out var source, out var inUpper);
            if (e != Errno.Success)
            {
                return e;
            }

            if (source.Kind == NodeKind.Directory)
            {
                return Errno.Perm;
            }

            e = MustNotExist(to);
            if (e == Errno.Success && !inUpper)
            {
                e = CopyUpFile(from, withContent: true);
            }

            return e != Errno.Success ? e : _upper.Link(from, to);
        }
    }

    /// <inheritdoc/>
    public Errno SetTimes(string path, ulong? accessedNanoseconds, ulong? modifiedNanoseconds)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = MergedStat(path, out var info, out var inUpper);
            if (e == Errno.Success && !inUpper)
            {
                e = info.Kind == NodeKind.Directory ? CopyUpDirectory(path) : CopyUpFile(path, withContent: true);
            }

            return e != Errno.Success ? e : _upper.SetTimes(path, accessedNanoseconds, modifiedNanoseconds);
        }
    }

    /// <summary>Hides the lower node at <paramref name="path"/> (and below) if there is one; whiteouts below it become redundant and go.</summary>
    private void Hide(string path)
    {
        if (!LowerVisible(path) || _lower.Stat(path, out _) != Errno.Success)
        {
            return;
        }

        _whiteouts.RemoveWhere(w => w.StartsWith(path + "/", StringComparison.Ordinal));
        _whiteouts.Add(path);

        // The parent lost an entry: it is modified, as it would be on any file system.
        if (CopyUpDirectory(ParentOf(path)) == Errno.Success)
        {
            _upper.MarkModified(ParentOf(path));
        }
    }

    /// <summary>Makes the directory <paramref name="path"/> and its whole visible subtree exist in the upper tree (before it is renamed).</summary>
    private Errno CopyUpTree(string path)
    {
        var e = CopyUpDirectory(path);
        if (e != Errno.Success)
        {
            return e;
        }

        e = List(path, out var entries);
        if (e != Errno.Success)
        {
            return e;
        }

        foreach (var entry in entries)
        {
            var child = Child(path, entry.Name);
            e = entry.Kind == NodeKind.Directory ? CopyUpTree(child)
                : _upper.Stat(child, out _) == Errno.Success ? Errno.Success
                : CopyUpFile(child, withContent: true);
            if (e != Errno.Success)
            {
                return e;
            }
        }

        return Errno.Success;
    }
}
