using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Storage;

/// <summary>
/// Recognises a full disk under the controller's state: SQLite's <c>SQLITE_FULL</c> ("database or disk is full"),
/// <c>SQLITE_IOERR_SHMSIZE</c> (the WAL index could not grow), or
/// a file write failing with <c>ENOSPC</c> / <c>EDQUOT</c>. SQLite rolls the failed statement's transaction back, so
/// the store is unchanged and intact; callers answer such a failure as "storage full" (the gateway's 507), never as an
/// internal error.
/// </summary>
public static class StorageFull
{
    /// <summary>The one sentence the platform says when its disk is full.</summary>
    public const string Message =
        "The platform's disk is full, so it cannot record this request; nothing was changed. The operator must free space on the platform's data disk; then retry.";

    private const int SqliteFull = 13;

    // SQLITE_IOERR_SHMSIZE: growing the WAL's shared-memory file failed. SQLite writes to each new page of that file
    // before mapping it, and on a full disk that write fails with ENOSPC, which SQLite reports as this I/O error.
    private const int SqliteIoErrShmSize = 10 | (19 << 8);
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions is a full disk.</summary>
    public static bool IsCause(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: SqliteFull } or SqliteException { SqliteExtendedErrorCode: SqliteIoErrShmSize } || e is IOException { HResult: NoSpace or QuotaExceeded })
            {
                return true;
            }
        }

        return false;
    }
}
