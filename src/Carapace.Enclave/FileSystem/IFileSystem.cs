using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem;

/// <summary>
/// One file tree the guest sees under a preopened directory (<c>/data</c>: the shielded read-only image;
/// <c>/tmp</c>: in-enclave scratch space). Paths are relative to the tree's root, '/'-separated, already normalised
/// by the WASI layer: no leading '/', no empty, "." or ".." segments; "" is the root itself. Every segment but the
/// last names a directory (the WASI layer follows symlinks itself; a file system never does), and the last is taken
/// as it is: <see cref="Stat"/> of a symlink describes the link. Methods return an
/// errno instead of throwing for everything a guest can cause. No implementation ever touches the host's file
/// system on the guest's behalf except to read the encrypted, integrity-checked image.
/// </summary>
public interface IFileSystem
{
    /// <summary>Whether every modifying call fails with <see cref="Errno.RoFs"/>.</summary>
    bool IsReadOnly { get; }

    /// <summary>Describes the node at <paramref name="path"/>.</summary>
    Errno Stat(string path, out NodeInfo info);

    /// <summary>Lists a directory, in a stable order.</summary>
    Errno List(string path, out IReadOnlyList<DirectoryEntry> entries);

    /// <summary>Opens (or creates) a regular file; <see cref="Errno.IsDir"/> for a directory.</summary>
    Errno Open(string path, OpenFlags flags, out IFileHandle? handle);

    /// <summary>Creates a directory; its parent must exist.</summary>
    Errno CreateDirectory(string path);

    /// <summary>Removes a file (<see cref="Errno.IsDir"/> for a directory).</summary>
    Errno Unlink(string path);

    /// <summary>Removes an empty directory.</summary>
    Errno RemoveDirectory(string path);

    /// <summary>Renames a node within this file system, replacing a file at the destination.</summary>
    Errno Rename(string from, string to);

    /// <summary>Makes <paramref name="to"/> a second name of the file at <paramref name="from"/> (a hard link); <see cref="Errno.Perm"/> for a directory, <see cref="Errno.Exist"/> if <paramref name="to"/> exists.</summary>
    Errno Link(string from, string to);

    /// <summary>Creates a symlink at <paramref name="path"/> holding <paramref name="target"/> (stored as given, never interpreted here); <see cref="Errno.Exist"/> if the path exists.</summary>
    Errno Symlink(string target, string path);

    /// <summary>The target of the symlink at <paramref name="path"/>; <see cref="Errno.Inval"/> if it is not a symlink.</summary>
    Errno ReadLink(string path, out string target);

    /// <summary>Sets the access and/or modification time of the node at <paramref name="path"/> (null leaves one as it is).</summary>
    Errno SetTimes(string path, ulong? accessedNanoseconds, ulong? modifiedNanoseconds);
}
