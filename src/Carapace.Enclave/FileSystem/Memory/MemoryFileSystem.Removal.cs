using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Memory;

// Removing and renaming entries.
public sealed partial class MemoryFileSystem
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

            var e = LookupParent(path, out var dir, out var name);
            if (e != Errno.Success)
            {
                return e;
            }

            if (!dir!.Children.TryGetValue(name, out var node))
            {
                return Errno.NoEnt;
            }

            if (node is MemoryDirectoryNode)
            {
                return Errno.IsDir;
            }

            Detach(dir, name);
            return Errno.Success;
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

            var e = LookupParent(path, out var dir, out var name);
            if (e != Errno.Success)
            {
                return e;
            }

            if (!dir!.Children.TryGetValue(name, out var node))
            {
                return Errno.NoEnt;
            }

            if (node is not MemoryDirectoryNode victim)
            {
                return Errno.NotDir;
            }

            if (victim.Children.Count != 0)
            {
                return Errno.NotEmpty;
            }

            Detach(dir, name);
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

            var e = LookupParent(from, out var fromDir, out var fromName);
            if (e != Errno.Success)
            {
                return e;
            }

            if (!fromDir!.Children.TryGetValue(fromName, out var source))
            {
                return Errno.NoEnt;
            }

            e = LookupParent(to, out var toDir, out var toName);
            if (e != Errno.Success)
            {
                return e;
            }

            if (source is MemoryDirectoryNode sourceDir && sourceDir.Contains(toDir!))
            {
                return Errno.Inval;
            }

            if (toDir!.Children.TryGetValue(toName, out var target))
            {
                if (ReferenceEquals(target, source))
                {
                    return Errno.Success;
                }

                switch (source, target)
                {
                    case (not MemoryDirectoryNode, MemoryDirectoryNode):
                        return Errno.IsDir;
                    case (MemoryDirectoryNode, not MemoryDirectoryNode):
                        return Errno.NotDir;
                    case (MemoryDirectoryNode, MemoryDirectoryNode { Children.Count: > 0 }):
                        return Errno.NotEmpty;
                }

                Detach(toDir, toName);
            }

            fromDir.Children.Remove(fromName);
            toDir.Children.Add(toName, source);
            source.Parent = toDir;
            var now = Now();
            fromDir.ModifiedNanoseconds = now;
            toDir.ModifiedNanoseconds = now;
            return Errno.Success;
        }
    }
}
