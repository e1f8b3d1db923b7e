using System.Buffers.Binary;
using Carapace.Enclave.FileSystem;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// fd_* calls on open descriptors: reading, writing, seeking, status, flags, rights, size, close, renumber.
public sealed partial class WasiContext
{
    internal Errno FdRead(Caller caller, int fd, int iovs, int iovsLength, int resultPtr) =>
        Read(caller, fd, iovs, iovsLength, null, resultPtr);

    internal Errno FdPread(Caller caller, int fd, int iovs, int iovsLength, long offset, int resultPtr) =>
        offset < 0 ? (Fd(fd) is null ? Errno.BadF : Errno.Inval) : Read(caller, fd, iovs, iovsLength, offset, resultPtr);

    internal Errno FdWrite(Caller caller, int fd, int iovs, int iovsLength, int resultPtr) =>
        Write(caller, fd, iovs, iovsLength, null, resultPtr);

    internal Errno FdPwrite(Caller caller, int fd, int iovs, int iovsLength, long offset, int resultPtr) =>
        offset < 0 ? (Fd(fd) is null ? Errno.BadF : Errno.Inval) : Write(caller, fd, iovs, iovsLength, offset, resultPtr);

    internal Errno FdSeek(Caller caller, int fd, long offset, int whence, int resultPtr)
    {
        var d = Fd(fd);
        switch (d?.Kind)
        {
            case null:
                return Errno.BadF;
            case DescriptorKind.Stdout or DescriptorKind.Stderr:
                return Errno.SPipe;
            case DescriptorKind.Directory:
                return Errno.BadF;
        }

        if ((uint)whence > WasiAbi.WhenceEnd)
        {
            return Errno.Inval;
        }

        var m = Guest(caller);
        if (!m.Contains((uint)resultPtr, 8))
        {
            return Errno.Fault;
        }

        try
        {
            var origin = whence switch
            {
                WasiAbi.WhenceSet => 0,
                WasiAbi.WhenceCur => d!.Position,
                _ => d!.Kind == DescriptorKind.Stdin ? _stdin.Length : d.Handle!.Length,
            };
            if ((offset > 0 && origin > long.MaxValue - offset) || origin + offset < 0)
            {
                return Errno.Inval;
            }

            d!.Position = origin + offset;
            m.TryWriteUInt64((uint)resultPtr, (ulong)d.Position);
            return Errno.Success;
        }
        catch (IntegrityViolationException e)
        {
            return Violation(e);
        }
    }

    internal Errno FdTell(Caller caller, int fd, int resultPtr)
    {
        var d = Fd(fd);
        switch (d?.Kind)
        {
            case null:
                return Errno.BadF;
            case DescriptorKind.Stdout or DescriptorKind.Stderr:
                return Errno.SPipe;
            case DescriptorKind.Directory:
                return Errno.BadF;
        }

        return Guest(caller).TryWriteUInt64((uint)resultPtr, (ulong)d!.Position) ? Errno.Success : Errno.Fault;
    }

