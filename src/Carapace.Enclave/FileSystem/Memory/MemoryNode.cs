namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>A node of a <see cref="MemoryFileSystem"/> tree: a file, a directory or a symlink.</summary>
internal abstract class MemoryNode(ulong inode, ulong modified)
{
    public ulong Inode { get; } = inode;

    public ulong ModifiedNanoseconds { get; set; } = modified;

    public ulong AccessedNanoseconds { get; set; } = modified;

    /// <summary>The directory that holds this node (null for the root and for detached nodes; for a file with several links, one of them).</summary>
    public MemoryDirectoryNode? Parent { get; set; }

    public abstract NodeKind Kind { get; }
}
