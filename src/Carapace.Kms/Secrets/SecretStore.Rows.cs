using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Policy;
using Carapace.Kms.Storage;
using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Secrets;

/// <summary>The rows of the secret store: encrypting, decrypting, inserting and deleting values, and the write counter.</summary>
public sealed partial class SecretStore
{
    private DateTimeOffset Insert(SqliteConnection connection, SqliteTransaction transaction, string ns, string name, long version, ReadOnlySpan<byte> value,
        DateTimeOffset? at = null)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[value.Length];
        var tag = new byte[TagSize];
        using (var aes = new AesGcm(_key, TagSize))
        {
            aes.Encrypt(nonce, value, ciphertext, tag, AssociatedData(ns, name, version));
        }

        var created = at ?? _time.GetUtcNow();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO secrets (namespace, name, version, created_at, nonce, ciphertext, tag)
            VALUES ($ns, $name, $version, $created, $nonce, $ciphertext, $tag)
            """;
        insert.Parameters.AddWithValue("$ns", ns);
        insert.Parameters.AddWithValue("$name", name);
        insert.Parameters.AddWithValue("$version", version);
        insert.Parameters.AddWithValue("$created", created.UtcTicks);
        insert.Parameters.AddWithValue("$nonce", nonce);
        insert.Parameters.AddWithValue("$ciphertext", ciphertext);
        insert.Parameters.AddWithValue("$tag", tag);
        insert.ExecuteNonQuery();
        return created;
    }

    private static int DeleteRows(SqliteConnection connection, SqliteTransaction transaction, string ns, string name)
    {
        using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM secrets WHERE namespace = $ns AND name = $name";
        delete.Parameters.AddWithValue("$ns", ns);
        delete.Parameters.AddWithValue("$name", name);
        return delete.ExecuteNonQuery();
    }

    /// <summary>The version of the secret's last write: the recorded one, or its newest stored version (stores older than <c>secret_writes</c>), or 0.</summary>
    private static long LastWrite(SqliteConnection connection, SqliteTransaction transaction, string ns, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT MAX(COALESCE((SELECT version FROM secret_writes WHERE namespace = $ns AND name = $name), 0),
                       COALESCE((SELECT MAX(version) FROM secrets WHERE namespace = $ns AND name = $name), 0))
            """;
        command.Parameters.AddWithValue("$ns", ns);
        command.Parameters.AddWithValue("$name", name);
        return (long)command.ExecuteScalar()!;
    }

    private static void RecordWrite(SqliteConnection connection, SqliteTransaction transaction, string ns, string name, long version)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO secret_writes (namespace, name, version) VALUES ($ns, $name, $version)
            ON CONFLICT (namespace, name) DO UPDATE SET version = excluded.version
            """;
        command.Parameters.AddWithValue("$ns", ns);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$version", version);
        command.ExecuteNonQuery();
    }

    private static void CheckValue(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > MaxValueBytes)
        {
            throw new ArgumentException($"a secret value is 1 to {MaxValueBytes} bytes", nameof(value));
        }
    }

    private SecretValue? Read(string ns, string name, long? version)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(name);
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = version is null
            ? "SELECT version, nonce, ciphertext, tag FROM secrets WHERE namespace = $ns AND name = $name ORDER BY version DESC LIMIT 1"
            : "SELECT version, nonce, ciphertext, tag FROM secrets WHERE namespace = $ns AND name = $name AND version = $version";
        command.Parameters.AddWithValue("$ns", ns);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$version", version ?? 0);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return Decrypt(ns, name, reader);
    }

    private SecretValue Decrypt(string ns, string name, SqliteDataReader reader)
    {
        var version = SqliteValues.Integer(reader, 0);
        var tampered = $"the stored value of secret '{name}' of namespace '{ns}' (version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}) "
            + "fails authentication: its row was modified, moved or damaged outside the KMS; put the secret again";
        if (version is not { } v || SqliteValues.Blob(reader, 1) is not { Length: NonceSize } nonce
            || SqliteValues.Blob(reader, 2) is not { Length: > 0 and <= MaxValueBytes } ciphertext
            || SqliteValues.Blob(reader, 3) is not { Length: TagSize } tag)
        {
            throw new SecretStoreException(SecretStoreError.Tampered, tampered);
        }

        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(ns, name, v));
        }
        catch (CryptographicException e)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new SecretStoreException(SecretStoreError.Tampered, tampered, e);
        }

        return new SecretValue(ns, name, v, plaintext);
    }

    /// <summary>label ‖ u16 len ‖ namespace ‖ u16 len ‖ name ‖ u64 version (big-endian), names in UTF-8.</summary>
    private static byte[] AssociatedData(string ns, string name, long version)
    {
        var nsBytes = Encoding.UTF8.GetBytes(ns);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var aad = new byte[s_aadLabel.Length + 2 + nsBytes.Length + 2 + nameBytes.Length + 8];
        var span = aad.AsSpan();
        s_aadLabel.CopyTo(span);
        span = span[s_aadLabel.Length..];
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)nsBytes.Length);
        nsBytes.CopyTo(span[2..]);
        span = span[(2 + nsBytes.Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)nameBytes.Length);
        nameBytes.CopyTo(span[2..]);
        span = span[(2 + nameBytes.Length)..];
        BinaryPrimitives.WriteInt64BigEndian(span, version);
        return aad;
    }

    private static void CheckName(string value, string parameter)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        if (!PolicyNames.IsValid(value))
        {
            throw new ArgumentException($"'{value}' {PolicyNames.Rule}", parameter);
        }
    }
}
