using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Storage;

/// <summary>
/// Recognises a full disk under the KMS's state: SQLite's <c>SQLITE_FULL</c> ("database or disk is full"), its
/// <c>SQLITE_IOERR_SHMSIZE</c> (the WAL index of a connection could not grow — what a <i>read</i> meets when the disk
/// filled while the write-ahead log grew), or a file write failing with <c>ENOSPC</c> / <c>EDQUOT</c>. SQLite rolls the
/// failed statement's transaction back, so such a failure changed nothing; the KMS answers it as <c>507 StorageFull</c>
/// instead of an internal error.
/// </summary>
internal static class StorageFull
{
    private const int SqliteFull = 13;
    private const int SqliteIoErrShmSize = 10 | (19 << 8);
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions is a full disk.</summary>
    public static bool IsCause(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: SqliteFull } or SqliteException { SqliteExtendedErrorCode: SqliteIoErrShmSize }
                || e is IOException { HResult: NoSpace or QuotaExceeded })
            {
                return true;
            }
        }

        return false;
    }
}
