using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client;

namespace Carapace.Kms.Keys;

/// <summary>
/// The KMS master key: 256 bits from which every other KMS key is derived with HKDF-SHA256 — each namespace's chain
/// master key (info <c>carapace/kms/chain-master/v1 ‖ namespace</c>), the secret-store key, and the integrity keys of
/// stored policies and of the audit anchor. Whoever holds it can read every secret the KMS stores.
/// </summary>
/// <remarks>
/// <para>
/// Only the <b>simulated</b> form exists today (<see cref="OpenSimulated"/>): the key is a plain 0600 file
/// <c>&lt;dataDir&gt;/kms/master.key</c> created on first start. Anyone with root on the host, or a copy of the disk,
/// can read it; <see cref="IsSimulated"/> and <see cref="Warning"/> say so and callers must surface the warning.
/// </para>
/// <para>
/// A real deployment never writes this key in the clear: it seals it with a key only the attested KMS can derive —
/// on SGX the sealing key from <c>EGETKEY</c> bound to MRSIGNER (survives KMS upgrades by the same signer) or MRENCLAVE
/// (bound to this exact build); on TDX or SEV-SNP a key derived by the platform for this TD / guest measurement
/// (SNP <c>MSG_KEY_REQ</c>, or a key released by a TDX migration/key service against the TD's quote). The rest of the
/// KMS only sees the unsealed <see cref="KmsMasterKey"/> and does not change.
/// </para>
/// </remarks>
public sealed class KmsMasterKey : IDisposable
{
    /// <summary>The line prefix of a simulated KMS master key file.</summary>
    public const string FilePrefix = "carapace-kms-master-key-v1:";

    /// <summary>Key length in bytes.</summary>
    public const int Size = 32;

    private static readonly byte[] s_chainMasterLabel = Encoding.ASCII.GetBytes("carapace/kms/chain-master/v1");

    private readonly byte[] _key;
    private bool _disposed;

    private KmsMasterKey(byte[] key, bool simulated, string? path)
    {
        _key = key;
        IsSimulated = simulated;
        FilePath = path;
        Id = KeyId.Of(key);
        Warning = simulated
            ? $"INSECURE: the KMS master key is stored unsealed in {path ?? "memory"}; anyone with root on this host or a copy of its disk "
              + "can read every secret and derive every chain key. Real deployments seal it instead: with an SGX sealing key bound to "
              + "MRSIGNER/MRENCLAVE (EGETKEY), or a TDX / SEV-SNP key derived for the KMS's own measurement."
            : null;
    }

    /// <summary>True when the key is not protected by hardware sealing (today: always).</summary>
    public bool IsSimulated { get; }

    /// <summary>For a simulated key: what is insecure and what real sealing replaces it with. Null otherwise.</summary>
    public string? Warning { get; }

    /// <summary>The file the key was read from, when it came from one.</summary>
    public string? FilePath { get; }

    /// <summary>The public fingerprint of the key (reveals nothing about it).</summary>
    public KeyId Id { get; }

    /// <summary>
    /// Opens the simulated master key <c>&lt;dataDirectory&gt;/kms/master.key</c>, creating it (mode 0600, in a 0700
    /// directory) with fresh random bytes on first start.
    /// </summary>
    /// <exception cref="KmsKeyFileException">The file is readable by other users, damaged, or cannot be written.</exception>
    public static KmsMasterKey OpenSimulated(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), "kms");
        OwnerOnlyFile.CreatePrivateDirectory(directory);
        var path = Path.Combine(directory, "master.key");
        if (!File.Exists(path))
        {
            var fresh = RandomNumberGenerator.GetBytes(Size);
            try
            {
                KeyFile.WriteSecret(path, FilePrefix, fresh);
            }
            catch (KeyFileException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }

        byte[] key;
        try
        {
            key = KeyFile.ReadSecret(path, FilePrefix, "KMS master key");
        }
        catch (KeyFileException e)
        {
            throw new KmsKeyFileException(e.Message, e);
        }

        return new KmsMasterKey(key, simulated: true, path);
    }

    /// <summary>A simulated key held only in memory (tests and tools); the caller keeps and zeroes its own copy.</summary>
    internal static KmsMasterKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"a KMS master key is {Size} bytes, not {key.Length}", nameof(key));
        }

        return new KmsMasterKey(key.ToArray(), simulated: true, path: null);
    }

    /// <summary>
    /// The chain master key of <paramref name="ns"/>: HKDF-SHA256(master, info = "carapace/kms/chain-master/v1" ‖
    /// UTF-8 namespace). Edge keys come from it through <see cref="MasterKey.Derive"/>. Dispose it after use.
    /// </summary>
    internal MasterKey DeriveChainMaster(string ns)
    {
        var info = Concat(s_chainMasterLabel, Encoding.UTF8.GetBytes(ns));
        var bytes = new byte[MasterKey.Size];
        try
        {
            Derive(info, bytes);
            return MasterKey.FromBytes(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>A 32-byte purpose key: HKDF-SHA256(master, info = <paramref name="label"/>). The caller zeroes it.</summary>
    internal byte[] DerivePurposeKey(string label)
    {
        var key = new byte[32];
        Derive(Encoding.ASCII.GetBytes(label), key);
        return key;
    }

    /// <summary>Zeroes the key bytes.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }

    private void Derive(ReadOnlySpan<byte> info, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, output, salt: ReadOnlySpan<byte>.Empty, info);
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }
}
