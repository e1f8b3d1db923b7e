using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Audit;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Secrets;
using Carapace.Kms.Keys;
using Carapace.Kms.Storage;
using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Secrets;

/// <summary>
/// Stores secret values (SQLite table <c>secrets</c>), each version encrypted with AES-256-GCM under the store key
/// HKDF(KMS master key, "carapace/kms/secret-store/v1"), with a fresh random 96-bit nonce and associated data
/// <c>namespace ‖ name ‖ version</c> (each length-prefixed), so a row moved to another secret or version fails to
/// decrypt. Listing shows names and versions, never values; puts and deletes are audited, values never are.
/// </summary>
/// <remarks>
/// The database remembers the fingerprint of the store key; opening it with another master key fails at once with
/// <see cref="SecretStoreError.WrongMasterKey"/>. Deleted rows are overwritten on disk (<c>secure_delete</c>). Not
/// detected: replacing the newest version by restoring an older database copy (a storage rollback).
/// </remarks>
public sealed class SecretStore
{
    /// <summary>The largest secret value, in bytes (<see cref="SecretValue.MaxBytes"/>).</summary>
    public const int MaxValueBytes = SecretValue.MaxBytes;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const string KeyIdMeta = "secret_store_key_id";
    private static readonly byte[] s_aadLabel = Encoding.ASCII.GetBytes("carapace/kms/secret/v1");

    private readonly KmsDatabase _database;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly byte[] _key;

    /// <exception cref="SecretStoreException">The database was created under another master key.</exception>
    internal SecretStore(KmsDatabase database, KmsMasterKey master, AuditLog audit, TimeProvider time)
    {
        _database = database;
        _audit = audit;
        _time = time;
        _key = master.DerivePurposeKey("carapace/kms/secret-store/v1");
        var id = KeyId.Of(_key).ToString();
        var stored = database.SetMetaOnce(KeyIdMeta, id);
        if (stored != id)
        {
            CryptographicOperations.ZeroMemory(_key);
            throw new SecretStoreException(SecretStoreError.WrongMasterKey,
                $"the secret store in {database.Path} was created under another KMS master key (store key {stored}, this key gives {id}); "
                + "start the KMS with the master key it was created with");
        }
    }

    /// <summary>Stores a new version of secret <paramref name="name"/> of <paramref name="ns"/> and returns its description.</summary>
    /// <exception cref="ArgumentException">A name breaks <see cref="PolicyNames"/>, or the value is empty or too long.</exception>
    public SecretInfo Put(string ns, string name, ReadOnlySpan<byte> value)
    {
        CheckName(ns, nameof(ns));
        CheckName(name, nameof(name));
        if (value.IsEmpty || value.Length > MaxValueBytes)
        {
            throw new ArgumentException($"a secret value is 1 to {MaxValueBytes} bytes", nameof(value));
        }

        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        long version;
        using (var max = connection.CreateCommand())
        {
            max.Transaction = transaction;
            max.CommandText = "SELECT COALESCE(MAX(version), 0) FROM secrets WHERE namespace = $ns AND name = $name";
            max.Parameters.AddWithValue("$ns", ns);
            max.Parameters.AddWithValue("$name", name);
            version = (long)max.ExecuteScalar()! + 1;
        }

        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[value.Length];
        var tag = new byte[TagSize];
        using (var aes = new AesGcm(_key, TagSize))
        {
            aes.Encrypt(nonce, value, ciphertext, tag, AssociatedData(ns, name, version));
        }

        var created = _time.GetUtcNow();
        using (var insert = connection.CreateCommand())
        {
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
        }

        _audit.Append(connection, transaction, AuditKind.SecretPut, ns, name, new AuditDetails().Add("version", version));
        transaction.Commit();
        return new SecretInfo(ns, name, version, created);
    }

    /// <summary>The newest version of the secret, or null when it has none. Dispose the result.</summary>
    /// <exception cref="SecretStoreException">The stored row fails authentication (<see cref="SecretStoreError.Tampered"/>).</exception>
    public SecretValue? Get(string ns, string name) => Read(ns, name, version: null);

    /// <summary>Version <paramref name="version"/> of the secret, or null when there is no such version. Dispose the result.</summary>
    /// <exception cref="SecretStoreException">The stored row fails authentication (<see cref="SecretStoreError.Tampered"/>).</exception>
    public SecretValue? Get(string ns, string name, long version) => Read(ns, name, version);

    /// <summary>The secrets of <paramref name="ns"/> with their newest versions, by name. Values are never read.</summary>
    public IReadOnlyList<SecretInfo> List(string ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.name, s.version, s.created_at FROM secrets s
            WHERE s.namespace = $ns AND s.version = (SELECT MAX(version) FROM secrets t WHERE t.namespace = s.namespace AND t.name = s.name)
            ORDER BY s.name
            """;
        command.Parameters.AddWithValue("$ns", ns);
        using var reader = command.ExecuteReader();
        var result = new List<SecretInfo>();
        while (reader.Read())
        {
            if (SqliteValues.Text(reader, 0) is { } name && SqliteValues.Integer(reader, 1) is { } version
                && SqliteValues.Integer(reader, 2) is { } created && created >= 0 && created <= DateTimeOffset.MaxValue.UtcTicks)
            {
                result.Add(new SecretInfo(ns, name, version, new DateTimeOffset(created, TimeSpan.Zero)));
            }
        }

        return result;
    }

    /// <summary>Deletes every version of the secret; true when there was one.</summary>
    public bool Delete(string ns, string name)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(name);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM secrets WHERE namespace = $ns AND name = $name";
        delete.Parameters.AddWithValue("$ns", ns);
        delete.Parameters.AddWithValue("$name", name);
        var rows = delete.ExecuteNonQuery();
        if (rows == 0)
        {
            return false;
        }

        _audit.Append(connection, transaction, AuditKind.SecretDeleted, ns, name, new AuditDetails().Add("versions", rows));
        transaction.Commit();
        return true;
    }

    /// <summary>Zeroes the store key.</summary>
    internal void ZeroKey() => CryptographicOperations.ZeroMemory(_key);

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
