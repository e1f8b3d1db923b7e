namespace Carapace.Enclave.FileSystem;

/// <summary>One entry of a directory listing.</summary>
/// <param name="Name">The entry's name (no '/').</param>
/// <param name="Kind">File or directory.</param>
/// <param name="Inode">The node's inode number.</param>
public readonly record struct DirectoryEntry(string Name, NodeKind Kind, ulong Inode);
