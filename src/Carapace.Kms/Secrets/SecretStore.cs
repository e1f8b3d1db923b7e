using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Audit;
using Carapace.Kms.Keys;
using Carapace.Kms.Policy;
using Carapace.Kms.Storage;

namespace Carapace.Kms.Secrets;

/// <summary>
/// Stores secret values (SQLite table <c>secrets</c>), each version encrypted with AES-256-GCM under the store key
/// HKDF(KMS master key, "carapace/kms/secret-store/v1"), with a fresh random 96-bit nonce and associated data
/// <c>namespace ‖ name ‖ version</c> (each length-prefixed), so a row moved to another secret or version fails to
/// decrypt. Listing shows names and versions, never values; puts and deletes are audited, values never are.
/// </summary>
/// <remarks>
/// <para>
/// Every write of a secret — a put or a delete — has a version one higher than the secret's last (table
/// <c>secret_writes</c> keeps the last, so it survives a delete): an approved write names its version
/// (<see cref="SecretWrite.Version"/>) and <see cref="Commit"/> applies it only as the next one, so it cannot be replayed.
/// </para>
/// <para>
/// The database remembers the fingerprint of the store key; opening it with another master key fails at once with
/// <see cref="SecretStoreError.WrongMasterKey"/>. Deleted rows are overwritten on disk (<c>secure_delete</c>). Not
/// detected: replacing the newest version by restoring an older database copy (a storage rollback).
/// </para>
/// </remarks>
public sealed partial class SecretStore
{
    /// <summary>The largest secret value, in bytes.</summary>
    public const int MaxValueBytes = SecretWrite.MaxValueBytes;

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

    /// <summary>
    /// Stores <paramref name="value"/> as the next version of secret <paramref name="name"/> of <paramref name="ns"/>,
    /// without any approval: for trusted callers inside the KMS (and its tests). Owners change secrets only through
    /// <see cref="Commit"/>, after their approvals were checked.
    /// </summary>
    /// <exception cref="ArgumentException">A name breaks <see cref="PolicyNames"/>, or the value is empty or too long.</exception>
    public SecretInfo Put(string ns, string name, ReadOnlySpan<byte> value)
    {
        CheckName(ns, nameof(ns));
        CheckName(name, nameof(name));
        CheckValue(value);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        var version = LastWrite(connection, transaction, ns, name) + 1;
        var created = Insert(connection, transaction, ns, name, version, value);
        _audit.Append(connection, transaction, AuditKind.SecretPut, ns, name, new AuditDetails().Add("version", version));
        transaction.Commit();
        return new SecretInfo(ns, name, version, created);
    }

    /// <summary>
    /// Applies an approved write — stores its value (a put) or deletes every stored version (a delete) — if it is the
    /// secret's next write, and audits it in the same transaction with <paramref name="details"/> (who approved it; never
    /// the value). The caller has checked the write's approvals and opened its value.
    /// </summary>
    /// <returns>When it was applied.</returns>
    /// <exception cref="SecretWriteException"><see cref="SecretWriteRejection.StaleVersion"/> when the write is not the
    /// next one; <see cref="SecretWriteRejection.NoValue"/> for a delete of a secret without a stored value. Nothing changed.</exception>
    internal DateTimeOffset Commit(SecretWrite write, ReadOnlySpan<byte> value, AuditDetails details)
    {
        ArgumentNullException.ThrowIfNull(write);
        CheckName(write.Namespace, nameof(write));
        CheckName(write.Secret, nameof(write));
        if (write.Operation == SecretOperation.Put)
        {
            CheckValue(value);
        }

        var (ns, name) = (write.Namespace, write.Secret);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        var last = LastWrite(connection, transaction, ns, name);
        if (write.Version != last + 1)
        {
            throw new SecretWriteException(SecretWriteRejection.StaleVersion, [write.Version <= last
                ? $"secret '{name}' of namespace '{ns}' has had write v{write.Version} already (its last write is v{last}): an applied write "
                  + $"is not applied again; for another change propose write v{last + 1}"
                : $"the next write of secret '{name}' of namespace '{ns}' is v{last + 1}, not v{write.Version}; propose it again as v{last + 1}"]);
        }

        var at = _time.GetUtcNow();
        if (write.Operation == SecretOperation.Put)
        {
            Insert(connection, transaction, ns, name, write.Version, value, at);
        }
        else if (DeleteRows(connection, transaction, ns, name) is var rows && rows > 0)
        {
            details.Add("versionsDeleted", rows);
        }
        else
        {
            throw new SecretWriteException(SecretWriteRejection.NoValue,
                [$"secret '{name}' of namespace '{ns}' has no stored value to delete"]);
        }

        RecordWrite(connection, transaction, ns, name, write.Version);
        _audit.Append(connection, transaction, write.Operation == SecretOperation.Put ? AuditKind.SecretPut : AuditKind.SecretDeleted, ns, name, details);
        transaction.Commit();
        return at;
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

    /// <summary>The version of the last write (put or delete) of each secret of <paramref name="ns"/> that has had one.</summary>
    public IReadOnlyDictionary<string, long> LastWrites(string ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT name, MAX(version) FROM (
                SELECT name, version FROM secret_writes WHERE namespace = $ns
                UNION ALL SELECT name, version FROM secrets WHERE namespace = $ns)
            GROUP BY name
            """;
        command.Parameters.AddWithValue("$ns", ns);
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (SqliteValues.Text(reader, 0) is { } name && SqliteValues.Integer(reader, 1) is { } version)
            {
                result[name] = version;
            }
        }

        return result;
    }

    /// <summary>
    /// Deletes every version of the secret without any approval (for trusted callers inside the KMS and its tests; owners
    /// delete through <see cref="Commit"/>); true when there was one.
    /// </summary>
    public bool Delete(string ns, string name)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(name);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        var version = LastWrite(connection, transaction, ns, name) + 1;
        var rows = DeleteRows(connection, transaction, ns, name);
        if (rows == 0)
        {
            return false;
        }

        RecordWrite(connection, transaction, ns, name, version);
        _audit.Append(connection, transaction, AuditKind.SecretDeleted, ns, name, new AuditDetails().Add("version", version).Add("versionsDeleted", rows));
        transaction.Commit();
        return true;
    }

    /// <summary>Zeroes the store key.</summary>
    internal void ZeroKey() => CryptographicOperations.ZeroMemory(_key);
}
