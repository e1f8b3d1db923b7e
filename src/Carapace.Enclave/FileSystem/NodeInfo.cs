namespace Carapace.Enclave.FileSystem;

/// <summary>What <see cref="IFileSystem.Stat"/> reports about a node (the node itself: a symlink is not followed).</summary>
/// <param name="Kind">File, directory or symlink.</param>
/// <param name="Size">Length in bytes (0 for directories; the target's length for a symlink).</param>
/// <param name="Inode">A number unique to the node within its file system.</param>
/// <param name="ModifiedNanoseconds">Modification time, nanoseconds since the Unix epoch (0 where the file system keeps none, e.g. a shielded image, whose times would leak nothing useful and are not kept).</param>
public readonly record struct NodeInfo(NodeKind Kind, long Size, ulong Inode, ulong ModifiedNanoseconds)
{
    /// <summary>Access time, nanoseconds since the Unix epoch (kept only as the guest sets it: reads do not update it).</summary>
    public ulong AccessedNanoseconds { get; init; }

    /// <summary>How many directory entries name the node (hard links; 1 for directories and symlinks).</summary>
    public ulong LinkCount { get; init; } = 1;
}
