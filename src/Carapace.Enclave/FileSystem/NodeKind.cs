namespace Carapace.Enclave.FileSystem;

/// <summary>What a path names.</summary>
public enum NodeKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (its target is text, resolved by the WASI layer, never by a file system).</summary>
    Symlink,
}
