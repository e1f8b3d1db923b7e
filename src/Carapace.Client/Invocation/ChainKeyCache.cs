using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client.Release;

namespace Carapace.Client.Invocation;

/// <summary>
/// Chain keys and the policy they were released under, kept between runs of the client so that an invocation does
/// not attest the KMS and fetch the keys again: one file per (platform, namespace, client, chain) in a private folder,
/// encrypted with AES-256-GCM under a random key in the same folder (<c>cache.key</c>, mode 0600) that is made on
/// this machine and never sent anywhere. An entry lives at most <see cref="Lifetime"/>; one that has expired, was
/// written for another platform or does not decrypt (altered, truncated, another cache key) is deleted and read again
/// from the KMS. <see cref="Clear"/> drops every entry (policy changes made through this client call it).
/// </summary>
public sealed class ChainKeyCache
{
    /// <summary>The folder's name under a data directory.</summary>
    public const string DirectoryName = "keycache";

    /// <summary>Default lifetime of an entry: 10 minutes.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Longest lifetime accepted: a revocation made elsewhere must reach the client within it.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    private const string KeyFileName = "cache.key";
    private const string EntrySuffix = ".entry";
    private const int MaxEntryBytes = 4 << 20;
    private static readonly byte[] s_magic = "CKC1"u8.ToArray();

    private readonly TimeProvider _time;

