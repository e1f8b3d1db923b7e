namespace Carapace.Controller.Storage;

/// <summary>
/// The controller's database cannot be reached (a PostgreSQL server that is down, restarting or unreachable), so the
/// request was not recorded and nothing was changed. The gateway answers it with 503; retrying later is safe.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    /// <summary>The one sentence the platform says when its database cannot be reached.</summary>
    public const string DefaultMessage =
        "The platform's database cannot be reached, so this request was not recorded and nothing was changed; retry later.";

    /// <summary>Creates the exception with <see cref="DefaultMessage"/>.</summary>
    public StoreUnavailableException()
        : base(DefaultMessage)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the database driver's error as its cause.</summary>
    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// True when <paramref name="exception"/> or one of its inner exceptions says the database could not be reached or
    /// dropped the connection: this exception, or a driver error the driver itself calls transient.
    /// </summary>
    public static bool IsCause(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StoreUnavailableException or System.Data.Common.DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }
}
