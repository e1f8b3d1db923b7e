using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;

namespace Carapace.Gateway.Auth;

/// <summary>
/// The namespace credentials in their own SQLite file (in cluster mode, a table of the cluster's PostgreSQL database). A key is 64 random alphanumeric characters (about 380 bits),
/// stored only as HMAC-SHA256 under a per-credential random salt and compared in constant time; with keys this
/// strong a slow password hash adds latency to every request and no security. Recently used rows are cached in memory
/// (<see cref="CredentialCache"/>: bounded, 30 s at most, dropped at once by <see cref="Revoke"/>), so a request does
/// not query the file; the key is still hashed and compared on every request.
/// </summary>
public sealed class NamespaceCredentials : IDisposable
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int KeyLength = 64;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS credentials (
            uuid      TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            salt      BLOB NOT NULL,
            key_hash  BLOB NOT NULL
        ) STRICT;
        """;

    private readonly StoreDatabase _db;
    private readonly bool _ownsDatabase;
    private readonly CredentialCache _cache;

    /// <summary>Opens (creating if needed) the credentials file at <paramref name="path"/>; <paramref name="time"/> ages the cache.</summary>
    public NamespaceCredentials(string path, TimeProvider? time = null)
        : this(new ControllerDatabase(path, Schema), ownsDatabase: true, time)
    {
    }

    /// <summary>
    /// Opens the credentials in <paramref name="database"/>, whose schema its owner has already created (cluster mode's
    /// PostgreSQL); disposing them leaves the database open. <paramref name="time"/> ages the cache.
    /// </summary>
    public NamespaceCredentials(StoreDatabase database, TimeProvider? time = null)
        : this(database, ownsDatabase: false, time)
    {
    }

    private NamespaceCredentials(StoreDatabase database, bool ownsDatabase, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _ownsDatabase = ownsDatabase;
        _cache = new CredentialCache(time ?? TimeProvider.System);
    }

    /// <summary>How many credentials are cached in memory (for tests and diagnostics).</summary>
    internal int CachedCount => _cache.Count;

    /// <summary>Where the credentials live: the full path of the file, or the PostgreSQL server and database.</summary>
    public string Path => _db.Location;

    /// <summary>The conventional location under a data directory: <c>gateway/credentials.db</c>.</summary>
    public static string PathIn(string dataDirectory) => System.IO.Path.Combine(dataDirectory, "gateway", "credentials.db");

    /// <summary>
    /// Issues a new credential for <paramref name="namespace"/> and returns it; this is the only time the key is
    /// visible. A namespace may hold several credentials.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="namespace"/> is not a valid namespace name.</exception>
    public NamespaceCredential CreateNamespace(string @namespace)
    {
        if (!ActionName.IsValidPart(@namespace))
        {
            throw new ArgumentException($"'{@namespace}' is not a valid namespace name.", nameof(@namespace));
        }

        var uuid = Guid.NewGuid().ToString("D");
        var key = RandomNumberGenerator.GetString(Alphabet, KeyLength);
        var salt = RandomNumberGenerator.GetBytes(32);
        var hash = Hash(salt, key);
        using var connection = _db.Open();
        StoreDatabase.Execute(connection, "INSERT INTO credentials (uuid, namespace, salt, key_hash) VALUES (@uuid, @ns, @salt, @hash)",
            ("@uuid", uuid), ("@ns", @namespace), ("@salt", salt), ("@hash", hash));
        return new NamespaceCredential(@namespace, uuid, key);
    }

    /// <summary>
    /// The namespace <paramref name="uuid"/>:<paramref name="key"/> grants access to, or false when the UUID is
    /// unknown or the key does not match (the two are indistinguishable to the caller).
    /// </summary>
    public bool TryAuthenticate(string uuid, string key, [NotNullWhen(true)] out string? @namespace)
    {
        ArgumentNullException.ThrowIfNull(uuid);
        ArgumentNullException.ThrowIfNull(key);
        @namespace = null;
        if (!_cache.TryGet(uuid, out var stored))
        {
            var revocations = _cache.Revocations;
            if (Read(uuid) is not { } read)
            {
                // Spend the same work as a real comparison so timing does not tell known UUIDs from unknown ones.
                _ = Hash(new byte[32], key);
                return false;
            }

            stored = read;
            _cache.Add(uuid, stored, revocations);
        }

        var computed = Hash(stored.Salt, key);
        if (!CryptographicOperations.FixedTimeEquals(stored.KeyHash, computed))
        {
            return false;
        }

        @namespace = stored.Namespace;
        return true;
    }

    private StoredCredential? Read(string uuid)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "SELECT namespace, salt, key_hash FROM credentials WHERE uuid = @uuid", ("@uuid", uuid));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredCredential(reader.GetString(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2)) : null;
    }

    /// <summary>Removes one credential; true if it existed.</summary>
    public bool Revoke(string uuid)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "DELETE FROM credentials WHERE uuid = @uuid", ("@uuid", uuid));
        _cache.Forget(uuid);
        var removed = command.ExecuteNonQuery() == 1;
        _cache.Forget(uuid);
        return removed;
    }

    /// <summary>Closes the pooled connections to the file (a database given to the constructor stays open).</summary>
    public void Dispose()
    {
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
    }

    private static byte[] Hash(byte[] salt, string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        try
        {
            return HMACSHA256.HashData(salt, bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
