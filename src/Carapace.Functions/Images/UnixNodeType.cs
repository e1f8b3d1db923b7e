namespace Carapace.Functions.Images;

/// <summary>The type of a directory entry on the packing machine (the <c>S_IFMT</c> bits of its mode, not following links).</summary>
internal enum UnixNodeType
{
    /// <summary>Something else (unknown type bits).</summary>
    Unknown,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link.</summary>
    SymbolicLink,

    /// <summary>A named pipe.</summary>
    Fifo,

    /// <summary>A character device.</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,

    /// <summary>A Unix domain socket.</summary>
    Socket,
}
