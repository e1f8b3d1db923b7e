namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>A node of a <see cref="MemoryFileSystem"/> tree: a file or a directory.</summary>
internal abstract class MemoryNode(ulong inode, ulong modified)
{
    public ulong Inode { get; } = inode;

    public ulong ModifiedNanoseconds { get; set; } = modified;

    /// <summary>The directory that holds this node (null for the root and for detached nodes).</summary>
    public MemoryDirectoryNode? Parent { get; set; }

    public abstract NodeKind Kind { get; }
}
