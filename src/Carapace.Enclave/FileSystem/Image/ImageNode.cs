namespace Carapace.Enclave.FileSystem.Image;

/// <summary>One node of a mounted image's tree (decoded metadata). Node 0 is the root; inode = index + 1.</summary>
internal struct ImageNode
{
    /// <summary>Where the node's UTF-8 name starts in the metadata plaintext.</summary>
    public int NameOffset;

    /// <summary>Length of the name in bytes (0 for the root).</summary>
    public int NameLength;

    /// <summary>Index of the parent directory (0 for the root).</summary>
    public int Parent;

    /// <summary>File or directory.</summary>
    public NodeKind Kind;

    /// <summary>Directories: index of the first child (children are contiguous and sorted by name).</summary>
    public int FirstChild;

    /// <summary>Directories: number of children.</summary>
    public int ChildCount;

    /// <summary>Files: length in bytes.</summary>
    public long Size;

    /// <summary>Files: the file id (1..file count), part of every block's nonce and associated data.</summary>
    public uint FileId;

    /// <summary>Files: physical position of the file's block 0.</summary>
    public long FirstSlot;
}
