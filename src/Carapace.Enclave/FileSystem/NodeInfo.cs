namespace Carapace.Enclave.FileSystem;

/// <summary>What <see cref="IFileSystem.Stat"/> reports about a node.</summary>
/// <param name="Kind">File or directory.</param>
/// <param name="Size">Length in bytes (0 for directories).</param>
/// <param name="Inode">A number unique to the node within its file system.</param>
/// <param name="ModifiedNanoseconds">Modification time, nanoseconds since the Unix epoch (0 where the file system keeps none, e.g. a shielded image, whose times would leak nothing useful and are not kept).</param>
public readonly record struct NodeInfo(NodeKind Kind, long Size, ulong Inode, ulong ModifiedNanoseconds);
