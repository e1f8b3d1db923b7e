namespace Carapace.Enclave.Wasi;

/// <summary>One entry of a directory listing as <c>fd_readdir</c> serialises it.</summary>
/// <param name="Name">The name, UTF-8.</param>
/// <param name="Inode">The inode number.</param>
/// <param name="FileType">The WASI filetype.</param>
internal readonly record struct ListingEntry(byte[] Name, ulong Inode, byte FileType);
