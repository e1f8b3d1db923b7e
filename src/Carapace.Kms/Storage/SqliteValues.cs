using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Storage;

/// <summary>Reads columns without trusting their stored type: the file lives on the host's disk and may be edited.</summary>
internal static class SqliteValues
{
    /// <summary>The column as bytes, or null when it holds anything but a blob.</summary>
    public static byte[]? Blob(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) as byte[];

    /// <summary>The column as text, or null when it holds anything but text.</summary>
    public static string? Text(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) as string;

    /// <summary>The column as an integer, or null when it holds anything but an integer.</summary>
    public static long? Integer(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) is long value ? value : null;
}
