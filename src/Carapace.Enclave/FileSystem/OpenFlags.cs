namespace Carapace.Enclave.FileSystem;

/// <summary>How <see cref="IFileSystem.Open"/> opens a file (the WASI <c>oflags</c> plus the access wanted).</summary>
[Flags]
public enum OpenFlags
{
    /// <summary>Open an existing file for reading.</summary>
    None = 0,

    /// <summary>Create the file if it does not exist.</summary>
    Create = 1,

    /// <summary>With <see cref="Create"/>: fail with <c>Exist</c> if it exists.</summary>
    Exclusive = 2,

    /// <summary>Truncate to length 0.</summary>
    Truncate = 4,

    /// <summary>The caller will write.</summary>
    Write = 8,
}
