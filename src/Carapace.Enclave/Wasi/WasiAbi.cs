namespace Carapace.Enclave.Wasi;

/// <summary>WASI preview 1 constants and struct layouts (from <c>wasi_snapshot_preview1.witx</c>).</summary>
internal static class WasiAbi
{
    public const string Module = "wasi_snapshot_preview1";

    // filetype
    public const byte FileTypeUnknown = 0;
    public const byte FileTypeCharacterDevice = 2;
    public const byte FileTypeDirectory = 3;
    public const byte FileTypeRegularFile = 4;
    public const byte FileTypeSymbolicLink = 7;

    // lookupflags
    public const int LookupSymlinkFollow = 1 << 0;

    /// <summary>Most symlinks one path resolution follows (as Linux's 40, rounded to WASI runtimes' 32).</summary>
    public const int MaxSymlinkHops = 32;

    // fdflags
    public const ushort FdFlagAppend = 1 << 0;
    public const ushort FdFlagDsync = 1 << 1;
    public const ushort FdFlagNonblock = 1 << 2;
    public const ushort FdFlagRsync = 1 << 3;
    public const ushort FdFlagSync = 1 << 4;
    public const ushort FdFlagsAll = FdFlagAppend | FdFlagDsync | FdFlagNonblock | FdFlagRsync | FdFlagSync;
    public const ushort FdFlagsSyncing = FdFlagDsync | FdFlagRsync | FdFlagSync;

    // oflags
    public const ushort OFlagCreate = 1 << 0;
    public const ushort OFlagDirectory = 1 << 1;
    public const ushort OFlagExclusive = 1 << 2;
    public const ushort OFlagTruncate = 1 << 3;
    public const ushort OFlagsAll = OFlagCreate | OFlagDirectory | OFlagExclusive | OFlagTruncate;

    // clockid
    public const uint ClockRealtime = 0;
    public const uint ClockMonotonic = 1;
    public const uint ClockProcessCpuTime = 2;
    public const uint ClockThreadCpuTime = 3;

    // whence
    public const int WhenceSet = 0;
    public const int WhenceCur = 1;
    public const int WhenceEnd = 2;

    // advice (0..5 are valid)
    public const int AdviceMax = 5;

    // fstflags
    public const int FstFlagAtim = 1 << 0;
    public const int FstFlagAtimNow = 1 << 1;
    public const int FstFlagMtim = 1 << 2;
    public const int FstFlagMtimNow = 1 << 3;

    // eventtype
    public const byte EventTypeClock = 0;
    public const byte EventTypeFdRead = 1;
    public const byte EventTypeFdWrite = 2;

    // subclockflags
    public const ushort SubscriptionClockAbsoluteTime = 1 << 0;

    // preopentype
    public const byte PreopenTypeDirectory = 0;

    // Sizes of the structs the host reads or writes.
    public const int IovecSize = 8;
    public const int FdstatSize = 24;
    public const int FilestatSize = 64;
    public const int DirentSize = 24;
    public const int PrestatSize = 8;
    public const int SubscriptionSize = 48;
    public const int EventSize = 32;

    /// <summary>Longest path (bytes) and path segment (bytes) accepted, as on Linux.</summary>
    public const int MaxPathBytes = 4096;
    public const int MaxNameBytes = 255;
}
