using System.Security.Cryptography;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Memory;

// File contents: reads and writes through handles, resizing within the quota, zeroing what is dropped.
public sealed partial class MemoryFileSystem
{
    internal long GetLength(MemoryFileHandle handle)
    {
        lock (_gate)
        {
            return IsStale(handle) ? 0 : handle.Node.Length;
        }
    }

    internal Errno ReadFile(MemoryFileHandle handle, long offset, Span<byte> destination, out int read)
    {
        lock (_gate)
        {
            read = 0;
            if (IsStale(handle))
            {
                return Errno.BadF;
            }

            if (offset < 0)
            {
                return Errno.Inval;
            }

            var file = handle.Node;
            if (offset >= file.Length)
            {
                return Errno.Success;
            }

            read = (int)Math.Min(destination.Length, file.Length - offset);
            file.Data.AsSpan((int)offset, read).CopyTo(destination);
            return Errno.Success;
        }
    }

    internal Errno WriteFile(MemoryFileHandle handle, long offset, ReadOnlySpan<byte> source)
    {
        lock (_gate)
        {
            if (IsStale(handle) || !handle.Writable)
            {
                return Errno.BadF;
            }

            if (offset < 0)
            {
                return Errno.Inval;
            }

            if (source.IsEmpty)
            {
                return Errno.Success;
            }

            var file = handle.Node;
            if (offset > Array.MaxLength - source.Length)
            {
                return Errno.FBig;
            }

            var end = offset + source.Length;
            if (end > file.Length)
            {
                var e = Resize(file, end);
                if (e != Errno.Success)
                {
                    return e;
                }
            }

            source.CopyTo(file.Data.AsSpan((int)offset));
            file.ModifiedNanoseconds = Now();
            return Errno.Success;
        }
    }

    internal Errno SetFileLength(MemoryFileHandle handle, long length)
    {
        lock (_gate)
        {
            if (IsStale(handle) || !handle.Writable)
            {
                return Errno.BadF;
            }

            if (length < 0)
            {
                return Errno.Inval;
            }

            var e = Resize(handle.Node, length);
            if (e == Errno.Success)
            {
                handle.Node.ModifiedNanoseconds = Now();
            }

            return e;
        }
    }

    internal void Close(MemoryFileHandle handle)
    {
        lock (_gate)
        {
            if (handle.Generation != _generation)
            {
                return; // wiped since: nothing left to release
            }

            handle.Node.OpenHandles--;
            ReleaseIfUnused(handle.Node);
        }
    }

    /// <summary>Sets a file's length: checks the limits, zero-fills growth (the buffer's tail is zero by invariant) and zeroes a cut-off tail.</summary>
    private Errno Resize(MemoryFileNode file, long length)
    {
        if (length > Array.MaxLength)
        {
            return Errno.FBig;
        }

        var old = file.Length;
        if (length > old)
        {
            var growth = length - old;
            if (!_quota.TryTake(growth))
            {
                return Errno.NoSpc;
            }

            if (length > file.Data.Length)
            {
                // Grow geometrically, but never past what the quota could still let this file reach.
                var reachable = Math.Min(length + _quota.AvailableBytes, Array.MaxLength);
                var capacity = Math.Clamp(Math.Max(file.Data.Length * 2L, 256), length, reachable);
                var grown = GC.AllocateArray<byte>((int)capacity, pinned: true);
                file.Data.AsSpan(0, (int)old).CopyTo(grown);
                Retire(file.Data);
                file.Data = grown;
            }

            _usedBytes += growth;
        }
        else if (length < old)
        {
            if (length == 0)
            {
                Retire(file.Data);
                file.Data = [];
            }
            else
            {
                CryptographicOperations.ZeroMemory(file.Data.AsSpan((int)length, (int)(old - length)));
            }

            _usedBytes -= old - length;
            _quota.Release(old - length);
        }

        file.Length = length;
        return Errno.Success;
    }

    private void Retire(byte[] buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        CryptographicOperations.ZeroMemory(buffer);
        BufferRetired?.Invoke(buffer);
    }

    private void ReleaseIfUnused(MemoryFileNode file)
    {
        if (file.Linked || file.OpenHandles > 0)
        {
            return;
        }

        Retire(file.Data);
        file.Data = [];
        _usedBytes -= file.Length;
        _quota.Release(file.Length);
        file.Length = 0;
        _files.Remove(file);
    }
}