    internal Errno FdClose(int fd)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        _fds[fd] = null;
        d.ReplaceListing(null);
        try
        {
            d.Handle?.Dispose();
            d.Handle = null;
            return Errno.Success;
        }
        catch (IntegrityViolationException e)
        {
            return Violation(e);
        }
    }

    internal Errno FdRenumber(int from, int to)
    {
        var source = Fd(from);
        var target = Fd(to);
        if (source is null || target is null)
        {
            return Errno.BadF;
        }

        if (from == to)
        {
            return Errno.Success;
        }

        _fds[to] = source;
        _fds[from] = null;
        target.ReplaceListing(null);
        try
        {
            target.Handle?.Dispose();
            target.Handle = null;
            return Errno.Success;
        }
        catch (IntegrityViolationException e)
        {
            return Violation(e);
        }
    }

    internal Errno FdFdstatGet(Caller caller, int fd, int resultPtr)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        if (!Guest(caller).TrySpan((uint)resultPtr, WasiAbi.FdstatSize, out var stat))
        {
            return Errno.Fault;
        }

        stat.Clear();
        stat[0] = FileType(d.Kind);
        BinaryPrimitives.WriteUInt16LittleEndian(stat[2..], d.Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[8..], d.RightsBase);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[16..], d.RightsInheriting);
        return Errno.Success;
    }

    /// <summary>
    /// APPEND and NONBLOCK can be changed (nothing ever blocks, so NONBLOCK is only recorded); the sync flags cannot
    /// (<see cref="Errno.NotSup"/> if the call would change them — passing them back unchanged, as <c>fcntl(F_SETFL)</c>
    /// after <c>F_GETFL</c> does, is fine); APPEND on stdin or a directory is <see cref="Errno.Inval"/>.
    /// </summary>
    internal Errno FdFdstatSetFlags(int fd, int flags)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        if (((uint)flags & ~(uint)WasiAbi.FdFlagsAll) != 0)
        {
            return Errno.Inval;
        }

        var wanted = (ushort)flags;
        if ((wanted & WasiAbi.FdFlagsSyncing) != (d.Flags & WasiAbi.FdFlagsSyncing))
        {
            return Errno.NotSup;
        }

        if ((wanted & WasiAbi.FdFlagAppend) != 0 && d.Kind is DescriptorKind.Stdin or DescriptorKind.Directory)
        {
            return Errno.Inval;
        }

        d.Flags = wanted;
        return Errno.Success;
    }

    /// <summary>Rights can only be dropped.</summary>
    internal Errno FdFdstatSetRights(int fd, long rightsBase, long rightsInheriting)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        if (((ulong)rightsBase & ~d.RightsBase) != 0 || ((ulong)rightsInheriting & ~d.RightsInheriting) != 0)
        {
            return Errno.NotCapable;
        }

        d.RightsBase = (ulong)rightsBase;
        d.RightsInheriting = (ulong)rightsInheriting;
        return Errno.Success;
    }

    internal Errno FdFilestatGet(Caller caller, int fd, int resultPtr)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        if (!Guest(caller).TrySpan((uint)resultPtr, WasiAbi.FilestatSize, out var stat))
        {
            return Errno.Fault;
        }

        try
        {
            switch (d.Kind)
            {
                case DescriptorKind.Stdin:
                    WriteFilestat(stat, 0, 0, WasiAbi.FileTypeRegularFile, (ulong)_stdin.Length);
                    return Errno.Success;
                case DescriptorKind.Stdout or DescriptorKind.Stderr:
                    WriteFilestat(stat, 0, 0, WasiAbi.FileTypeUnknown, 0);
                    return Errno.Success;
                case DescriptorKind.File:
                    // The handle knows the length; times and links come from the node if the path still names the same file.
                    var current = d.FileSystem!.Stat(d.Path, out var now) == Errno.Success && now.Inode == d.Inode && now.Kind == NodeKind.File
                        ? now
                        : new NodeInfo(NodeKind.File, 0, d.Inode, 0);
                    WriteFilestat(stat, d.Device, current with { Size = d.Handle!.Length });
                    return Errno.Success;
                default:
                    var e = d.FileSystem!.Stat(d.Path, out var info);
                    if (e != Errno.Success)
                    {
                        return e;
                    }

                    WriteFilestat(stat, d.Device, info);
                    return Errno.Success;
            }
        }
        catch (IntegrityViolationException e)
        {
            return Violation(e);
        }
    }

    internal Errno FdFilestatSetSize(int fd, long size)
    {
        var d = Fd(fd);
        switch (d?.Kind)
        {
            case null:
                return Errno.BadF;
            case DescriptorKind.File:
                break;
            default:
                return Errno.Inval;
        }

        if (!d.CanWrite)
        {
            return Errno.BadF;
        }

        if (size < 0)
        {
            return Errno.Inval;
        }

        try
        {
            return d.Handle!.SetLength(size);
        }
        catch (IntegrityViolationException e)
        {
            return Violation(e);
        }
    }

    /// <summary>Extends a file to at least <c>offset + len</c> (<c>posix_fallocate</c>); storage is never preallocated.</summary>
    internal Errno FdAllocate(int fd, long offset, long length)
    {
        var d = Fd(fd);
        switch (d?.Kind)
        {
            case null:
                return Errno.BadF;
            case DescriptorKind.Stdout or DescriptorKind.Stderr:
                return Errno.SPipe;
            case DescriptorKind.File when d.CanWrite:
                break;
            default:
                return Errno.BadF;
        }

        if (offset < 0 || length <= 0)
        {
            return Errno.Inval;
        }

        if (offset > long.MaxValue - length)
        {
            return Errno.FBig;
        }

        try
        {
            return d.Handle!.Length < offset + length ? d.Handle.SetLength(offset + length) : Errno.Success;
        }
        catch (IntegrityViolationException e)
        {
            return Violation(e);
        }
    }

    /// <summary>Advice is accepted and ignored (everything is in memory already).</summary>
    internal Errno FdAdvise(int fd, int advice)
    {
        var d = Fd(fd);
        return d?.Kind switch
        {
            null => Errno.BadF,
            _ when (uint)advice > WasiAbi.AdviceMax => Errno.Inval,
            DescriptorKind.Stdout or DescriptorKind.Stderr => Errno.SPipe,
            DescriptorKind.Directory => Errno.BadF,
            _ => Errno.Success,
        };
    }

    /// <summary><c>fd_sync</c>/<c>fd_datasync</c>: everything is already where it will stay; streams cannot be synced.</summary>
    internal Errno FdSync(int fd) => Fd(fd)?.Kind switch
    {
        null => Errno.BadF,
        DescriptorKind.File or DescriptorKind.Directory => Errno.Success,
        _ => Errno.Inval,
    };

    private Errno Read(Caller caller, int fd, int iovs, int iovsLength, long? offset, int resultPtr)
    {
        var d = Fd(fd);
        switch (d?.Kind)
        {
            case null:
                return Errno.BadF;
            case DescriptorKind.Directory:
                return Errno.IsDir;
            case DescriptorKind.Stdout or DescriptorKind.Stderr when offset is not null:
                return Errno.SPipe;
        }

        if (!d.CanRead)
        {
            return Errno.BadF;
        }

        var m = Guest(caller);
        var e = CheckIovecs(m, (uint)iovs, (uint)iovsLength, resultPtr, out var iovecs);
        if (e != Errno.Success)
        {
            return e;
        }

        var position = offset ?? d.Position;
        var total = 0u;
        try
        {
            for (var i = 0; i < iovecs.Length; i += WasiAbi.IovecSize)
            {
                if (!m.TrySpan(BinaryPrimitives.ReadUInt32LittleEndian(iovecs[i..]), BinaryPrimitives.ReadUInt32LittleEndian(iovecs[(i + 4)..]), out var buffer))
                {
                    break; // the data just read overwrote the iovec array itself
                }

                int n;
                if (d.Kind == DescriptorKind.Stdin)
                {
                    var payload = _stdin.Span;
                    n = position >= payload.Length ? 0 : (int)Math.Min(buffer.Length, payload.Length - position);
                    if (n > 0)
                    {
                        payload.Slice((int)position, n).CopyTo(buffer);
                    }
                }
                else
                {
                    e = d.Handle!.Read(position, buffer, out n);
                    if (e != Errno.Success)
                    {
                        if (total == 0)
                        {
                            return e;
                        }

                        break;
                    }
                }

                position += n;
                total += (uint)n;
                if (n < buffer.Length)
                {
                    break;
                }
            }
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }

        if (offset is null)
        {
            d.Position = position;
        }

        m.TryWriteUInt32((uint)resultPtr, total);
        return Errno.Success;
    }

    private Errno Write(Caller caller, int fd, int iovs, int iovsLength, long? offset, int resultPtr)
    {
        var d = Fd(fd);
        switch (d?.Kind)
        {
            case null:
                return Errno.BadF;
            case DescriptorKind.Stdout or DescriptorKind.Stderr when offset is not null:
                return Errno.SPipe;
        }

        if (!d.CanWrite)
        {
            return Errno.BadF;
        }

        var m = Guest(caller);
        var e = CheckIovecs(m, (uint)iovs, (uint)iovsLength, resultPtr, out var iovecs);
        if (e != Errno.Success)
        {
            return e;
        }

        var total = 0u;
        if (d.Kind != DescriptorKind.File)
        {
            var output = d.Kind == DescriptorKind.Stdout ? _stdout : _stderr;
            var refused = false;
            for (var i = 0; i < iovecs.Length; i += WasiAbi.IovecSize)
            {
                m.TrySpan(BinaryPrimitives.ReadUInt32LittleEndian(iovecs[i..]), BinaryPrimitives.ReadUInt32LittleEndian(iovecs[(i + 4)..]), out var data);
                var n = output.Append(data);
                total += (uint)n;
                if (n < data.Length)
                {
                    refused = true;
                    break;
                }
            }

            if (refused && total == 0)
            {
                return Errno.FBig;
            }

            m.TryWriteUInt32((uint)resultPtr, total);
            return Errno.Success;
        }

        try
        {
            var handle = d.Handle!;
            var position = offset ?? (d.IsAppend ? handle.Length : d.Position);
            for (var i = 0; i < iovecs.Length; i += WasiAbi.IovecSize)
            {
                m.TrySpan(BinaryPrimitives.ReadUInt32LittleEndian(iovecs[i..]), BinaryPrimitives.ReadUInt32LittleEndian(iovecs[(i + 4)..]), out var data);
                if (data.IsEmpty)
                {
                    continue;
                }

                e = position > long.MaxValue - data.Length ? Errno.FBig : handle.Write(position, data);
                if (e != Errno.Success)
                {
                    if (total == 0)
                    {
                        return e;
                    }

                    break;
                }

                position += data.Length;
                total += (uint)data.Length;
            }

            if (offset is null)
            {
                d.Position = position;
            }
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }

        m.TryWriteUInt32((uint)resultPtr, total);
        return Errno.Success;
    }

    /// <summary>Checks the result pointer, the iovec array and every buffer it names; the total must fit a 31-bit count.</summary>
    private static Errno CheckIovecs(scoped in GuestMemory m, uint iovs, uint count, int resultPtr, out Span<byte> iovecs)
    {
        if (!m.Contains((uint)resultPtr, 4) || !m.TrySpan(iovs, (ulong)count * WasiAbi.IovecSize, out iovecs))
        {
            iovecs = default;
            return Errno.Fault;
        }

        var total = 0UL;
        for (var i = 0; i < iovecs.Length; i += WasiAbi.IovecSize)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(iovecs[(i + 4)..]);
            if (!m.Contains(BinaryPrimitives.ReadUInt32LittleEndian(iovecs[i..]), length))
            {
                return Errno.Fault;
            }

            total += length;
        }

        return total > int.MaxValue ? Errno.Inval : Errno.Success;
    }

    private static byte FileType(DescriptorKind kind) => kind switch
    {
        DescriptorKind.Stdin or DescriptorKind.File => WasiAbi.FileTypeRegularFile,
        DescriptorKind.Directory => WasiAbi.FileTypeDirectory,
        _ => WasiAbi.FileTypeUnknown,
    };

    private static byte FileTypeOf(NodeKind kind) => kind switch
    {
        NodeKind.Directory => WasiAbi.FileTypeDirectory,
        NodeKind.Symlink => WasiAbi.FileTypeSymbolicLink,
        _ => WasiAbi.FileTypeRegularFile,
    };

    private static void WriteFilestat(Span<byte> stat, ulong device, NodeInfo info) =>
        WriteFilestat(stat, device, info.Inode, FileTypeOf(info.Kind), info.Kind == NodeKind.Directory ? 0 : (ulong)info.Size,
            info.AccessedNanoseconds, info.ModifiedNanoseconds, info.LinkCount);

    /// <summary>Writes a <c>filestat</c>; the status-change time is reported as the modification time (no file system keeps it apart).</summary>
    private static void WriteFilestat(Span<byte> stat, ulong device, ulong inode, byte fileType, ulong size, ulong accessed = 0, ulong modified = 0, ulong links = 1)
    {
        stat.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(stat, device);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[8..], inode);
        stat[16] = fileType;
        BinaryPrimitives.WriteUInt64LittleEndian(stat[24..], links);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[32..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[40..], accessed);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[48..], modified);
        BinaryPrimitives.WriteUInt64LittleEndian(stat[56..], modified);
    }
}
