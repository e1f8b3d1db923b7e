using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Tests.Support;

/// <summary>Edits the KMS database behind the KMS's back, as an attacker with the host's disk would.</summary>
internal static class RawSql
{
    public static int Execute(string database, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    }

    public static List<string> Dump(string database, string table)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table}";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join("|", values.Select(v => v is byte[] b ? Convert.ToHexString(b) : v?.ToString())));
        }

        return rows;
    }
}
