using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Memory;

// Hard links, symlinks and times.
public sealed partial class MemoryFileSystem
{
    /// <inheritdoc/>
    public Errno Link(string from, string to)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = Lookup(from, out var source);
            if (e != Errno.Success)
            {
                return e;
            }

            if (source is MemoryDirectoryNode)
            {
                return Errno.Perm; // as POSIX: no hard links to directories
            }

            e = FreeEntry(to, out var dir, out var name);
            if (e != Errno.Success)
            {
                return e;
            }

            Attach(dir!, name, source!);
            source!.Parent ??= dir;
            if (source is MemoryFileNode file)
            {
                file.Links++;
            }

            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno Symlink(string target, string path)
    {
        ArgumentNullException.ThrowIfNull(target);
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = FreeEntry(path, out var dir, out var name);
            if (e != Errno.Success)
            {
                return e;
            }

            Attach(dir!, name, new MemorySymlinkNode(_nextInode++, Now(), target));
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno ReadLink(string path, out string target)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            target = "";
            var e = Lookup(path, out var node);
            if (e != Errno.Success)
            {
                return e;
            }

            if (node is not MemorySymlinkNode link)
            {
                return Errno.Inval;
            }

            target = link.Target;
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno SetTimes(string path, ulong? accessedNanoseconds, ulong? modifiedNanoseconds)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = Lookup(path, out var node);
            if (e != Errno.Success)
            {
                return e;
            }

            if (accessedNanoseconds is { } accessed)
            {
                node!.AccessedNanoseconds = accessed;
            }

            if (modifiedNanoseconds is { } modified)
            {
                node!.ModifiedNanoseconds = modified;
            }

            return Errno.Success;
        }
    }

    /// <summary>Sets the modification time of the node at <paramref name="path"/> to now (an overlay that changed a directory's entries through whiteouts says so).</summary>
    internal Errno MarkModified(string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = Lookup(path, out var node);
            if (e == Errno.Success)
            {
                node!.ModifiedNanoseconds = Now();
            }

            return e;
        }
    }

    /// <summary>The parent directory and name for a new entry at <paramref name="path"/>, which must not exist yet; checks the node limit.</summary>
    private Errno FreeEntry(string path, out MemoryDirectoryNode? dir, out string name)
    {
        dir = null;
        name = "";
        if (path.Length == 0)
        {
            return Errno.Exist;
        }

        var e = LookupParent(path, out dir, out name);
        if (e != Errno.Success)
        {
            return e;
        }

        if (dir!.Children.ContainsKey(name))
        {
            return Errno.Exist;
        }

        return _nodeCount >= MaxNodes ? Errno.NoSpc : Errno.Success;
    }
}
