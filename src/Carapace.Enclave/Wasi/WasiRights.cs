namespace Carapace.Enclave.Wasi;

/// <summary>WASI preview 1 <c>rights</c> bits and the sets Carapace grants.</summary>
internal static class WasiRights
{
    public const ulong FdDatasync = 1UL << 0;
    public const ulong FdRead = 1UL << 1;
    public const ulong FdSeek = 1UL << 2;
    public const ulong FdFdstatSetFlags = 1UL << 3;
    public const ulong FdSync = 1UL << 4;
    public const ulong FdTell = 1UL << 5;
    public const ulong FdWrite = 1UL << 6;
    public const ulong FdAdvise = 1UL << 7;
    public const ulong FdAllocate = 1UL << 8;
    public const ulong PathCreateDirectory = 1UL << 9;
    public const ulong PathCreateFile = 1UL << 10;
    public const ulong PathLinkSource = 1UL << 11;
    public const ulong PathLinkTarget = 1UL << 12;
    public const ulong PathOpen = 1UL << 13;
    public const ulong FdReaddir = 1UL << 14;
    public const ulong PathReadlink = 1UL << 15;
    public const ulong PathRenameSource = 1UL << 16;
    public const ulong PathRenameTarget = 1UL << 17;
    public const ulong PathFilestatGet = 1UL << 18;
    public const ulong PathFilestatSetSize = 1UL << 19;
    public const ulong PathFilestatSetTimes = 1UL << 20;
    public const ulong FdFilestatGet = 1UL << 21;
    public const ulong FdFilestatSetSize = 1UL << 22;
    public const ulong FdFilestatSetTimes = 1UL << 23;
    public const ulong PathSymlink = 1UL << 24;
    public const ulong PathRemoveDirectory = 1UL << 25;
    public const ulong PathUnlinkFile = 1UL << 26;
    public const ulong PollFdReadwrite = 1UL << 27;
    public const ulong SockShutdown = 1UL << 28;
    public const ulong SockAccept = 1UL << 29;

    /// <summary>The rights that mean "opened for writing" (wasi-libc and Rust's std ask for them only then).</summary>
    public const ulong WriteAccess = FdWrite | FdDatasync | FdAllocate | FdFilestatSetSize;

    /// <summary>The rights that mean "opened for reading".</summary>
    public const ulong ReadAccess = FdRead | FdReaddir;

    /// <summary>What every regular-file descriptor may do whatever its access mode.</summary>
    public const ulong FileCommon = FdSeek | FdTell | FdFdstatSetFlags | FdSync | FdAdvise | FdFilestatGet | PollFdReadwrite;

    /// <summary>Directory operations on any file system.</summary>
    public const ulong DirectoryRead = PathOpen | FdReaddir | PathReadlink | PathFilestatGet | FdFilestatGet | FdSync;

    /// <summary>Directory operations that modify the tree (writable file systems only).</summary>
    public const ulong DirectoryWrite = PathCreateDirectory | PathCreateFile | PathRenameSource | PathRenameTarget
        | PathRemoveDirectory | PathUnlinkFile | PathLinkSource | PathLinkTarget | PathSymlink | PathFilestatSetTimes | FdFilestatSetTimes;

    /// <summary>What a regular file on a writable file system may do besides reading and writing its bytes.</summary>
    public const ulong FileWritableTree = FdFilestatSetTimes;

    /// <summary>stdin: a read-only, seekable in-memory file.</summary>
    public const ulong Stdin = FdRead | FdSeek | FdTell | FdFdstatSetFlags | FdAdvise | FdFilestatGet | PollFdReadwrite;

    /// <summary>stdout and stderr: append-only streams (no seek or tell, so they are pipes rather than terminals).</summary>
    public const ulong Output = FdWrite | FdFdstatSetFlags | FdFilestatGet | PollFdReadwrite;

    /// <summary>All rights a regular file can have on a file system.</summary>
    public static ulong File(bool writable) => FileCommon | FdRead | (writable ? WriteAccess | FileWritableTree : 0);

    /// <summary>
    /// The inheriting rights of a directory: its own kind of rights plus every file right, write access included even
    /// on a read-only file system. libc computes the rights it asks <c>path_open</c> for as "wanted ∩ inheriting", so
    /// leaving write access out would turn <c>open(O_WRONLY)</c> into a silent read-only open; with it in, the open
    /// reaches the file system check and fails with <see cref="Errno.RoFs"/>, as on POSIX.
    /// </summary>
    public static ulong Inheriting(bool writable) => Directory(writable) | File(writable: true);

    /// <summary>All rights a directory can have on a file system.</summary>
    public static ulong Directory(bool writable) => DirectoryRead | (writable ? DirectoryWrite : 0);
}
