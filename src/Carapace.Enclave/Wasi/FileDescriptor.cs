using System.Security.Cryptography;
using Carapace.Enclave.FileSystem;

namespace Carapace.Enclave.Wasi;

/// <summary>One entry of a <see cref="WasiContext"/>'s descriptor table.</summary>
internal sealed class FileDescriptor
{
    public required DescriptorKind Kind { get; init; }

    /// <summary>The file system of a file or directory.</summary>
    public IFileSystem? FileSystem { get; init; }

    /// <summary>The <c>dev</c> number reported for the file system (1 + its index among the distinct preopened file systems; 0 for stdio).</summary>
    public ulong Device { get; init; }

    /// <summary>Normalised path of the file or directory within <see cref="FileSystem"/> ("" is its root), as of when it was opened.</summary>
    public string Path { get; init; } = "";

    /// <summary>For a preopened directory: the guest path it is known by (UTF-8), e.g. <c>/tmp</c>.</summary>
    public byte[]? PreopenName { get; init; }

    /// <summary>The open file (files only).</summary>
    public IFileHandle? Handle { get; set; }

    /// <summary>The file's inode number, recorded when it was opened (files only).</summary>
    public ulong Inode { get; init; }

    /// <summary>The current offset (files and stdin).</summary>
    public long Position { get; set; }

    /// <summary>The WASI <c>fdflags</c> (APPEND, NONBLOCK and the sync flags as opened).</summary>
    public ushort Flags { get; set; }

    public ulong RightsBase { get; set; }

    public ulong RightsInheriting { get; set; }

    /// <summary>The listing <c>fd_readdir</c> serves cookies from; rebuilt when it is asked for cookie 0.</summary>
    public ListingEntry[]? Listing { get; private set; }

    public bool CanRead => (RightsBase & WasiRights.FdRead) != 0;

    public bool CanWrite => (RightsBase & WasiRights.FdWrite) != 0;

    public bool IsAppend => (Flags & WasiAbi.FdFlagAppend) != 0;

    /// <summary>Replaces the listing, zeroing the names of the previous one (names in a shielded image are confidential).</summary>
    public void ReplaceListing(ListingEntry[]? listing)
    {
        foreach (var entry in Listing ?? [])
        {
            CryptographicOperations.ZeroMemory(entry.Name);
        }

        Listing = listing;
    }
}
