using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Overlay;

// Copy-up: bringing image nodes into the upper tree before they change.
public sealed partial class OverlayFileSystem
{
    /// <summary>Creates the lower directory <paramref name="path"/> and its missing ancestors in the upper tree (empty: their lower entries stay visible through the merge).</summary>
    private Errno CopyUpDirectory(string path)
    {
        if (path.Length == 0 || _upper.Stat(path, out _) == Errno.Success)
        {
            return Errno.Success;
        }

        var e = CopyUpDirectory(ParentOf(path));
        if (e != Errno.Success)
        {
            return e;
        }

        var parent = _upper.Stat(ParentOf(path), out var parentTimes);
        e = _upper.CreateDirectory(path);
        if (e == Errno.Success && _lower.Stat(path, out var lower) == Errno.Success)
        {
            _upper.SetTimes(path, lower.AccessedNanoseconds, lower.ModifiedNanoseconds);
        }

        if (parent == Errno.Success)
        {
            // A copy-up changes nothing the guest did: the parent keeps its times.
            _upper.SetTimes(ParentOf(path), parentTimes.AccessedNanoseconds, parentTimes.ModifiedNanoseconds);
        }

        return e;
    }

    /// <summary>Copies the visible lower file at <paramref name="path"/> into the upper tree (its bytes unless <paramref name="withContent"/> is false) and hides the lower one.</summary>
    private Errno CopyUpFile(string path, bool withContent)
    {
        var e = PrepareParent(path);
        if (e != Errno.Success)
        {
            return e;
        }

        e = _lower.Stat(path, out var info);
        if (e != Errno.Success)
        {
            return e;
        }

        var parent = _upper.Stat(ParentOf(path), out var parentTimes);
        e = _upper.Open(path, OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.Write, out var target);
        if (parent == Errno.Success)
        {
            _upper.SetTimes(ParentOf(path), parentTimes.AccessedNanoseconds, parentTimes.ModifiedNanoseconds);
        }

        if (e != Errno.Success)
        {
            return e;
        }

        using (target)
        {
            if (withContent)
            {
                e = CopyContent(path, target!);
                if (e != Errno.Success)
                {
                    target!.Dispose();
                    _upper.Unlink(path);
                    return e;
                }
            }
        }

        _upper.SetTimes(path, info.AccessedNanoseconds, info.ModifiedNanoseconds);
        _whiteouts.Add(path);
        return Errno.Success;
    }

    private Errno CopyContent(string path, IFileHandle target)
    {
        var e = _lower.Open(path, OpenFlags.None, out var source);
        if (e != Errno.Success)
        {
            return e;
        }

        var buffer = GC.AllocateArray<byte>(CopyChunk, pinned: true);
        try
        {
            using (source)
            {
                for (long offset = 0; ; offset += CopyChunk)
                {
                    e = source!.Read(offset, buffer, out var read);
                    if (e != Errno.Success || read == 0)
                    {
                        return e;
                    }

                    e = target.Write(offset, buffer.AsSpan(0, read));
                    if (e != Errno.Success)
                    {
                        return e;
                    }
                }
            }
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
