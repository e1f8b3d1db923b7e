namespace Carapace.Controller.Postgres;

/// <summary>
/// The cluster's database cannot be used by this node: it was migrated by a newer Carapace than this one, or a
/// migration could not be applied. Nothing was changed by the failed attempt.
/// </summary>
public sealed class SchemaVersionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchemaVersionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SchemaVersionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SchemaVersionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
