namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>Rights bits as the WASI spec numbers them (written out again here rather than taken from the implementation).</summary>
internal static class WasiRightsForTests
{
    public const ulong FdDatasync = 1UL << 0;
    public const ulong FdRead = 1UL << 1;
    public const ulong FdSeek = 1UL << 2;
    public const ulong FdFdstatSetFlags = 1UL << 3;
    public const ulong FdTell = 1UL << 5;
    public const ulong FdWrite = 1UL << 6;
    public const ulong PathCreateFile = 1UL << 10;
    public const ulong PathOpen = 1UL << 13;
    public const ulong FdReaddir = 1UL << 14;
    public const ulong PathSymlink = 1UL << 24;
    public const ulong FdFilestatSetTimes = 1UL << 23;
}
