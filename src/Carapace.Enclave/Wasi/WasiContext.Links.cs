using System.Text;
using Carapace.Enclave.FileSystem;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// Symlinks, hard links and file times. A file system that cannot hold them (the read-only image) says RoFs.
public sealed partial class WasiContext
{
    /// <summary><c>path_readlink</c>: the target, cut to the buffer (as POSIX <c>readlink</c>); <see cref="Errno.Inval"/> for a node that is not a symlink.</summary>
    internal Errno PathReadlink(Caller caller, int dirFd, int pathPtr, int pathLength, int bufferPtr, int bufferLength, int resultPtr)
    {
        var m = Guest(caller);
        var e = Resolve(m, dirFd, pathPtr, pathLength, followLast: false, out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        if (!m.TrySpan((uint)bufferPtr, (uint)bufferLength, out var buffer) || !m.Contains((uint)resultPtr, 4))
        {
            return Errno.Fault;
        }

        try
        {
            e = StatChecked(dir!.FileSystem!, path, out _);
            if (e != Errno.Success)
            {
                return e;
            }

            e = dir.FileSystem!.ReadLink(path.Path, out var target);
            if (e != Errno.Success)
            {
                return e;
            }

            var bytes = Encoding.UTF8.GetBytes(target);
            var count = Math.Min(bytes.Length, buffer.Length);
            bytes.AsSpan(0, count).CopyTo(buffer);
            m.TryWriteUInt32((uint)resultPtr, (uint)count);
            return Errno.Success;
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    /// <summary>
    /// <c>path_symlink</c>: the target is stored as given; an absolute target is refused with
    /// <see cref="Errno.NotCapable"/> (it would name something outside the directory the guest holds). A relative
    /// target that climbs out with ".." can be created but is refused when followed.
    /// </summary>
    internal Errno PathSymlink(Caller caller, int targetPtr, int targetLength, int dirFd, int pathPtr, int pathLength)
    {
        var m = Guest(caller);
        if (!m.TrySpan((uint)targetPtr, (uint)targetLength, out var rawTarget))
        {
            return Errno.Fault;
        }

        if (rawTarget.Length > WasiAbi.MaxPathBytes)
        {
            return Errno.NameTooLong;
        }

        if (rawTarget.Contains((byte)0) || !System.Text.Unicode.Utf8.IsValid(rawTarget))
        {
            return Errno.Inval;
        }

        if (rawTarget.IsEmpty)
        {
            return Errno.NoEnt;
        }

        if (rawTarget[0] == (byte)'/')
        {
            return Errno.NotCapable;
        }

        var target = Encoding.UTF8.GetString(rawTarget);
        var e = Resolve(m, dirFd, pathPtr, pathLength, followLast: false, out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        var fs = dir!.FileSystem!;
        try
        {
            e = fs.Stat(path.Path, out _);
            if (e == Errno.Success || path.Path.Length == 0)
            {
                return Errno.Exist;
            }

            if (e != Errno.NoEnt)
            {
                return e;
            }

            if (path.MustBeDirectory)
            {
                return Errno.NoEnt; // a new symlink named with a trailing '/': its "directory" cannot exist
            }

            return fs.IsReadOnly ? Errno.RoFs : fs.Symlink(target, path.Path);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    /// <summary><c>path_link</c>: a second name for a file in the same file system (<see cref="Errno.XDev"/> across file systems).</summary>
    internal Errno PathLink(Caller caller, int fromFd, int lookupFlags, int fromPtr, int fromLength, int toFd, int toPtr, int toLength)
    {
        var e = ResolveBoth(Guest(caller), fromFd, fromPtr, fromLength, Follows(lookupFlags), toFd, toPtr, toLength, out var fs, out var from, out var to);
        if (e != Errno.Success)
        {
            return e;
        }

        try
        {
            e = StatChecked(fs, from, out var source);
            if (e != Errno.Success)
            {
                return e;
            }

            if (source.Kind == NodeKind.Directory)
            {
                return Errno.Perm;
            }

            e = fs.Stat(to.Path, out _);
            if (e == Errno.Success || to.Path.Length == 0)
            {
                return Errno.Exist;
            }

            if (e != Errno.NoEnt)
            {
                return e;
            }

            if (to.MustBeDirectory)
            {
                return Errno.NoEnt;
            }

            return fs.IsReadOnly ? Errno.RoFs : fs.Link(from.Path, to.Path);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    /// <summary><c>path_filestat_set_times</c>.</summary>
    internal Errno PathFilestatSetTimes(Caller caller, int dirFd, int lookupFlags, int pathPtr, int pathLength, long accessed, long modified, int flags)
    {
        var e = Resolve(Guest(caller), dirFd, pathPtr, pathLength, Follows(lookupFlags), out var dir, out var path);
        if (e != Errno.Success)
        {
            return e;
        }

        if (!ValidTimeFlags(flags))
        {
            return Errno.Inval;
        }

        try
        {
            e = StatChecked(dir!.FileSystem!, path, out _);
            return e != Errno.Success ? e : SetTimes(dir.FileSystem!, path.Path, accessed, modified, flags);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    /// <summary><c>fd_filestat_set_times</c> on a file or directory descriptor (through the path it was opened with).</summary>
    internal Errno FdFilestatSetTimes(int fd, long accessed, long modified, int flags)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        if (!ValidTimeFlags(flags))
        {
            return Errno.Inval;
        }

        if (d.FileSystem is null)
        {
            return Errno.NotCapable; // stdio: no times to set
        }

        try
        {
            return SetTimes(d.FileSystem, d.Path, accessed, modified, flags);
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }
    }

    private Errno SetTimes(IFileSystem fs, string path, long accessed, long modified, int flags)
    {
        if (fs.IsReadOnly)
        {
            return Errno.RoFs;
        }

        var now = Now(WasiAbi.ClockRealtime);
        ulong? a = (flags & WasiAbi.FstFlagAtimNow) != 0 ? now : (flags & WasiAbi.FstFlagAtim) != 0 ? (ulong)accessed : null;
        ulong? m = (flags & WasiAbi.FstFlagMtimNow) != 0 ? now : (flags & WasiAbi.FstFlagMtim) != 0 ? (ulong)modified : null;
        return fs.SetTimes(path, a, m);
    }

    private static bool ValidTimeFlags(int flags) =>
        ((uint)flags & ~0xFu) == 0
        && (flags & (WasiAbi.FstFlagAtim | WasiAbi.FstFlagAtimNow)) != (WasiAbi.FstFlagAtim | WasiAbi.FstFlagAtimNow)
        && (flags & (WasiAbi.FstFlagMtim | WasiAbi.FstFlagMtimNow)) != (WasiAbi.FstFlagMtim | WasiAbi.FstFlagMtimNow);
}
