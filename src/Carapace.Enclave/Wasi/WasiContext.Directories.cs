using System.Buffers.Binary;
using System.Text;
using Carapace.Enclave.FileSystem;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// Preopen discovery and directory listing.
public sealed partial class WasiContext
{
    internal Errno FdPrestatGet(Caller caller, int fd, int resultPtr)
    {
        var name = Fd(fd)?.PreopenName;
        if (name is null)
        {
            return Errno.BadF;
        }

        if (!Guest(caller).TrySpan((uint)resultPtr, WasiAbi.PrestatSize, out var prestat))
        {
            return Errno.Fault;
        }

        prestat.Clear();
        prestat[0] = WasiAbi.PreopenTypeDirectory;
        BinaryPrimitives.WriteUInt32LittleEndian(prestat[4..], (uint)name.Length);
        return Errno.Success;
    }

    internal Errno FdPrestatDirName(Caller caller, int fd, int pathPtr, int pathLength)
    {
        var name = Fd(fd)?.PreopenName;
        if (name is null)
        {
            return Errno.BadF;
        }

        if ((uint)pathLength < (uint)name.Length)
        {
            return Errno.NameTooLong;
        }

        if (!Guest(caller).TrySpan((uint)pathPtr, (uint)name.Length, out var path))
        {
            return Errno.Fault;
        }

        name.CopyTo(path);
        return Errno.Success;
    }

    /// <summary>
    /// Serialises the listing from entry number <paramref name="cookie"/> on (".", "..", then the file system's
    /// entries; an entry's <c>d_next</c> is its number + 1) into the buffer, the last entry cut off where the buffer
    /// ends: <c>bufused == buf_len</c> tells the caller to come back (wasi-libc then re-reads from the cut entry's cookie
    /// with a larger buffer if needed). The listing is taken when cookie 0 is asked for and served from until then, so
    /// cookies stay valid while the guest modifies the directory.
    /// </summary>
    internal Errno FdReaddir(Caller caller, int fd, int bufferPtr, int bufferLength, long cookie, int resultPtr)
    {
        var d = Fd(fd);
        if (d is null)
        {
            return Errno.BadF;
        }

        if (d.Kind != DescriptorKind.Directory)
        {
            return Errno.NotDir;
        }

        var m = Guest(caller);
        if (!m.TrySpan((uint)bufferPtr, (uint)bufferLength, out var buffer) || !m.Contains((uint)resultPtr, 4))
        {
            return Errno.Fault;
        }

        if (cookie == 0 || d.Listing is null)
        {
            try
            {
                var e = TakeListing(d, out var listing);
                if (e != Errno.Success)
                {
                    return e;
                }

                d.ReplaceListing(listing);
            }
            catch (IntegrityViolationException ex)
            {
                return Violation(ex);
            }
        }

        var entries = d.Listing!;
        var used = 0;
        Span<byte> header = stackalloc byte[WasiAbi.DirentSize];
        for (var i = (ulong)cookie; i < (ulong)entries.Length && used < buffer.Length; i++)
        {
            var entry = entries[i];
            header.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(header, i + 1);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], entry.Inode);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)entry.Name.Length);
            header[20] = entry.FileType;
            used += CopyPart(header, buffer[used..]);
            used += CopyPart(entry.Name, buffer[used..]);
        }

        m.TryWriteUInt32((uint)resultPtr, (uint)used);
        return Errno.Success;
    }

    private static int CopyPart(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var n = Math.Min(source.Length, destination.Length);
        source[..n].CopyTo(destination);
        return n;
    }

    private static Errno TakeListing(FileDescriptor d, out ListingEntry[] listing)
    {
        listing = [];
        var fs = d.FileSystem!;
        var e = fs.Stat(d.Path, out var self);
        if (e != Errno.Success)
        {
            return e;
        }

        var parentInode = self.Inode;
        if (d.Path.Length != 0)
        {
            var slash = d.Path.LastIndexOf('/');
            e = fs.Stat(slash < 0 ? "" : d.Path[..slash], out var parent);
            if (e == Errno.Success)
            {
                parentInode = parent.Inode;
            }
        }

        e = fs.List(d.Path, out var children);
        if (e != Errno.Success)
        {
            return e;
        }

        listing = new ListingEntry[children.Count + 2];
        listing[0] = new ListingEntry("."u8.ToArray(), self.Inode, WasiAbi.FileTypeDirectory);
        listing[1] = new ListingEntry(".."u8.ToArray(), parentInode, WasiAbi.FileTypeDirectory);
        for (var i = 0; i < children.Count; i++)
        {
            var child = children[i];
            listing[i + 2] = new ListingEntry(Encoding.UTF8.GetBytes(child.Name), child.Inode,
                FileTypeOf(child.Kind));
        }

        return Errno.Success;
    }
}
