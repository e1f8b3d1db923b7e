namespace Carapace.Enclave.FileSystem;

/// <summary>What a path names.</summary>
public enum NodeKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,
}