    /// <summary>A cache in <paramref name="directory"/> (created, private, on first write) whose entries live <paramref name="lifetime"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is not within (0, <see cref="MaxLifetime"/>].</exception>
    public ChainKeyCache(string directory, TimeSpan lifetime, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), $"the key cache lifetime must be within 0..{MaxLifetime.TotalHours:0} h");
        }

        Directory = Path.GetFullPath(directory);
        Lifetime = lifetime;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The cache's folder.</summary>
    public string Directory { get; }

    /// <summary>How long an entry is used after the keys came from the KMS.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>The conventional folder under a data directory.</summary>
    public static string DirectoryIn(string dataDirectory) => Path.Combine(dataDirectory, DirectoryName);

    /// <summary>The keys and policy text cached for <paramref name="scope"/>, or false (then nothing usable was there).</summary>
    public bool TryLoad(string scope, out ChainKeys? keys, out string? policyText)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        keys = null;
        policyText = null;
        var path = EntryPath(scope);
        if (!File.Exists(path) || ReadCacheKey(create: false) is not { } cacheKey)
        {
            return false;
        }

        byte[]? plain = null;
        try
        {
            var sealedBytes = File.ReadAllBytes(path);
            plain = Decrypt(cacheKey, scope, sealedBytes);
            if (plain is null || !TryParse(plain, scope, out var created, out var text, out var exported))
            {
                Delete(path);
                return false;
            }

            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now < created || now >= created + (long)Lifetime.TotalMilliseconds)
            {
                Delete(path);
                return false;
            }

            keys = ChainKeys.Import(exported);
            policyText = text;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Delete(path);
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(cacheKey);
            if (plain is not null)
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
    }

    /// <summary>Caches <paramref name="keys"/> and <paramref name="policyText"/> for <paramref name="scope"/>; a cache that cannot be written is skipped.</summary>
    public void Store(string scope, ChainKeys keys, string policyText)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(policyText);
        byte[]? cacheKey = null;
        byte[]? exported = null;
        byte[]? plain = null;
        try
        {
            cacheKey = ReadCacheKey(create: true);
            if (cacheKey is null)
            {
                return;
            }

            exported = keys.Export();
            var scopeBytes = Encoding.UTF8.GetBytes(scope);
            var policyBytes = Encoding.UTF8.GetBytes(policyText);
            plain = new byte[4 + scopeBytes.Length + 8 + 4 + policyBytes.Length + exported.Length];
            var span = plain.AsSpan();
            BinaryPrimitives.WriteInt32LittleEndian(span, scopeBytes.Length);
            scopeBytes.CopyTo(span[4..]);
            span = span[(4 + scopeBytes.Length)..];
            BinaryPrimitives.WriteInt64LittleEndian(span, _time.GetUtcNow().ToUnixTimeMilliseconds());
            BinaryPrimitives.WriteInt32LittleEndian(span[8..], policyBytes.Length);
            policyBytes.CopyTo(span[12..]);
            exported.CopyTo(span[(12 + policyBytes.Length)..]);

            var file = new byte[s_magic.Length + 12 + 16 + plain.Length];
            s_magic.CopyTo(file, 0);
            var nonce = file.AsSpan(s_magic.Length, 12);
            RandomNumberGenerator.Fill(nonce);
            using (var aes = new AesGcm(cacheKey, 16))
            {
                aes.Encrypt(nonce, plain, file.AsSpan(s_magic.Length + 28), file.AsSpan(s_magic.Length + 12, 16), Aad(scope));
            }

            KeyFile.WriteOwnerOnly(EntryPath(scope), file, "key cache entry", overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyFileException)
        {
            // A cache that cannot be written costs the next run a KMS round trip, nothing else.
        }
        finally
        {
            foreach (var secret in new[] { cacheKey, exported, plain })
            {
                if (secret is not null)
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
            }
        }
    }

    /// <summary>Drops the entry of <paramref name="scope"/>.</summary>
    public void Forget(string scope) => Delete(EntryPath(scope));

    /// <summary>Drops every entry (the cache key stays); returns how many there were.</summary>
    public int Clear()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return 0;
        }

        var count = 0;
        foreach (var entry in System.IO.Directory.EnumerateFiles(Directory, "*" + EntrySuffix))
        {
            Delete(entry);
            count++;
        }

        return count;
    }

    /// <summary>
    /// The scope of a chain's entry: the platform (gateway address and its TLS CA's fingerprint, so a new platform at
    /// the same address never gets another's keys), the namespace, the client and the chain.
    /// </summary>
    public static string Scope(Uri gateway, string caFingerprint, string ns, string clientId, string chain) =>
        string.Join('\n', gateway.AbsoluteUri, caFingerprint.ToLowerInvariant(), ns, clientId, chain);

    private string EntryPath(string scope) =>
        Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)))[..40] + EntrySuffix);

    private static byte[] Aad(string scope) => [.. s_magic, .. SHA256.HashData(Encoding.UTF8.GetBytes(scope))];

    private static byte[]? Decrypt(byte[] cacheKey, string scope, byte[] file)
    {
        if (file.Length < s_magic.Length + 28 || file.Length > MaxEntryBytes || !file.AsSpan(0, s_magic.Length).SequenceEqual(s_magic))
        {
            return null;
        }

        var plain = new byte[file.Length - s_magic.Length - 28];
        try
        {
            using var aes = new AesGcm(cacheKey, 16);
            aes.Decrypt(file.AsSpan(s_magic.Length, 12), file.AsSpan(s_magic.Length + 28), file.AsSpan(s_magic.Length + 12, 16), plain, Aad(scope));
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plain);
            return null;
        }
    }

    private static bool TryParse(byte[] plain, string scope, out long created, out string policyText, out ReadOnlySpan<byte> exported)
    {
        created = 0;
        policyText = "";
        exported = default;
        var span = (ReadOnlySpan<byte>)plain;
        if (span.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(span) is var scopeLength && (scopeLength < 0 || scopeLength > span.Length - 16))
        {
            return false;
        }

        if (!span.Slice(4, scopeLength).SequenceEqual(Encoding.UTF8.GetBytes(scope)))
        {
            return false;
        }

        span = span[(4 + scopeLength)..];
        created = BinaryPrimitives.ReadInt64LittleEndian(span);
        var policyLength = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        if (policyLength < 0 || policyLength > span.Length - 12)
        {
            return false;
        }

        policyText = Encoding.UTF8.GetString(span.Slice(12, policyLength));
        exported = span[(12 + policyLength)..];
        return true;
    }

    /// <summary>The cache key; made on first use. A damaged key file is replaced, and with it every entry (none would decrypt).</summary>
    private byte[]? ReadCacheKey(bool create)
    {
        var path = Path.Combine(Directory, KeyFileName);
        try
        {
            if (File.Exists(path))
            {
                var key = KeyFile.ReadOwnerOnly(path, "key cache key", 64);
                if (key.Length == 32)
                {
                    return key;
                }

                CryptographicOperations.ZeroMemory(key);
                Clear();
                Delete(path);
            }

            if (!create)
            {
                return null;
            }

            KeyFile.CreatePrivateDirectory(Directory);
            var fresh = RandomNumberGenerator.GetBytes(32);
            KeyFile.WriteOwnerOnly(path, fresh, "key cache key", overwrite: false);
            return fresh;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyFileException)
        {
            return null;
        }
    }

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already, or not ours: it will not decrypt for anyone without the cache key.
        }
    }
}
