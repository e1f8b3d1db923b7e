using System.Security.Cryptography;

namespace Carapace.Worker.Cache;

/// <summary>
/// Precompiled-module artifacts on the host disk, one file per (runtime identity, module hash). The worker cannot
/// make or check artifacts — only enclaves can (they authenticate them with a key the host does not have) — so it
/// stores and returns bytes, and drops an entry an enclave refused.
/// </summary>
public sealed class ModuleCacheStore
{
    private readonly string _directory;

    /// <summary>Uses (and creates) <paramref name="directory"/>.</summary>
    public ModuleCacheStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    /// <summary>The artifact for this module under this runtime, or null.</summary>
    public byte[]? TryGet(ReadOnlySpan<byte> runtimeIdentity, ReadOnlySpan<byte> moduleHash)
    {
        var path = PathOf(runtimeIdentity, moduleHash);
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Stores an artifact (atomically: readers see the old file or the new one).</summary>
    public void Put(ReadOnlySpan<byte> runtimeIdentity, ReadOnlySpan<byte> moduleHash, ReadOnlySpan<byte> artifact)
    {
        var path = PathOf(runtimeIdentity, moduleHash);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, artifact.ToArray());
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            // A partly written temporary file (e.g. on a full disk) is never left behind.
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Stores an artifact like <see cref="Put"/>, but a disk that cannot take it (full, read-only) is not an error: the
    /// cache is an optimisation, and the next cold start compiles again. Returns whether it was stored.
    /// </summary>
    public bool TryPut(ReadOnlySpan<byte> runtimeIdentity, ReadOnlySpan<byte> moduleHash, ReadOnlySpan<byte> artifact)
    {
        try
        {
            Put(runtimeIdentity, moduleHash, artifact);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do; the name is unique and unused.
        }
    }

    /// <summary>Removes an entry (after an enclave refused it).</summary>
    public void Remove(ReadOnlySpan<byte> runtimeIdentity, ReadOnlySpan<byte> moduleHash) => File.Delete(PathOf(runtimeIdentity, moduleHash));

    /// <summary>The file that holds the entry.</summary>
    public string PathOf(ReadOnlySpan<byte> runtimeIdentity, ReadOnlySpan<byte> moduleHash) =>
        Path.Combine(_directory, Convert.ToHexStringLower(runtimeIdentity)[..16], Convert.ToHexStringLower(moduleHash) + ".cwasm");

    /// <summary>SHA-256 of a module, as the cache and the measurement name it.</summary>
    public static byte[] HashModule(ReadOnlySpan<byte> module) => SHA256.HashData(module);
}
