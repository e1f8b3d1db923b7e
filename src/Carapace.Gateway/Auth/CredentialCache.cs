using System.Collections.Concurrent;

namespace Carapace.Gateway.Auth;

/// <summary>
/// The stored rows of recently used credentials (namespace, salt, salted hash), so that a request's authentication
/// is one HMAC and a constant-time compare instead of a SQLite query. The key itself is never kept: every request's
/// key is still hashed and compared. Bounded in count (a full cache is emptied, not grown) and in age (a row older
/// than <see cref="Lifetime"/> is read again), and dropped at once by <see cref="Forget"/> when this process revokes a
/// credential; a credential deleted from the file by another process stops working within <see cref="Lifetime"/>.
/// </summary>
internal sealed class CredentialCache(TimeProvider time)
{
    /// <summary>How long a cached row is trusted before it is read from the file again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>Most credentials held at once.</summary>
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private long _revocations;

    public int Count => _entries.Count;

    /// <summary>Changes with every <see cref="Forget"/>: read it before reading a row from the file.</summary>
    public long Revocations => Interlocked.Read(ref _revocations);

    public bool TryGet(string uuid, out StoredCredential credential)
    {
        if (_entries.TryGetValue(uuid, out var entry) && time.GetUtcNow() < entry.Expires)
        {
            credential = entry.Credential;
            return true;
        }

        credential = default;
        return false;
    }

    /// <summary>
    /// Caches a row read from the file after <paramref name="revocationsBefore"/> was taken; a row read while a
    /// revocation ran is not cached (it may be the revoked one).
    /// </summary>
    public void Add(string uuid, StoredCredential credential, long revocationsBefore)
    {
        if (_entries.Count >= Capacity)
        {
            // Simple and bounded: the working set refills from the file in one query per credential.
            _entries.Clear();
        }

        _entries[uuid] = new Entry(credential, time.GetUtcNow() + Lifetime);
        if (Revocations != revocationsBefore)
        {
            _entries.TryRemove(uuid, out _);
        }
    }

    public void Forget(string uuid)
    {
        Interlocked.Increment(ref _revocations);
        _entries.TryRemove(uuid, out _);
    }

    private sealed record Entry(StoredCredential Credential, DateTimeOffset Expires);
}

/// <summary>A credential as stored: its namespace, the salt and the HMAC-SHA256 of its key under that salt.</summary>
internal readonly record struct StoredCredential(string Namespace, byte[] Salt, byte[] KeyHash);
