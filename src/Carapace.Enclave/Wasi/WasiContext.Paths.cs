using Carapace.Enclave.FileSystem;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// path_* calls: every path is resolved lexically inside the directory descriptor it is relative to (GuestPath).
public sealed partial class WasiContext
{
    internal Errno PathOpen(Caller caller, int dirFd, int lookupFlags, int pathPtr, int pathLength, int openFlags, long rightsBase, int fdFlags, int resultPtr)
    {
        var m = Guest(caller);
        var e = Resolve(m, dirFd, pathPtr, pathLength, Follows(lookupFlags), out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        if (((uint)openFlags & ~(uint)WasiAbi.OFlagsAll) != 0 || ((uint)fdFlags & ~(uint)WasiAbi.FdFlagsAll) != 0)
        {
            return Errno.Inval;
        }

        var oflags = (ushort)openFlags;
        var create = (oflags & WasiAbi.OFlagCreate) != 0;
        var exclusive = create && (oflags & WasiAbi.OFlagExclusive) != 0;
        var truncate = (oflags & WasiAbi.OFlagTruncate) != 0;
        var directoryOnly = (oflags & WasiAbi.OFlagDirectory) != 0;
        if (directoryOnly && (create || truncate))
        {
            return Errno.Inval;
        }

        var requested = (ulong)rightsBase;
        var write = (requested & WasiRights.WriteAccess) != 0;
        var read = (requested & WasiRights.ReadAccess) != 0 || !write;

        if (!m.Contains((uint)resultPtr, 4))
        {
            return Errno.Fault;
        }

        var slot = FreeSlot();
        if (slot < 0)
        {
            return Errno.MFile;
        }

        var fs = dir!.FileSystem!;
        IFileHandle? handle = null;
        try
        {
            FileDescriptor opened;
            e = fs.Stat(path.Path, out var info);
            if (e == Errno.Success && info.Kind == NodeKind.Symlink)
            {
                // Reached only without LOOKUP_SYMLINK_FOLLOW (O_NOFOLLOW): as POSIX, a symlink is not opened.
                return directoryOnly || path.MustBeDirectory ? Errno.NotDir : Errno.Loop;
            }

            if (e == Errno.Success && info.Kind == NodeKind.Directory)
            {
                if (exclusive)
                {
                    return Errno.Exist;
                }

                if (write || truncate)
                {
                    return Errno.IsDir;
                }

                var rights = WasiRights.Directory(!fs.IsReadOnly);
                opened = new FileDescriptor
                {
                    Kind = DescriptorKind.Directory,
                    FileSystem = fs,
                    Device = dir.Device,
                    Path = path.Path,
                    Flags = (ushort)(fdFlags & ~WasiAbi.FdFlagAppend),
                    RightsBase = rights & dir.RightsInheriting,
                    RightsInheriting = WasiRights.Inheriting(!fs.IsReadOnly) & dir.RightsInheriting,
                };
            }
            else
            {
                if (e == Errno.Success)
                {
                    if (directoryOnly || path.MustBeDirectory)
                    {
                        return Errno.NotDir;
                    }

                    if (exclusive)
                    {
                        return Errno.Exist;
                    }
                }
                else if (e != Errno.NoEnt)
                {
                    return e;
                }
                else if (!create || directoryOnly)
                {
                    return Errno.NoEnt;
                }
                else if (path.MustBeDirectory)
                {
                    return Errno.IsDir;
                }

                var exists = e == Errno.Success;
                if (fs.IsReadOnly && (write || truncate || !exists))
                {
                    return Errno.RoFs;
                }

                if ((write && (dir.RightsInheriting & WasiRights.FdWrite) == 0) || (read && (dir.RightsInheriting & WasiRights.FdRead) == 0))
                {
                    return Errno.NotCapable;
                }

                var flags = (write ? OpenFlags.Write : OpenFlags.None)
                    | (truncate ? OpenFlags.Truncate : OpenFlags.None)
                    | (exists ? OpenFlags.None : OpenFlags.Create | (exclusive ? OpenFlags.Exclusive : OpenFlags.None));
                e = fs.Open(path.Path, flags, out handle);
                if (e != Errno.Success)
                {
                    return e;
                }

                var inode = fs.Stat(path.Path, out var created) == Errno.Success ? created.Inode : 0;
                opened = new FileDescriptor
                {
                    Kind = DescriptorKind.File,
                    FileSystem = fs,
                    Device = dir.Device,
                    Path = path.Path,
                    Handle = handle,
                    Inode = inode,
                    Flags = (ushort)fdFlags,
                    RightsBase = (WasiRights.FileCommon | (read ? WasiRights.FdRead : 0) | (write ? WasiRights.WriteAccess : 0)
                        | (fs.IsReadOnly ? 0 : WasiRights.FileWritableTree)) & dir.RightsInheriting,
                };
            }

            _fds[slot] = opened;
            handle = null;
            m.TryWriteUInt32((uint)resultPtr, (uint)slot);
            return Errno.Success;
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
        finally
        {
            handle?.Dispose();
        }
    }

    internal Errno PathFilestatGet(Caller caller, int dirFd, int lookupFlags, int pathPtr, int pathLength, int resultPtr)
    {
        var m = Guest(caller);
        var e = Resolve(m, dirFd, pathPtr, pathLength, Follows(lookupFlags), out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        if (!m.TrySpan((uint)resultPtr, WasiAbi.FilestatSize, out var stat))
        {
            return Errno.Fault;
        }

        try
        {
            e = StatChecked(dir!.FileSystem!, path, out var info);
            if (e == Errno.Success)
            {
                WriteFilestat(stat, dir.Device, info);
            }

            return e;
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    internal Errno PathCreateDirectory(Caller caller, int dirFd, int pathPtr, int pathLength)
    {
        var e = Resolve(Guest(caller), dirFd, pathPtr, pathLength, followLast: false, out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        var fs = dir!.FileSystem!;
        try
        {
            if (path.Path.Length == 0)
            {
                return Errno.Exist;
            }

            if (fs.IsReadOnly)
            {
                e = fs.Stat(path.Path, out _);
                return e == Errno.Success ? Errno.Exist : e == Errno.NoEnt ? Errno.RoFs : e;
            }

            return fs.CreateDirectory(path.Path);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    internal Errno PathRemoveDirectory(Caller caller, int dirFd, int pathPtr, int pathLength)
    {
        var e = Resolve(Guest(caller), dirFd, pathPtr, pathLength, followLast: false, out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        if (path.EndsInDot)
        {
            return Errno.Inval; // rmdir(".") and the like
        }

        if (path.Path.Length == 0)
        {
            return Errno.Busy;
        }

        var fs = dir!.FileSystem!;
        try
        {
            if (fs.IsReadOnly)
            {
                e = fs.Stat(path.Path, out var info);
                return e != Errno.Success ? e : info.Kind != NodeKind.Directory ? Errno.NotDir : Errno.RoFs;
            }

            return fs.RemoveDirectory(path.Path);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    internal Errno PathUnlinkFile(Caller caller, int dirFd, int pathPtr, int pathLength)
    {
        var e = Resolve(Guest(caller), dirFd, pathPtr, pathLength, followLast: false, out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        if (path.Path.Length == 0)
        {
            return Errno.IsDir;
        }

        var fs = dir!.FileSystem!;
        try
        {
            if (fs.IsReadOnly || path.MustBeDirectory)
            {
                e = fs.Stat(path.Path, out var info);
                if (e != Errno.Success)
                {
                    return e;
                }

                if (info.Kind == NodeKind.Directory)
                {
                    return Errno.IsDir;
                }

                if (path.MustBeDirectory)
                {
                    return Errno.NotDir;
                }

                return Errno.RoFs;
            }

            return fs.Unlink(path.Path);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    internal Errno PathRename(Caller caller, int fromFd, int fromPtr, int fromLength, int toFd, int toPtr, int toLength)
    {
        var e = ResolveBoth(Guest(caller), fromFd, fromPtr, fromLength, followFrom: false, toFd, toPtr, toLength, out var fs, out var from, out var to);
        if (e != Errno.Success)
        {
            return e;
        }

        if (from.EndsInDot || to.EndsInDot)
        {
            return Errno.Inval;
        }

        if (from.Path.Length == 0 || to.Path.Length == 0)
        {
            return Errno.Busy;
        }

        try
        {
            if (fs.IsReadOnly || from.MustBeDirectory || to.MustBeDirectory)
            {
                e = fs.Stat(from.Path, out var info);
                if (e != Errno.Success)
                {
                    return e;
                }

                if (info.Kind != NodeKind.Directory && (from.MustBeDirectory || to.MustBeDirectory))
                {
                    return Errno.NotDir;
                }

                if (fs.IsReadOnly)
                {
                    return Errno.RoFs;
                }
            }

            return fs.Rename(from.Path, to.Path);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    /// <summary>Stat that honours a trailing '/' (a file named with one is <see cref="Errno.NotDir"/>).</summary>
    private static Errno StatChecked(IFileSystem fs, ResolvedPath path, out NodeInfo info)
    {
        var e = fs.Stat(path.Path, out info);
        return e == Errno.Success && path.MustBeDirectory && info.Kind != NodeKind.Directory ? Errno.NotDir : e;
    }

    private static bool Follows(int lookupFlags) => (lookupFlags & WasiAbi.LookupSymlinkFollow) != 0;

    /// <summary>
    /// Resolves the two paths of a rename or link (the new name's last component never followed); both must be in one
    /// file system, <see cref="Errno.XDev"/> otherwise.
    /// </summary>
    private Errno ResolveBoth(scoped in GuestMemory m, int fromFd, int fromPtr, int fromLength, bool followFrom, int toFd, int toPtr, int toLength,
        out IFileSystem fs, out ResolvedPath from, out ResolvedPath to)
    {
        fs = null!;
        to = default;
        var e = Resolve(m, fromFd, fromPtr, fromLength, followFrom, out var fromDir, out from);
        if (e != Errno.Success)
        {
            return e;
        }

        e = Resolve(m, toFd, toPtr, toLength, followLast: false, out var toDir, out to);
        if (e != Errno.Success)
        {
            return e;
        }

        fs = fromDir!.FileSystem!;
        return ReferenceEquals(fs, toDir!.FileSystem) ? Errno.Success : Errno.XDev;
    }

    /// <summary>Finds the directory descriptor and resolves the guest's path inside it (following symlinks on the way, and in the last segment if <paramref name="followLast"/>).</summary>
    internal Errno Resolve(scoped in GuestMemory m, int dirFd, int pathPtr, int pathLength, bool followLast, out FileDescriptor? dir, out ResolvedPath path)
    {
        path = default;
        dir = Fd(dirFd);
        if (dir is null)
        {
            return Errno.BadF;
        }

        if (dir.Kind != DescriptorKind.Directory)
        {
            return Errno.NotDir;
        }

        if (!m.TrySpan((uint)pathPtr, (uint)pathLength, out var raw))
        {
            return Errno.Fault;
        }

        Errno e;
        string resolved;
        bool mustBeDirectory, endsInDot;
        try
        {
            e = GuestPath.Resolve(dir.FileSystem!, dir.Path, raw, followLast, out resolved, out mustBeDirectory, out endsInDot);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }

        path = new ResolvedPath(resolved, mustBeDirectory, endsInDot);
        return e;
    }
}
