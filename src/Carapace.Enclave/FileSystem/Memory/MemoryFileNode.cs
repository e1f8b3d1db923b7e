namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>
/// A regular file of a <see cref="MemoryFileSystem"/>. Its bytes live in one array on the pinned object heap (so the
/// garbage collector never leaves a moved copy behind). Invariant: every byte from <see cref="Length"/> to the end of
/// <see cref="Data"/> is zero, so growing a file zero-fills without extra work.
/// </summary>
internal sealed class MemoryFileNode(ulong inode, ulong modified) : MemoryNode(inode, modified)
{
    public byte[] Data { get; set; } = [];

    public long Length { get; set; }

    /// <summary>Open handles; an unlinked file keeps its bytes until the last one closes (POSIX semantics).</summary>
    public int OpenHandles { get; set; }

    /// <summary>How many directory entries name this file (hard links).</summary>
    public int Links { get; set; }

    /// <summary>Whether a directory entry names this file.</summary>
    public bool Linked => Links > 0;

    public override NodeKind Kind => NodeKind.File;
}
