namespace Carapace.Enclave.Wasi;

/// <summary>What a WASI file descriptor refers to.</summary>
internal enum DescriptorKind
{
    /// <summary>fd 0: the request payload, a read-only seekable in-memory file.</summary>
    Stdin,

    /// <summary>fd 1: the response, collected in memory.</summary>
    Stdout,

    /// <summary>fd 2: the log, collected in memory.</summary>
    Stderr,

    /// <summary>An open regular file of a preopened file system.</summary>
    File,

    /// <summary>A directory of a preopened file system (a preopen itself or one opened below it).</summary>
    Directory,
}
